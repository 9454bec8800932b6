import ChildProcesses
import Foundation
import KubernetesClient

/// Starts a sandbox in the background and stops it again, by its directory.
public enum SandboxDaemon {
    public enum Failure: Error, CustomStringConvertible {
        case alreadyRunning(directory: String, pid: Int32)
        case notRunning(directory: String)
        case startFailed(detail: String, log: String)
        case didNotStop(pids: [Int32])

        public var description: String {
            switch self {
            case .alreadyRunning(let directory, let pid):
                return "a sandbox is already running in \(directory) (pid \(pid)): use it, or stop it with `kbridge sandbox down --dir \(directory)`"
            case .notRunning(let directory):
                return "no sandbox is running in \(directory)"
            case .startFailed(let detail, let log):
                return "the sandbox did not start: \(detail) (see \(log))"
            case .didNotStop(let pids):
                return "processes of the sandbox did not stop: \(pids.map(String.init).joined(separator: ", "))"
            }
        }
    }

    /// The state of the sandbox running in `directory`, if its process is alive.
    public static func running(in directory: URL) -> SandboxCluster.State? {
        let file = directory.appendingPathComponent("sandbox.json")
        guard let data = FileManager.default.contents(atPath: file.path),
            let state = try? JSONDecoder().decode(SandboxCluster.State.self, from: data), isAlive(state.pid)
        else { return nil }
        return state
    }

    /// Runs `arguments` (this program, with `sandbox up` without `--detach`) in its own session,
    /// output to `logFile`, and waits until the sandbox in `directory` is ready.
    public static func start(executable: String, arguments: [String], directory: URL, logFile: URL, timeout: Duration = .seconds(60)) async throws -> SandboxCluster.State {
        if let state = running(in: directory) { throw Failure.alreadyRunning(directory: directory.path, pid: state.pid) }
        try FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("sandbox.json"))
        let pid = try spawnDetached(executable: executable, arguments: arguments, logFile: logFile)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let state = running(in: directory), state.pid == pid { return state }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw Failure.startFailed(detail: "it exited with status \(status >> 8)", log: logFile.path)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(-pid, SIGKILL)
        throw Failure.startFailed(detail: "it was not ready after \(timeout.components.seconds)s", log: logFile.path)
    }

    /// Stops the sandbox of `directory`: SIGTERM, then, once it has ended or after `grace`,
    /// SIGKILL to every process left in its session (it was started in a session of its own, and
    /// every container process it started is in it, whatever process group it has): nothing the
    /// sandbox started outlives this call.
    public static func stop(directory: URL, grace: Duration = .seconds(20)) async throws {
        guard let state = running(in: directory) else { throw Failure.notRunning(directory: directory.path) }
        kill(state.pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, isAlive(state.pid) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let left = try await endSession(state.pid)
        if !left.isEmpty { throw Failure.didNotStop(pids: left) }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("sandbox.json"))
    }

    /// SIGKILLs every process of the session until none is left (a process may start another
    /// while it is being killed); returns those still running after 5 s.
    private static func endSession(_ session: pid_t) async throws -> [pid_t] {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let members = ProcessLiveness.members(ofSession: session)
            if members.isEmpty || ContinuousClock.now >= deadline { return members }
            for pid in members { kill(pid, SIGKILL) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Whether a process runs: it exists and is not a zombie waiting for its parent to reap it.
    public static func isAlive(_ pid: pid_t) -> Bool {
        ProcessLiveness.isAlive(pid)
    }

    private static func spawnDetached(executable: String, arguments: [String], logFile: URL) throws -> pid_t {
        do {
            return try ProcessSpawner.spawn(.init(
                executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                output: logFile.path, grouping: .newSession
            ))
        } catch {
            throw Failure.startFailed(detail: error.description, log: logFile.path)
        }
    }
}
