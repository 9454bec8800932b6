import BridgeTunnel
import Foundation
import KubernetesClient
import Logging

/// A sandbox started for the benchmark (`kbridge sandbox up --detach`, release build), with the
/// echo service the session redirects and a second one the local process calls.
struct BenchCluster: Sendable {
    static let echoPort = 9000

    let binaries: BenchBinaries
    let directory: URL
    let client: KubernetesClient
    let kubeconfig: String

    /// Starts the sandbox; its port-forward relay delays every message by `portForwardDelayMilliseconds`, both ways.
    static func start(binaries: BenchBinaries, directory: URL, portForwardDelayMilliseconds: Int = 0) async throws -> BenchCluster {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let images = directory.appendingPathComponent("bench-images.yaml")
        try """
            images:
              bench/echo:1:
                command: [\(binaries.bench), echo, --port, "\(echoPort)"]
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
        return BenchCluster(binaries: binaries, directory: directory, client: try KubernetesClient(kubeconfig: kubeconfig, logger: logger), kubeconfig: kubeconfig)
    }

    func stop() {
        _ = try? runToEnd(binaries.kbridge, ["sandbox", "down", "--dir", directory.appendingPathComponent("cluster").path], log: directory.appendingPathComponent("sandbox-down.log"))
    }

    /// The sandbox's own process (API server, controllers and the process kubelet).
    var sandboxPID: Int32? {
        let state = try? JSONValue.parse(Data(contentsOf: directory.appendingPathComponent("cluster/sandbox.json")))
        return state?["pid"]?.intValue.map { Int32($0) }
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
                                "name": "echo", "image": "bench/echo:1",
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
