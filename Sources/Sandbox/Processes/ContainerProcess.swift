import ChildProcesses
import Foundation

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

    /// How a container is isolated when the kubelet can (see `ContainerLaunch`).
    struct Isolation: Sendable {
        var launch: ContainerLaunch
        var user: ContainerLaunch.User?
        /// Files bind-mounted over the container's view of the machine's (`/etc/resolv.conf`, `/etc/hosts`).
        var files: [(target: String, source: String)]
    }

    /// What the container's standard input is.
    enum Input: Equatable {
        /// /dev/null, as for a container whose spec does not ask for stdin.
        case none
        /// A pipe kept open for attach sessions (`stdin: true`); `once`: closed after the first (`stdinOnce`).
        case attachable(once: Bool)
    }

    private let process: ChildProcess
    var processIdentifier: pid_t { process.pid }
    /// The write end of the container's stdin when it has one.
    let input: ContainerInput?

    /// Starts the process now, in a process group of its own, in `context`.
    init(argv: [String], context: ContainerContext, logFile: URL, input: Input = .none) throws(Failure) {
        let command = try context.argv(argv)
        try? FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        var request = ProcessSpawner.Request(
            executable: command[0], arguments: Array(command.dropFirst()), environment: context.environment,
            workingDirectory: context.spawnDirectory, output: logFile.path, grouping: .newProcessGroup
        )
        if case .attachable(let once) = input {
            do {
                let pipe = try ContainerInput.makePipe(stdinOnce: once)
                request.input = pipe.reading
                self.input = pipe.input
            } catch {
                throw .spawnFailed(error.description)
            }
        } else {
            self.input = nil
        }
        defer { if let reading = request.input { close(reading) } }
        do {
            process = try ChildProcess(spawning: request)
        } catch {
            throw .spawnFailed(error.description)
        }
    }

    var isRunning: Bool { process.isRunning }

    /// Waits until the process ends; returns its exit code (128 + signal when killed).
    func waitForExit() async -> Int32 {
        await process.waitForExit()
    }

    /// SIGTERM, then SIGKILL to the whole process group if it is still running after the grace period.
    func terminate(grace: Duration) async {
        guard isRunning else { return }
        kill(processIdentifier, SIGTERM)
        if await !process.waitForExit(within: grace) { kill(-processIdentifier, SIGKILL) }
        _ = await waitForExit()
        kill(-processIdentifier, SIGKILL)
    }
}
