import Foundation
import KubernetesClient
import Logging
import Sandbox

/// Runs `body` with a sandbox cluster of its own, in this process, and stops the sandbox and
/// every process it started before returning, whether `body` returned or threw.
///
/// ```swift
/// try await withTestSandbox(imageFiles: [storefrontImages]) { sandbox in
///     let client = try sandbox.client()
///     ...
/// }
/// ```
public func withTestSandbox<Result: Sendable>(
    imageFiles: [String] = [], watchHistory: Int = 5000, logLevel: Logger.Level = .critical,
    _ body: (TestSandbox) async throws -> Result
) async throws -> Result {
    let sandbox = try await TestSandbox.start(imageFiles: imageFiles, watchHistory: watchHistory, logLevel: logLevel)
    do {
        let result = try await body(sandbox)
        await sandbox.stop()
        return result
    } catch {
        await sandbox.stop()
        throw error
    }
}

/// A sandbox cluster for tests, in this process. Use `withTestSandbox`, which owns its lifetime.
public final class TestSandbox: Sendable {
    public let directory: URL
    public let state: SandboxCluster.State
    private let task: Task<Void, any Error>

    private init(directory: URL, state: SandboxCluster.State, task: Task<Void, any Error>) {
        self.directory = directory
        self.state = state
        self.task = task
    }

    public var kubeconfigPath: String { state.kubeconfig }

    /// Starts a sandbox in a new temporary directory and returns once its node is registered.
    /// The caller must `stop()` it; `withTestSandbox` does.
    public static func start(imageFiles: [String] = [], watchHistory: Int = 5000, logLevel: Logger.Level = .critical) async throws -> TestSandbox {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-test-\(UUID().uuidString.prefix(8))")
        // Closed to others, as `mktemp -d` makes it: containers running as another user must reach their files all the same.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var options = SandboxCluster.Options(directory: directory, imageFiles: imageFiles)
        options.watchHistory = watchHistory
        var logger = Logger(label: "test-sandbox")
        logger.logLevel = logLevel
        let cluster = SandboxCluster(options: options, logger: logger)
        let (ready, readyContinuation) = AsyncThrowingStream<SandboxCluster.State, any Error>.makeStream()
        let task = Task {
            do {
                try await cluster.run { state in readyContinuation.yield(state) }
                readyContinuation.finish()
            } catch {
                readyContinuation.finish(throwing: error)
                throw error
            }
        }
        for try await state in ready {
            return TestSandbox(directory: directory, state: state, task: task)
        }
        throw CancellationError()
    }

    /// A client for one of the kubeconfig's contexts (`sandbox` or `sandbox-token`).
    public func client(context: String? = nil, namespace: String? = nil) throws -> KubernetesClient {
        try KubernetesClient(kubeconfig: kubeconfigPath, context: context, namespace: namespace)
    }

    /// Stops the sandbox and every process it started, and removes its directory.
    public func stop() async {
        task.cancel()
        _ = await task.result
        try? FileManager.default.removeItem(at: directory)
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
