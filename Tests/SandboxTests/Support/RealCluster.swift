import ChildProcesses
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// Which real Kubernetes the conformance tests run against, from `KBRIDGE_CONFORMANCE`
/// (`real-cluster`: the real control plane with the process kubelet joined; `real-node`: a real
/// kubelet, containerd and kube-proxy). Unset, they are
/// not run: `.ci/run` runs them after the unit tests. Set, a cluster that cannot be set up
/// fails them; they never skip.
enum Conformance {
    static var target: String? { ProcessInfo.processInfo.environment["KBRIDGE_CONFORMANCE"] }
    static var onRealCluster: Bool { target == "real-cluster" }
    static var onRealNode: Bool { target == "real-node" }

    /// `../shared` beside the repository (read-only on CI), or `KBRIDGE_SHARED`.
    static var shared: URL {
        ProcessInfo.processInfo.environment["KBRIDGE_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? Tools.repository.deletingLastPathComponent().appendingPathComponent("shared")
    }
}

/// The real control plane of `../shared/real-cluster` (kube-apiserver, controller-manager and
/// scheduler 1.20.2 with etcd), with the sandbox's process kubelet joined to it as its only node.
enum RealCluster {
    static var home: String {
        ProcessInfo.processInfo.environment["KBRIDGE_REAL_CLUSTER"] ?? (NSHomeDirectory() + "/.cache/kbridge-real-cluster")
    }

    static var adminKubeconfig: String { home + "/kubeconfig" }

    /// Starts the control plane (its `start.sh` is idempotent), fails the test when it cannot.
    static func start() async throws {
        let script = Conformance.shared.appendingPathComponent("real-cluster/start.sh").path
        // One start at a time, whichever suite asks (two at once each take the other's etcd for a
        // stranger's); `--close`: the daemons it starts must not inherit the lock.
        let started = try await Tools.run("/usr/bin/flock", ["--close", NSTemporaryDirectory() + "kbridge-real-cluster.lock", "/bin/bash", script], timeout: .seconds(180))
        try #require(started.status == 0, "the real control plane did not start (\(script)):\n\(started.stdout)\n\(started.stderr)")
    }

    /// Runs `body` with the storefront deployed in a namespace of its own on the real control
    /// plane, served by a process kubelet started for it; removes the namespace, stops the
    /// kubelet and deletes its Node before returning.
    static func withStorefront<Result: Sendable>(_ body: (Storefront) async throws -> Result) async throws -> Result {
        try await start()
        let admin = try KubernetesClient(kubeconfig: adminKubeconfig)
        let namespace = "kbridge-conformance-\(UUID().uuidString.prefix(6).lowercased())"
        let node = "kbridge-conformance-\(getpid())"
        try await admin.createRaw(.namespaces, ["metadata": ["name": .string(namespace)]])
        let kubeconfig = try namespacedKubeconfig(admin: adminKubeconfig, namespace: namespace)
        let root = NSTemporaryDirectory() + "kbridge-kubelet-\(UUID().uuidString.prefix(8))"
        let agentImages = try Storefront.agentImageFile()
        let kubelet = try ChildProcess(spawning: .init(
            executable: Tools.kbridge,
            arguments: [
                "sandbox", "kubelet", "--kubeconfig", adminKubeconfig, "--node-name", node, "--root", root,
                "--images", Tools.storefrontImages, "--images", agentImages,
            ],
            environment: ProcessInfo.processInfo.environment, output: root + ".log", errors: root + ".log"
        ))
        func tearDown() async {
            await deleteNamespace(namespace, admin: admin)
            kill(kubelet.pid, SIGTERM)
            if await !kubelet.waitForExit(within: .seconds(20)) { kill(kubelet.pid, SIGKILL) }
            try? await admin.delete(.nodes, name: node)
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: kubeconfig)
        }
        do {
            let ready = await TestSandbox.eventually(timeout: .seconds(60)) {
                try await admin.get(Node.self, name: node).status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
            }
            let log = (try? String(contentsOfFile: root + ".log", encoding: .utf8)) ?? ""
            try #require(ready, "the process kubelet joined the real API server as node \(node):\n\(log)")
            let storefront = try await Storefront.deploy(kubeconfig: kubeconfig)
            let result = try await body(storefront)
            await tearDown()
            return result
        } catch {
            await tearDown()
            throw error
        }
    }

    /// Deletes a namespace and waits (a while) until its pods are gone with it.
    static func deleteNamespace(_ namespace: String, admin: KubernetesClient) async {
        try? await admin.delete(.namespaces, name: namespace)
        _ = await TestSandbox.eventually(timeout: .seconds(120)) { (try? await admin.getRaw(.namespaces, name: namespace)) == nil }
    }

    /// A copy of the `admin` kubeconfig whose context works in `namespace`.
    static func namespacedKubeconfig(admin: String, namespace: String) throws -> String {
        var config = try #require(try KubeconfigLoader().load(explicitPath: admin))
        let current = try #require(config.currentContext)
        config.contexts[current]?.namespace = namespace
        let file = NSTemporaryDirectory() + "kbridge-\(namespace).kubeconfig"
        try config.yaml().write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}
