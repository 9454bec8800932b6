import Foundation
import KubernetesClient
import Synchronization

/// The binaries built beside this one (`bench/run` builds them all in release mode).
struct BenchBinaries: Sendable {
    let folder: URL

    static func beside() -> BenchBinaries {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return BenchBinaries(folder: URL(fileURLWithPath: me).deletingLastPathComponent())
    }

    var kbridge: String { folder.appendingPathComponent("kbridge").path }
    var agent: String { folder.appendingPathComponent("kbridge-agent").path }
    var bench: String { folder.appendingPathComponent("kbridge-bench").path }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A child process whose standard output is read line by line, each line stamped when it came.
final class WatchedProcess: Sendable {
    let process: Process
    private let lines = Mutex<[(at: ContinuousClock.Instant, text: String)]>([])
    let started: ContinuousClock.Instant

    init(_ executable: String, _ arguments: [String], log: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        self.process = process
        started = ContinuousClock.now
        try process.run()
        let reading = output.fileHandleForReading
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let data = reading.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(of: 0x0a) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    self.lines.withLock { $0.append((ContinuousClock.now, line)) }
                }
            }
        }
    }

    var pid: Int32 { process.processIdentifier }
    var output: [(at: ContinuousClock.Instant, text: String)] { lines.withLock { $0 } }

    /// JSON events printed so far (`--output json`), with when each came.
    var events: [(at: ContinuousClock.Instant, event: JSONValue)] {
        output.compactMap { line in (try? JSONValue.parse(line.text)).map { (line.at, $0) } }
    }

    /// Waits for an event that `matches`, failing when the process ends or `timeout` passes.
    func waitForEvent(timeout: Duration, _ matches: (JSONValue) -> Bool) async throws -> (at: ContinuousClock.Instant, event: JSONValue) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = events.first(where: { matches($0.event) }) { return found }
            if !process.isRunning { throw exited }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("no such event after \(timeout)")
    }

    /// Why the process is gone: its exit status and the `error` events it printed.
    var exited: BenchFailure {
        let errors = events.filter { $0.event["event"]?.stringValue == "error" }.compactMap { $0.event["message"]?.stringValue }
        return BenchFailure("\(process.executableURL?.lastPathComponent ?? "process") exited (\(process.terminationStatus)): \(errors.joined(separator: "; "))")
    }

    /// SIGINT, then waits for the exit (SIGKILL after `grace`).
    func stop(grace: Duration = .seconds(60)) async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGINT)
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Runs a command to its end; its output goes to `log`.
func runToEnd(_ executable: String, _ arguments: [String], log: URL) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// What `/proc` says of a process: memory and CPU time.
enum ProcessStats {
    /// Resident set size now and at its highest (`VmRSS`, `VmHWM`), and how much of it now is
    /// the process's own memory (`RssAnon`: heap, stacks) rather than mapped files (its code and
    /// libraries, clean and shared with every process that maps them), in MB.
    static func memory(of pid: Int32) -> (now: Double, peak: Double, anonymous: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ").compactMap { Double($0) }.first.map { $0 / 1024 }
        }
        guard let now = field("VmRSS"), let peak = field("VmHWM"), let anonymous = field("RssAnon") else { return nil }
        return (now, peak, anonymous)
    }

    /// User + system CPU seconds used so far.
    static func cpuSeconds(of pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based, of the whole line).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Processes running `executable` (a file name) with these first arguments.
    static func find(_ executable: String, arguments first: [String], containing: [String] = []) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return URL(fileURLWithPath: arguments.first ?? "").lastPathComponent == executable
                && Array(arguments.dropFirst().prefix(first.count)) == first
                && containing.allSatisfy { arguments.contains($0) }
        }
    }
}
