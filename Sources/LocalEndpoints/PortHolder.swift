import Foundation

/// Who listens on a TCP port of this machine, found the way `ss -ltnp` finds it: the listening
/// sockets (`ListeningSocket`), and the process whose file descriptors hold one of them.
public struct PortHolder: Sendable, Equatable, CustomStringConvertible {
    /// Nil when the socket belongs to a process this user cannot see.
    public var pid: Int32?
    public var commandLine: String?
    public var port: Int

    public var description: String {
        guard let pid else { return "port \(port) is held by a process this user cannot see (run as its owner or as root)" }
        return "port \(port) is held by pid \(pid)" + (commandLine.map { " (\($0))" } ?? "")
    }

    /// The process listening on `port`, on any local address, or nil when nobody listens there.
    public static func find(port: Int, procRoot: String = "/proc") -> PortHolder? {
        let inodes = ListeningSocket.all(procRoot: procRoot).filter { $0.port == port }.map(\.inode)
        guard !inodes.isEmpty else { return nil }
        let targets = Set(inodes.map { "socket:[\($0)]" })
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: procRoot))?.compactMap { Int32($0) } ?? []
        for pid in processes.sorted() {
            let fdDirectory = "\(procRoot)/\(pid)/fd"
            guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { continue }
            for descriptor in descriptors {
                if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(descriptor)"), targets.contains(link) {
                    return PortHolder(pid: pid, commandLine: commandLine(of: pid, procRoot: procRoot), port: port)
                }
            }
        }
        return PortHolder(pid: nil, commandLine: nil, port: port)
    }

    /// Stops the holder: SIGTERM, then SIGKILL if the port is still held after `grace`.
    /// Returns false when it could not be stopped (not ours to signal, or it would not let go).
    public func stop(grace: Duration = .seconds(5)) async -> Bool {
        guard let pid else { return false }
        guard kill(pid, SIGTERM) == 0 else { return false }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if Self.find(port: port) == nil { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
        try? await Task.sleep(for: .milliseconds(300))
        return Self.find(port: port) == nil
    }

    static func commandLine(of pid: Int32, procRoot: String) -> String? {
        guard let data = ProcFile.read("\(procRoot)/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }
}
