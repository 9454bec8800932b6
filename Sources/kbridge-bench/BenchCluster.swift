import BridgeTunnel
import Foundation
import KubernetesClient
import Logging

/// The real node to measure: its admin kubeconfig, and the script that starts it and imports the
/// images (`bench/real-node-up`, given the release build's folder), run right before its scenarios.
struct RealNodeTarget: Sendable {
    var kubeconfig: String
    var prepare: String?
}

/// A cluster the benchmark runs on, with the echo service the session redirects and a second one
/// the local process calls: a sandbox it starts (`kbridge sandbox up --detach`, release build), or
/// the real node of `../shared/real-node` (`bench/run` starts it and imports the images), in a
/// namespace of its own.
struct BenchCluster: Sendable {
    static let echoPort = 9000
    /// The image `bench/run` imports into the real node's containerd: `kbridge-bench echo --port 9000`.
    static let realNodeEchoImage = "local/kbridge-bench:1"

    enum Kind: Sendable { case sandbox, realNode(admin: KubernetesClient, namespace: String) }

    let kind: Kind
    let binaries: BenchBinaries
    let directory: URL
    let client: KubernetesClient
    let kubeconfig: String

    /// Starts the sandbox; its port-forward relay delays every message by `portForwardDelayMilliseconds`, both ways.
    static func start(binaries: BenchBinaries, directory: URL, portForwardDelayMilliseconds: Int = 0) async throws -> BenchCluster {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let images = directory.appendingPathComponent("bench-images.yaml")
        // The agent measured is the lean `kbridge-agent` the image ships, not the agent that a
        // sandbox started by kbridge runs from kbridge itself.
        try """
            images:
              bench/echo:1:
                command: [\(binaries.bench), echo, --port, "\(echoPort)"]
              \(AgentImage.default):
                command: [\(binaries.agent)]
            """.write(to: images, atomically: true, encoding: .utf8)
        let arguments = [
            "sandbox", "up", "--dir", directory.appendingPathComponent("cluster").path, "--detach", "--images", images.path,
            "--port-forward-delay", String(portForwardDelayMilliseconds),
        ]
        let status = try runToEnd(binaries.kbridge, arguments, log: directory.appendingPathComponent("sandbox-up.log"))
        guard status == 0 else { throw BenchFailure("kbridge sandbox up failed (\(status)); see \(directory.path)/sandbox-up.log") }
        let kubeconfig = directory.appendingPathComponent("cluster/kubeconfig").path
        var logger = Logger(label: "kbridge-bench")
        logger.logLevel = .warning
        return BenchCluster(kind: .sandbox, binaries: binaries, directory: directory, client: try KubernetesClient(kubeconfig: kubeconfig, logger: logger), kubeconfig: kubeconfig)
    }

    /// A namespace of its own on the real node whose admin kubeconfig is `admin`; `stop` deletes it.
    static func onRealNode(admin kubeconfig: String, binaries: BenchBinaries, directory: URL) async throws -> BenchCluster {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "kbridge-bench")
        logger.logLevel = .warning
        let admin = try KubernetesClient(kubeconfig: kubeconfig, logger: logger)
        let namespace = "kbridge-bench-\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await admin.createRaw(.namespaces, ["metadata": ["name": .string(namespace)]])
        do {
            return try await inNamespace(namespace, admin: admin, adminKubeconfig: kubeconfig, logger: logger, binaries: binaries, directory: directory)
        } catch {
            try? await admin.delete(.namespaces, name: namespace)
            throw error
        }
    }

    /// A client and a kubeconfig of the admin's whose context works in `namespace`, once the
    /// namespace can take pods.
    private static func inNamespace(
        _ namespace: String, admin: KubernetesClient, adminKubeconfig kubeconfig: String, logger: Logger, binaries: BenchBinaries, directory: URL
    ) async throws -> BenchCluster {
        var config = try KubeconfigLoader().load(explicitPath: kubeconfig)
        guard let context = config?.currentContext else { throw BenchFailure("\(kubeconfig) names no current context") }
        config?.contexts[context]?.namespace = namespace
        let namespaced = directory.appendingPathComponent("kubeconfig")
        try config?.yaml().write(to: namespaced, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: namespaced.path)
        let client = try KubernetesClient(kubeconfig: namespaced.path, logger: logger)
        // A new namespace's service account gets its token a moment later; until then 1.20 refuses pods.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, try await !client.listRaw(.secrets).items.contains(where: { $0[path: "type"]?.stringValue == "kubernetes.io/service-account-token" }) {
            try await Task.sleep(for: .milliseconds(200))
        }
        return BenchCluster(kind: .realNode(admin: admin, namespace: namespace), binaries: binaries, directory: directory, client: client, kubeconfig: namespaced.path)
    }

    /// Gives back what `start` or `onRealNode` made: the sandbox stopped, or the namespace deleted
    /// (waiting up to 2 minutes for its pods to go).
    func stop() async {
        switch kind {
        case .sandbox:
            _ = try? runToEnd(binaries.kbridge, ["sandbox", "down", "--dir", directory.appendingPathComponent("cluster").path], log: directory.appendingPathComponent("sandbox-down.log"))
        case .realNode(let admin, let namespace):
            try? await admin.delete(.namespaces, name: namespace)
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline, (try? await admin.getRaw(.namespaces, name: namespace)) != nil {
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// How the figures of this cluster are titled: the sandbox's plainly, the real node's marked.
    func titled(_ scenario: String) -> String {
        if case .realNode = kind { return "real node: \(scenario)" }
        return scenario
    }

    /// The cluster's processes on the port-forward path, whose CPU time per round trip is reported:
    /// the sandbox's one process (API server, controllers, kubelet and kube-proxy), or the real
    /// node's API server, kubelet and containerd (whose CRI streaming server the kubelet's
    /// port-forward goes through; kube-proxy is iptables, in the kernel).
    var processes: [(String, Int32?)] {
        switch kind {
        case .sandbox:
            let state = try? JSONValue.parse(Data(contentsOf: directory.appendingPathComponent("cluster/sandbox.json")))
            return [("sandbox (API server, kubelet, kube-proxy)", state?["pid"]?.intValue.map { Int32($0) })]
        case .realNode:
            return ["kube-apiserver", "kubelet", "containerd"].map { name in (name, ProcessStats.find(name, arguments: []).min()) }
        }
    }

    /// A Deployment of one echo pod named `name` (it answers `hello from NAME`) and its Service.
    func deployEcho(_ name: String) async throws {
        let labels: JSONValue = .object(["app": .string(name)])
        let deployment: JSONValue = .object([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": .object(["name": .string(name)]),
            "spec": .object([
                "replicas": .integer(1),
                "selector": .object(["matchLabels": labels]),
                "template": .object([
                    "metadata": .object(["labels": labels]),
                    "spec": .object([
                        "containers": .array([
                            .object([
                                "name": "echo", "image": .string(echoImage), "imagePullPolicy": "IfNotPresent",
                                "env": .array([.object(["name": "ECHO_NAME", "value": .string(name)])]),
                                "ports": .array([.object(["containerPort": .integer(Int64(Self.echoPort))])]),
                                "readinessProbe": .object(["tcpSocket": .object(["port": .integer(Int64(Self.echoPort))]), "periodSeconds": .integer(1)]),
                            ])
                        ])
                    ]),
                ]),
            ]),
        ])
        _ = try await client.createRaw(.deployments, deployment)
        try await createService(name, selector: labels)
    }

    private var echoImage: String {
        if case .realNode = kind { return Self.realNodeEchoImage }
        return "bench/echo:1"
    }

    func createService(_ name: String, selector: JSONValue, namespace: String? = nil) async throws {
        let service: JSONValue = .object([
            "apiVersion": "v1", "kind": "Service",
            "metadata": .object(["name": .string(name)]),
            "spec": .object([
                "selector": selector,
                "ports": .array([.object(["port": .integer(Int64(Self.echoPort)), "targetPort": .integer(Int64(Self.echoPort))])]),
            ]),
        ])
        _ = try await client.createRaw(.services, service, namespace: namespace)
    }

    func clusterIP(of service: String) async throws -> String {
        let found = try await client.getRaw(.services, name: service)
        guard let ip = found[path: "spec", "clusterIP"]?.stringValue else { throw BenchFailure("service \(service) has no cluster IP") }
        return ip
    }

    /// The running pod of `app`, once its answer comes through its service: its name and IP.
    func waitForEcho(_ app: String, timeout: Duration = .seconds(90)) async throws -> (pod: String, ip: String) {
        let serviceIP = try await clusterIP(of: app)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let pods = try await client.listRaw(.pods, options: .init(labelSelector: "app=\(app)")).items
            let running = pods.first { pod in
                pod[path: "status", "phase"]?.stringValue == "Running" && pod[path: "metadata", "deletionTimestamp"] == nil
            }
            if let running, let name = running[path: "metadata", "name"]?.stringValue, let ip = running[path: "status", "podIP"]?.stringValue,
                (try? await Probes.hello({ try await TunnelRelay.connect(host: serviceIP, port: Self.echoPort) })) == "hello from \(app)"
            {
                return (name, ip)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure("the \(app) pod did not answer through its service within \(timeout)")
    }
}
