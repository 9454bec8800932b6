import ChildProcesses
import Foundation
import Synchronization

/// The developer's command, run with the pod's environment. It shares this terminal (stdin,
/// stdout, stderr and the foreground process group, so Ctrl-C reaches it as it would without
/// kbridge); its exit code becomes kbridge's.
final class LocalCommand: Sendable {
    private let exit = Mutex<(code: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))
    let pid: pid_t

    init(arguments: [String], environment: [String: String]) throws(SessionError) {
        guard let name = arguments.first else { throw .localCommandFailed("no command given") }
        guard let executable = ProcessSpawner.locate(name, path: environment["PATH"]) else {
            throw .localCommandFailed("\(name): command not found in PATH")
        }
        do {
            pid = try ProcessSpawner.spawn(.init(executable: executable, arguments: Array(arguments.dropFirst()), environment: environment, output: nil))
        } catch {
            throw .localCommandFailed(error.description)
        }
        Thread.detachNewThread { [self, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            finish(ProcessSpawner.exitCode(fromWaitStatus: status))
        }
    }

    private func finish(_ code: Int32) {
        let waiters = exit.withLock { state in
            state.code = code
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: code) }
    }

    var isRunning: Bool { exit.withLock { $0.code == nil } }

    /// Its exit code (128 + signal when a signal ended it), once it has ended.
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = exit.withLock { state -> Int32? in
                if let code = state.code { return code }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    /// Sends `signal`, and SIGKILL if it is still running after `grace`; returns the exit code.
    func stop(signal: Int32, grace: Duration) async -> Int32 {
        if isRunning { kill(pid, signal) }
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isRunning { kill(pid, SIGKILL) }
        return await waitForExit()
    }
}
