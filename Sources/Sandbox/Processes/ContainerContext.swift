import ChildProcesses
import Foundation

/// What a container's processes start with: its environment, working directory and isolation,
/// decided when the container starts and kept so that `exec` runs commands as the container runs.
struct ContainerContext: Sendable {
    var environment: [String: String]
    /// As the container sees it (isolated: under `ContainerLaunch.podMountPoint`).
    var workingDirectory: URL
    var isolation: ContainerProcess.Isolation?

    /// Where the process is started from: an isolated one changes into its working directory
    /// once its pod's folder is mounted.
    var spawnDirectory: String { isolation == nil ? workingDirectory.path : "/" }

    /// The argv that starts `command` in this context: its executable found on the container's
    /// `PATH`, isolated as the container is.
    func argv(_ command: [String]) throws(ContainerProcess.Failure) -> [String] {
        guard let first = command.first, let located = ProcessSpawner.locate(first, path: environment["PATH"]) else {
            throw .executableNotFound(command.first ?? "")
        }
        let argv = [located] + command.dropFirst()
        guard let isolation else { return argv }
        return isolation.launch.wrap(argv, user: isolation.user, files: isolation.files, workingDirectory: workingDirectory.path)
    }
}
