import ChildProcesses
import Foundation
import LocalEndpoints

/// What this machine remembers of a running session, so that `kbridge status` can list it and
/// `kbridge disconnect` can end it (or, when its process is gone, give back what it changed).
public struct SessionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var pid: Int32
    /// When that process started (`ProcessLiveness.startTime`): a pid alone may be reused.
    public var processStart: UInt64?
    public var service: String
    public var workload: WorkloadReference
    public var kubeconfig: String?
    public var context: String?
    /// The hosts file that holds the session's block, if any.
    public var hostsFile: String?
    public var localPort: Int
    public var startedAt: String
    /// When traffic started to flow; nil while the session is still starting.
    public var connectedAt: String?
    /// Links the session put at a config's `localPath`s to its downloaded volumes (`SessionFiles`).
    public var linkedPaths: [String]?
    /// Isolation mode: the session's copy of the workload's pod, and the routing name its requests carry.
    public var clonePod: String?
    public var routeAs: String?

    public init(id: String, pid: Int32, service: String, workload: WorkloadReference, kubeconfig: String?, context: String?, hostsFile: String?, localPort: Int, startedAt: String) {
        self.id = id
        self.pid = pid
        self.processStart = ProcessLiveness.startTime(of: pid)
        self.service = service
        self.workload = workload
        self.kubeconfig = kubeconfig
        self.context = context
        self.hostsFile = hostsFile
        self.localPort = localPort
        self.startedAt = startedAt
    }

    /// Whether the process that runs the session is still alive (not a zombie, nor another
    /// process that was given its pid).
    public var isRunning: Bool {
        ProcessLiveness.isAlive(pid, startedAt: processStart)
    }
}

/// The session records of this machine: one JSON file each, mode 0600, in the `sessions` folder
/// of kbridge's private directory. A file that is not this user's alone is ignored.
public struct SessionRegistry: Sendable {
    public let directory: PrivateDirectory

    public init(directory: PrivateDirectory = PrivateDirectory.standard.appending("sessions")) {
        self.directory = directory
    }

    /// Writes the record; a session that cannot be recorded must not change anything.
    public func save(_ record: SessionRecord) throws(PrivateFileError) {
        try directory.ensure()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(record)
        } catch {
            throw .cannotWrite(path: file(record.id).path, detail: "\(error)")
        }
        try PrivateFile.write(data, to: file(record.id))
    }

    /// The record of session `id`, if it is this user's alone.
    public func record(_ id: String) -> SessionRecord? {
        guard (try? directory.check()) != nil, PrivateFile.isPrivate(file(id)) else { return nil }
        return try? JSONDecoder().decode(SessionRecord.self, from: Data(contentsOf: file(id)))
    }

    /// Removes the record of session `id`, and its diagnostics.
    public func remove(_ id: String) {
        try? FileManager.default.removeItem(at: diagnosticsFile(id))
        try? FileManager.default.removeItem(at: file(id))
    }

    /// Every recorded session, oldest first; nothing when the folder is not this user's alone.
    public func all() -> [SessionRecord] {
        guard (try? directory.check()) != nil else { return [] }
        let files = (try? FileManager.default.contentsOfDirectory(at: directory.url, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" && PrivateFile.isPrivate($0) }
            .compactMap { try? JSONDecoder().decode(SessionRecord.self, from: Data(contentsOf: $0)) }
            .sorted { $0.startedAt < $1.startedAt }
    }

    /// Asks a running session's process to end (SIGTERM, as Ctrl-C would: it gives back what it
    /// holds) and waits up to `grace` for it; whether it ended.
    public func stop(_ record: SessionRecord, grace: Duration = .seconds(120)) async -> Bool {
        guard record.isRunning else { return true }
        kill(record.pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while record.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        return !record.isRunning
    }

    /// Drops what a session whose process is gone left on this machine (its hosts block, the pod's
    /// files and its record) without giving anything back in the cluster: for a cluster that no
    /// longer exists.
    public func forget(_ record: SessionRecord) throws(HostsFile.Failure) {
        if let path = record.hostsFile { try HostsFile(path: path).remove(session: record.id) }
        try? SessionFiles(session: record.id, registry: self).remove()
        remove(record.id)
    }

    private func file(_ id: String) -> URL {
        directory.url.appendingPathComponent("\(id).json")
    }
}
