import ChildProcesses
import Foundation

/// The developer's command, run with the pod's environment. It shares this terminal (stdin,
/// stdout, stderr and the foreground process group, so Ctrl-C reaches it as it would without
/// kbridge); its exit code becomes kbridge's.
final class LocalCommand: Sendable {
    private let process: ChildProcess

    /// `launcher`: what starts the command (`ParentDeath`: it ends when kbridge dies, even by SIGKILL).
    init(arguments: [String], environment: [String: String], launcher: [String]) throws(SessionError) {
        guard let name = arguments.first else { throw .localCommandFailed("no command given") }
        guard let executable = ProcessSpawner.locate(name, path: environment["PATH"]) else {
            throw .localCommandFailed("\(name): command not found in PATH")
        }
        do {
            var request = ProcessSpawner.Request(executable: executable, arguments: Array(arguments.dropFirst()), environment: environment, output: nil)
            request.launcher = launcher
            process = try ChildProcess(spawning: request)
        } catch {
            throw .localCommandFailed(error.description)
        }
    }

    var isRunning: Bool { process.isRunning }
    var pid: pid_t { process.pid }

    /// Its exit code (128 + signal when a signal ended it), once it has ended.
    func waitForExit() async -> Int32 {
        await process.waitForExit()
    }

    /// Sends `signal`, and SIGKILL if it is still running after `grace`; returns the exit code.
    func stop(signal: Int32, grace: Duration) async -> Int32 {
        if process.isRunning { kill(process.pid, signal) }
        if await !process.waitForExit(within: grace) { kill(process.pid, SIGKILL) }
        return await process.waitForExit()
    }
}
