import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The requests kbridge and the process kubelet make, sent to the sandbox's API server and to a
/// real kube-apiserver 1.20.2, and the answers compared once what must differ is removed (uids,
/// resource versions, timestamps, generated names, allocated addresses). Differences a client
/// could rely on fail the test unless listed in `knownDifferences` (and in the README).
@Suite(.serialized, .enabled(if: Conformance.onRealCluster, "set KBRIDGE_CONFORMANCE=real-cluster (.ci/run does)"))
struct DifferentialTests {
    /// How one request ended, reduced to what a client may rely on.
    enum Outcome: Equatable, CustomStringConvertible {
        case object(JSONValue)
        case status(code: Int, reason: String?, message: String?)
        case events([String])
        case other(String)

        var description: String {
            switch self {
            case .object(let value): return value.jsonString
            case .status(let code, let reason, let message): return "\(code) \(reason ?? "-"): \(message ?? "")"
            case .events(let types): return "events \(types)"
            case .other(let text): return text
            }
        }
    }

    /// One named exchange: what it does with a client in a namespace of its own.
    struct Exchange: Sendable {
        var name: String
        var run: @Sendable (_ client: KubernetesClient, _ namespace: String) async -> Outcome
    }

    /// Differences found and kept (each is in the README's list), by exchange name: 1.20 mounts
    /// a service account's token Secret (`default-token-…`); the sandbox a projected bound token
    /// (`kube-api-access-…`), as 1.21 and later do.
    static let knownDifferences: Set<String> = ["a bare pod (defaults)"]

    static func outcome(_ work: () async throws -> JSONValue) async -> Outcome {
        do {
            var object = normalized(try await work())
            // A workload's status is its controllers', written while the exchanges run: not comparable.
            if ["Deployment", "Scale"].contains(object["kind"]?.stringValue ?? "") { object["status"] = nil }
            return .object(object)
        } catch let error as KubernetesError {
            if case .api(let status, _) = error { return .status(code: status.code, reason: status.reason, message: status.message) }
            return .other(error.description)
        } catch {
            return .other("\(error)")
        }
    }

    /// Removes what differs between any two servers: identities, versions, times, addresses.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var object):
            for key in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "managedFields", "selfLink", "clusterIP", "clusterIPs",
                        "lastTransitionTime", "lastUpdateTime", "lastProbeTime", "lastHeartbeatTime", "startTime", "continue"] {
                object[key] = nil
            }
            if let generated = object["generateName"]?.stringValue, let name = object["name"]?.stringValue, name.hasPrefix(generated) {
                object["name"] = .string(generated + "<generated>")
            }
            if let namespace = object["namespace"]?.stringValue, namespace.hasPrefix("kbridge-diff-") { object["namespace"] = "<namespace>" }
            return .object(object.mapValues(normalized))
        case .array(let array):
            return .array(array.map(normalized))
        case .string(let text) where text.contains("kbridge-diff-"):
            return .string(text.replacingOccurrences(of: #"kbridge-diff-[a-z0-9]+"#, with: "<namespace>", options: .regularExpression))
        default:
            return value
        }
    }

    static let configMap: JSONValue = ["metadata": ["name": "settings", "labels": ["app": "diff"]], "data": ["MODE": "test"]]
    static let deployment: JSONValue = [
        "metadata": ["name": "web"],
        "spec": [
            "replicas": 2, "selector": ["matchLabels": ["app": "web"]],
            "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "storefront/web:1", "ports": [["containerPort": 8080]]]]]],
        ],
    ]

    static let exchanges: [Exchange] = [
        Exchange(name: "create a ConfigMap") { client, ns in await outcome { try await client.createRaw(.configMaps, configMap, namespace: ns) } },
        Exchange(name: "create it again (409 AlreadyExists)") { client, ns in await outcome { try await client.createRaw(.configMaps, configMap, namespace: ns) } },
        Exchange(name: "get a missing object (404)") { client, ns in await outcome { try await client.getRaw(.configMaps, name: "nope", namespace: ns) } },
        Exchange(name: "get in a missing namespace (404)") { client, _ in await outcome { try await client.getRaw(.configMaps, name: "nope", namespace: "kbridge-diff-missing") } },
        Exchange(name: "list by label") { client, ns in
            await outcome { .array(try await client.listRaw(.configMaps, namespace: ns, options: ListOptions(labelSelector: "app=diff")).items) }
        },
        Exchange(name: "list in a missing namespace (empty)") { client, _ in
            await outcome { .array(try await client.listRaw(.configMaps, namespace: "kbridge-diff-missing").items) }
        },
        Exchange(name: "JSON patch whose test fails (422)") { client, ns in
            await outcome { try await client.patchRaw(.configMaps, name: "settings", namespace: ns, .json([.test("/data/MODE", "prod"), .replace("/data/MODE", "x")])) }
        },
        Exchange(name: "JSON patch whose test holds") { client, ns in
            await outcome { try await client.patchRaw(.configMaps, name: "settings", namespace: ns, .json([.test("/data/MODE", "test"), .replace("/data/MODE", "live")])) }
        },
        Exchange(name: "merge patch") { client, ns in
            await outcome { try await client.patchRaw(.configMaps, name: "settings", namespace: ns, .merge(["data": ["EXTRA": "1"]])) }
        },
        Exchange(name: "create a Deployment (defaults)") { client, ns in await outcome { try await client.createRaw(.deployments, deployment, namespace: ns) } },
        Exchange(name: "strategic merge patch of a container") { client, ns in
            await outcome {
                try await client.patchRaw(.deployments, name: "web", namespace: ns, .strategicMerge([
                    "spec": ["template": ["spec": ["containers": [["name": "web", "env": [["name": "A", "value": "1"]]]]]]],
                ]))
            }
        },
        Exchange(name: "JSON patch of an annotation with a test of the replicas") { client, ns in
            await outcome {
                try await client.patchRaw(.deployments, name: "web", namespace: ns, .json([
                    .test("/spec/replicas", 2), .add("/metadata/annotations", ["kbridge.dev/original": "{}"]),
                ]))
            }
        },
        Exchange(name: "get the scale subresource") { client, ns in
            await outcome { try await client.getRaw(.deployments, name: "web", namespace: ns, subresource: "scale") }
        },
        Exchange(name: "create a Secret with stringData") { client, ns in
            await outcome { try await client.createRaw(.secrets, ["metadata": ["name": "token"], "stringData": ["token": "s3cret"]], namespace: ns) }
        },
        Exchange(name: "create a Service (defaults)") { client, ns in
            await outcome {
                try await client.createRaw(.services, ["metadata": ["name": "web"], "spec": ["selector": ["app": "web"], "ports": [["port": 80, "targetPort": 8080]]]], namespace: ns)
            }
        },
        Exchange(name: "Endpoints with a loopback address (422)") { client, ns in
            await outcome {
                try await client.createRaw(.endpoints, ["metadata": ["name": "manual"], "subsets": [["addresses": [["ip": "127.0.0.9"]], "ports": [["port": 80]]]]], namespace: ns)
            }
        },
        Exchange(name: "a bare pod (defaults)") { client, ns in
            await outcome { try await client.createRaw(.pods, ["metadata": ["name": "bare"], "spec": ["nodeName": "nobody", "containers": [["name": "c", "image": "x:1"]]]], namespace: ns) }
        },
        Exchange(name: "patch a pod's status (the status it returns)") { client, ns in
            await outcome {
                try await client.patchRaw(.pods, name: "bare", namespace: ns, subresource: "status", .merge(["status": ["phase": "Running", "podIP": "10.1.2.3"]]))["status"] ?? .null
            }
        },
        Exchange(name: "watch a ConfigMap change") { client, ns in
            do {
                let list = try await client.listRaw(.configMaps, namespace: ns, options: ListOptions(labelSelector: "app=diff"))
                let events = client.watchRaw(.configMaps, namespace: ns, options: ListOptions(labelSelector: "app=diff"), resourceVersion: list.resourceVersion, timeoutSeconds: 5)
                try await client.patchRaw(.configMaps, name: "settings", namespace: ns, .merge(["data": ["WATCHED": "1"]]))
                var seen: [String] = []
                for try await event in events where event.type != .bookmark {
                    seen.append("\(event.type.rawValue) \(event.object[path: "data", "WATCHED"]?.stringValue ?? "-")")
                    break
                }
                return .events(seen)
            } catch {
                return .other("\(error)")
            }
        },
        Exchange(name: "delete a Deployment in the background") { client, ns in
            await outcome {
                try await client.delete(.deployments, name: "web", namespace: ns, propagation: .background)
                return "deleted"
            }
        },
        Exchange(name: "get what was deleted (404)") { client, ns in await outcome { try await client.getRaw(.deployments, name: "web", namespace: ns) } },
        Exchange(name: "forbidden for a service account without a role (403)") { client, ns in
            do {
                var connection = client.connection
                connection.tls.clientIdentity = nil
                connection.authentication = .bearerToken(try await client.requestToken(serviceAccount: "default", namespace: ns))
                return await outcome { try await KubernetesClient(connection: connection).getRaw(.configMaps, name: "settings", namespace: ns) }
            } catch {
                return .other("\(error)")
            }
        },
        Exchange(name: "a wrong token (401)") { client, ns in
            var connection = client.connection
            connection.tls.clientIdentity = nil
            connection.authentication = .bearerToken("not-a-token")
            return await outcome { try await KubernetesClient(connection: connection).getRaw(.configMaps, name: "settings", namespace: ns) }
        },
    ]

    /// kubectl's typed creates send protobuf: each, dry-run on the server, must come back from the
    /// sandbox as from kube-apiserver (what it read, and the defaults it filled in).
    @Test func typedCreatesFromKubectlReadAsTheRealAPIServerReadsThem() async throws {
        try await RealCluster.start()
        let namespace = "kbridge-diff-\(UUID().uuidString.prefix(6).lowercased())"
        let real = try KubernetesClient(kubeconfig: RealCluster.adminKubeconfig)
        try await withTestSandbox { sandbox in
            try await sandbox.client().createRaw(.namespaces, ["metadata": ["name": .string(namespace)]])
            try await real.createRaw(.namespaces, ["metadata": ["name": .string(namespace)]])
            var differences: [String] = []
            for arguments in [
                ["deployment", "web", "--image=example/web:1", "--replicas=0", "--port=8080"],
                ["deployment", "api", "--image=example/api:1", "--replicas=3"],
                ["service", "clusterip", "web", "--tcp=80:8080"],
                ["configmap", "settings", "--from-literal=mode=fast", "--from-literal=empty="],
                ["secret", "generic", "password", "--from-literal=value=pa$$word"],
                ["serviceaccount", "robot"],
                ["role", "reader", "--verb=get,list", "--resource=pods,services"],
                ["rolebinding", "robot-reads", "--role=reader", "--serviceaccount=\(namespace):robot"],
                ["ingress", "front", "--rule=shop.example.com/=web:80"],
            ] {
                var outcomes: [JSONValue] = []
                for kubeconfig in [RealCluster.adminKubeconfig, sandbox.kubeconfigPath] {
                    let created = try await Tools.kubectl(kubeconfig, ["create", "-n", namespace, "--dry-run=server", "-o", "json"] + arguments)
                    outcomes.append(created.status == 0 ? Self.normalized((try? JSONValue.parse(Data(created.stdout.utf8))) ?? .string(created.stdout)) : .string(created.stderr))
                }
                if outcomes[0] != outcomes[1] {
                    differences.append("create \(arguments.joined(separator: " ")):\n  real:    \(outcomes[0].jsonString)\n  sandbox: \(outcomes[1].jsonString)")
                }
            }
            await RealCluster.deleteNamespace(namespace, admin: real)
            #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        }
    }

    @Test func theSandboxAnswersAsTheRealAPIServerDoes() async throws {
        try await RealCluster.start()
        let real = try KubernetesClient(kubeconfig: RealCluster.adminKubeconfig)
        let namespace = "kbridge-diff-\(UUID().uuidString.prefix(6).lowercased())"
        try await withTestSandbox { sandbox in
            let local = try sandbox.client()
            for client in [real, local] { try await client.createRaw(.namespaces, ["metadata": ["name": .string(namespace)]]) }
            // A new namespace's service account gets its token a moment later.
            for client in [real, local] {
                _ = await TestSandbox.eventually(timeout: .seconds(30)) { (try? await client.getRaw(.serviceAccounts, name: "default", namespace: namespace)) != nil }
            }
            var differences: [String] = []
            for exchange in Self.exchanges {
                let fromReal = await exchange.run(real, namespace)
                let fromSandbox = await exchange.run(local, namespace)
                if fromReal != fromSandbox, !Self.knownDifferences.contains(exchange.name) {
                    differences.append("\(exchange.name):\n  real:    \(fromReal)\n  sandbox: \(fromSandbox)")
                }
            }
            await RealCluster.deleteNamespace(namespace, admin: real)
            #expect(differences.isEmpty, "\(differences.count) of \(Self.exchanges.count) exchanges differ:\n\(differences.joined(separator: "\n"))")
        }
    }
}
