import Foundation
import KubernetesClient

/// Starts a sandbox in the background and stops it again, by its directory.
public enum SandboxDaemon {
    public enum Failure: Error, CustomStringConvertible {
        case alreadyRunning(directory: String, pid: Int32)
        case notRunning(directory: String)
        case startFailed(detail: String, log: String)
        case didNotStop(pid: Int32)

        public var description: String {
            switch self {
            case .alreadyRunning(let directory, let pid):
                return "a sandbox is already running in \(directory) (pid \(pid)): use it, or stop it with `kbridge sandbox down --dir \(directory)`"
            case .notRunning(let directory):
                return "no sandbox is running in \(directory)"
            case .startFailed(let detail, let log):
                return "the sandbox did not start: \(detail) (see \(log))"
            case .didNotStop(let pid):
                return "the sandbox (pid \(pid)) did not stop"
            }
        }
    }

    /// The state of the sandbox running in `directory`, if its process is alive.
    public static func running(in directory: URL) -> SandboxCluster.State? {
        let file = directory.appendingPathComponent("sandbox.json")
        guard let data = FileManager.default.contents(atPath: file.path),
            let state = try? JSONDecoder().decode(SandboxCluster.State.self, from: data), kill(state.pid, 0) == 0
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

    /// Stops the sandbox of `directory`: SIGTERM, then SIGKILL of its whole process group
    /// (every container process it started) if it has not ended after `grace`.
    public static func stop(directory: URL, grace: Duration = .seconds(20)) async throws {
        guard let state = running(in: directory) else { throw Failure.notRunning(directory: directory.path) }
        kill(state.pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, kill(state.pid, 0) == 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(-state.pid, SIGKILL)
        try? await Task.sleep(for: .milliseconds(100))
        if kill(state.pid, 0) == 0 { throw Failure.didNotStop(pid: state.pid) }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("sandbox.json"))
    }

    private static func spawnDetached(executable: String, arguments: [String], logFile: URL) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26+; not imported into Swift): the sandbox gets its own session and process group.
        posix_spawnattr_setflags(&attributes, Int16(0x80))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, &environment)
        guard result == 0 else {
            throw Failure.startFailed(detail: String(cString: strerror(result)), log: logFile.path)
        }
        return pid
    }
}
