import ChildProcesses
import Foundation
import Synchronization

/// One run of a container: a local process with the container's argv and environment, its
/// output appended to a log file.
///
/// Each run has a process group of its own, so that SIGKILL takes its children too.
final class ContainerProcess: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case executableNotFound(String)
        case spawnFailed(String)

        var description: String {
            switch self {
            case .executableNotFound(let name): return "exec: \"\(name)\": executable file not found in $PATH"
            case .spawnFailed(let detail): return detail
            }
        }
    }

    private struct State {
        var exitCode: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    private let state = Mutex(State())
    let processIdentifier: pid_t

    /// Starts the process now, in a process group of its own.
    init(argv: [String], environment: [String: String], workingDirectory: URL, logFile: URL) throws(Failure) {
        guard let first = argv.first, let executable = ProcessSpawner.locate(first, path: environment["PATH"]) else {
            throw .executableNotFound(argv.first ?? "")
        }
        try? FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(.init(
                executable: executable, arguments: Array(argv.dropFirst()), environment: environment,
                workingDirectory: workingDirectory.path, output: logFile.path, grouping: .newProcessGroup
            ))
        } catch {
            throw .spawnFailed(error.description)
        }
        processIdentifier = pid
        Thread.detachNewThread { [self, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            finish(ProcessSpawner.exitCode(fromWaitStatus: status))
        }
    }

    private func finish(_ code: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.exitCode = code
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: code) }
    }

    var isRunning: Bool { state.withLock { $0.exitCode == nil } }

    /// Waits until the process ends; returns its exit code (128 + signal when killed).
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = state.withLock { state -> Int32? in
                if let code = state.exitCode { return code }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    /// SIGTERM, then SIGKILL to the whole process group if it is still running after the grace period.
    func terminate(grace: Duration) async {
        guard isRunning else { return }
        kill(processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isRunning { kill(-processIdentifier, SIGKILL) }
        _ = await waitForExit()
        kill(-processIdentifier, SIGKILL)
    }
}
