import ChildProcesses
import Foundation
import Sandbox
import Testing

/// Running the real `kubectl` and the built `kbridge` from tests.
enum Tools {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The repository's root, found from this file.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let storefront = repository.appendingPathComponent("samples/storefront")
    static let storefrontImages = storefront.appendingPathComponent("sandbox-images.yaml").path
    static let storefrontManifests = storefront.appendingPathComponent("k8s").path

    /// The `kbridge` binary built beside these tests.
    static var kbridge: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("kbridge").path
    }

    /// The `kbridge-testserver` binary built beside these tests (the routing tests' servers).
    static var kbridgeTestserver: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("kbridge-testserver").path
    }

    /// The `kbridge-agent` binary built beside these tests.
    static var kbridgeAgent: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("kbridge-agent").path
    }

    static func locate(_ name: String) -> String? {
        ProcessSpawner.locate(name, path: ProcessInfo.processInfo.environment["PATH"])
    }

    /// How long a program asked to stop (SIGTERM) has before it is killed: a give-back under the
    /// load of the whole suite on two cores has been seen to take more than 10 s.
    static let stopGrace = Duration.seconds(90)

    /// Runs a program to its end (killed after `timeout`) and returns what it printed.
    /// (`ProcessSpawner`, not Foundation's `Process`: see why there.)
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(120), environment: [String: String] = [:]) async throws -> Result {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-tool-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out").path
        let err = folder.appendingPathComponent("err").path
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let pid = try ProcessSpawner.spawn(.init(executable: executable, arguments: arguments, environment: env, output: out, errors: err))

        var status: Int32 = 0
        let deadline = ContinuousClock.now + timeout
        var stopping: ContinuousClock.Instant?
        while waitpid(pid, &status, WNOHANG) == 0 {
            // A stopped program may take its time to give back (tests never judge time): it is
            // killed only when it outlives the timeout, or `stopGrace` after being asked to stop.
            let killAt = stopping.map { $0 + stopGrace } ?? deadline
            if ContinuousClock.now >= killAt {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            // Cancelling the task asks the program to stop, as Ctrl-C would.
            if Task.isCancelled, stopping == nil {
                kill(pid, SIGTERM)
                stopping = .now
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return Result(
            status: ProcessSpawner.exitCode(fromWaitStatus: status),
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        )
    }

    /// `kubectl --kubeconfig K [--context C] ARGS`; fails the test if kubectl is not installed.
    static func kubectl(_ kubeconfig: String, context: String? = nil, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> Result {
        let kubectl = try #require(locate("kubectl"), "kubectl must be installed: it is the conformance check of the sandbox")
        var all = ["--kubeconfig", kubeconfig]
        if let context { all += ["--context", context] }
        // A private discovery cache per call: sandboxes reuse ports across tests.
        all += ["--cache-dir", NSTemporaryDirectory() + "kbridge-kubectl-cache-\(UUID().uuidString.prefix(8))"]
        return try await run(kubectl, all + arguments, timeout: timeout)
    }
}
