import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The real node of `../shared/real-node` (kubelet, containerd, runc, CNI, kube-proxy and cluster
/// DNS 1.20.2, with a control plane of its own), started by `.ci/run` with the agent image built
/// from this repository and a Python image imported into its containerd.
enum RealNode {
    static var home: String {
        ProcessInfo.processInfo.environment["KBRIDGE_REAL_NODE"] ?? (NSHomeDirectory() + "/.cache/kbridge-real-node")
    }

    static var adminKubeconfig: String { home + "/cp/kubeconfig" }

    /// The Python image the storefront's services run in (see `.ci/run`).
    static let pythonImage = "local/python:3.11"

    /// Runs `body` with the storefront, as real containers, in a namespace of its own on the real
    /// node; removes the namespace before returning.
    static func withStorefront<Result: Sendable>(_ body: (Storefront) async throws -> Result) async throws -> Result {
        let admin = try KubernetesClient(kubeconfig: adminKubeconfig)
        let ready = await TestSandbox.eventually(timeout: .seconds(60)) {
            try await admin.list(Node.self).contains { $0.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true }
        }
        try #require(ready, "the real node is Ready (start it with ../shared/real-node/start.sh; .ci/run does)")
        let namespace = "kbridge-conformance-\(UUID().uuidString.prefix(6).lowercased())"
        try await admin.createRaw(.namespaces, ["metadata": ["name": .string(namespace)]])
        do {
            let kubeconfig = try RealCluster.namespacedKubeconfig(admin: adminKubeconfig, namespace: namespace)
            let client = try KubernetesClient(kubeconfig: kubeconfig)
            // A new namespace's service account gets its token a moment later; until then 1.20 refuses pods.
            _ = await TestSandbox.eventually(timeout: .seconds(30)) {
                try await client.listRaw(.secrets).items.contains { $0[path: "type"]?.stringValue == "kubernetes.io/service-account-token" }
            }
            try await client.createRaw(.configMaps, try appConfigMap())
            for object in try Manifest.objects(at: Tools.storefrontManifests) {
                try await client.createRaw(object.type, object.type == .deployments ? inContainers(object.body) : object.body)
            }
            let storefront = try await Storefront.waitUntilAnswering(kubeconfig: kubeconfig)
            let result = try await body(storefront)
            await RealCluster.deleteNamespace(namespace, admin: admin)
            return result
        } catch {
            await RealCluster.deleteNamespace(namespace, admin: admin)
            throw error
        }
    }

    /// The storefront's Python files, which the Python image runs from `/app`.
    static func appConfigMap() throws -> JSONValue {
        let folder = Tools.storefront.appendingPathComponent("app")
        var data: [String: JSONValue] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".py") {
            data[file] = .string(try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
        }
        return ["metadata": ["name": "storefront-app"], "data": .object(data)]
    }

    /// A storefront Deployment as it runs in real containers: the Python image, the service's
    /// script from the `storefront-app` ConfigMap (image `storefront/api:1` runs `/app/api.py`).
    static func inContainers(_ deployment: JSONValue) -> JSONValue {
        var result = deployment
        var containers = deployment[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
        for index in containers.indices {
            let image = containers[index]["image"]?.stringValue ?? ""
            let service = image.split(separator: "/").last?.split(separator: ":").first.map(String.init) ?? ""
            containers[index]["image"] = .string(pythonImage)
            containers[index]["imagePullPolicy"] = "IfNotPresent"
            containers[index]["command"] = ["/usr/bin/python3", .string("/app/\(service).py")]
            var mounts = containers[index]["volumeMounts"]?.arrayValue ?? []
            mounts.append(["name": "storefront-app", "mountPath": "/app"])
            containers[index]["volumeMounts"] = .array(mounts)
        }
        result["spec"]?["template"]?["spec"]?["containers"] = .array(containers)
        var volumes = deployment[path: "spec", "template", "spec", "volumes"]?.arrayValue ?? []
        volumes.append(["name": "storefront-app", "configMap": ["name": "storefront-app"]])
        result["spec"]?["template"]?["spec"]?["volumes"] = .array(volumes)
        return result
    }
}
