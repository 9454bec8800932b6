import Foundation
import NIOCore
import SandboxTesting
import Testing

@testable import KubernetesClient

/// The client against a real API server (the sandbox's), over HTTPS.
@Suite struct ClientAgainstSandboxTests {
    @Test func authenticatesWithClientCertificateAndWithToken() async throws {
        try await withTestSandbox() { sandbox in
            for context in ["sandbox", "sandbox-token"] {
                let names = try await sandbox.client(context: context).listRaw(.namespaces).items.compactMap { $0[path: "metadata", "name"]?.stringValue }
                #expect(names.contains("default"), "context \(context)")
            }
        }
    }

    @Test func authenticatesThroughAnExecPlugin() async throws {
        try await withTestSandbox() { sandbox in
            let base = try KubeconfigLoader().load(explicitPath: sandbox.kubeconfigPath)!
            let token = try #require(base.users["sandbox-token"]?.token)
            var config = base
            config.users["plugin"] = .init(exec: .init(apiVersion: "client.authentication.k8s.io/v1beta1", command: ExecCredentialPluginTests.script, env: [.init(name: "PLUGIN_TOKEN", value: token)]))
            config.contexts["plugin"] = .init(cluster: "sandbox", user: "plugin")
            let client = KubernetesClient(connection: try config.connection(context: "plugin"))
            #expect(try await client.serverGroupVersions().contains("apps/v1"))
        }
    }

    @Test func badTokenIsRejectedInOneLine() async throws {
        try await withTestSandbox() { sandbox in
            var connection = try sandbox.client().connection
            connection.tls.clientIdentity = nil
            connection.authentication = .bearerToken("not-a-valid-token")
            do {
                _ = try await KubernetesClient(connection: connection).listRaw(.pods)
                Issue.record("expected 401")
            } catch let error as KubernetesError {
                #expect(error.isUnauthorized)
                #expect(error.description == "\(connection.serverDescription) rejected the credentials (401 Unauthorized): the token or client certificate of the current context is wrong or expired")
            }
        }
    }

    @Test func rbacDenialNamesUserVerbAndNamespaceUntilARoleAllowsIt() async throws {
        try await withTestSandbox() { sandbox in
            let admin = try sandbox.client()
            var connection = admin.connection
            connection.tls.clientIdentity = nil
            connection.authentication = .bearerToken(try await admin.requestToken(serviceAccount: "default", namespace: "default"))
            let restricted = KubernetesClient(connection: connection)
            do {
                try await restricted.patchRaw(.deployments, name: "web", .merge(["spec": ["replicas": 0]]))
                Issue.record("expected 403")
            } catch let error as KubernetesError {
                #expect(error.isForbidden)
                #expect(error.description == "forbidden: user \"system:serviceaccount:default:default\" cannot patch deployments.apps in namespace \"default\" (ask a cluster admin for a Role that allows it)")
            }
            try await admin.createRaw(.roles, ["metadata": ["name": "pod-reader"], "rules": [["apiGroups": [""], "resources": ["pods"], "verbs": ["list"]]]])
            try await admin.createRaw(.roleBindings, [
                "metadata": ["name": "default-reads-pods"],
                "subjects": [["kind": "ServiceAccount", "name": "default", "namespace": "default"]],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"],
            ])
            #expect(try await restricted.listRaw(.pods).items.isEmpty)
            await #expect(throws: KubernetesError.self) { try await restricted.listRaw(.secrets) }
        }
    }

    @Test func unreachableServerSaysWhyInOneLine() async throws {
        let client = KubernetesClient(connection: ClusterConnection(server: URL(string: "https://127.0.0.1:1")!, authentication: .bearerToken("x")))
        do {
            _ = try await client.serverVersion()
            Issue.record("expected a connection failure")
        } catch {
            #expect(error.description == "cannot reach https://127.0.0.1:1: connection refused")
        }
    }

    @Test func unknownContextIsAConfigurationError() async throws {
        try await withTestSandbox() { sandbox in
            do {
                _ = try KubernetesClient(kubeconfig: sandbox.kubeconfigPath, context: "prod")
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.description == "context \"prod\" not found in kubeconfig \(sandbox.kubeconfigPath) (available: sandbox, sandbox-token)")
            }
        }
    }

    @Test func unknownNamespaceIsToldApartFromAMissingObject() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            do {
                _ = try await client.get(Service.self, name: "web", namespace: "nope")
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.description == "namespace \"nope\" not found: check -n/--namespace or the context's namespace")
            }
            do {
                _ = try await client.get(Service.self, name: "nope", namespace: "default")
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.description == "service \"nope\" not found in namespace \"default\"")
            }
            await #expect(throws: KubernetesError.self) { try await client.requireNamespace("nope") }
        }
    }

    @Test func patchesAndUpdatesKeepFieldsTheModelsDoNotKnow() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            let deployment: JSONValue = [
                "metadata": ["name": "web", "annotations": ["team": "shop"]],
                "spec": [
                    "minReadySeconds": 7,
                    "selector": ["matchLabels": ["app": "web"]],
                    "template": [
                        "metadata": ["labels": ["app": "web"]],
                        "spec": ["containers": [["name": "web", "image": "web:1", "terminationMessagePolicy": "FallbackToLogsOnError", "stdin": true]]],
                    ],
                ],
            ]
            try await client.createRaw(.deployments, deployment)
            let patched = try await client.patch(
                Deployment.self, name: "web",
                .json([.test("/spec/template/spec/containers/0/image", "web:1"), .replace("/spec/template/spec/containers/0/image", "web:2")])
            )
            #expect(patched.spec.template.spec.containers[0].image == "web:2")
            try await client.modify(.deployments, name: "web") { raw in raw["metadata"]?["labels"] = ["touched": "yes"] }
            let stored = try await client.getRaw(.deployments, name: "web")
            #expect(stored[path: "spec", "minReadySeconds"] == 7)
            #expect(stored[path: "spec", "template", "spec", "containers"]?[0]?["terminationMessagePolicy"] == "FallbackToLogsOnError")
            #expect(stored[path: "spec", "template", "spec", "containers"]?[0]?["stdin"] == true)
            #expect(stored[path: "metadata", "annotations", "team"] == "shop")
            #expect(stored[path: "metadata", "labels", "touched"] == "yes")

            do {
                try await client.patchRaw(.deployments, name: "web", .json([.test("/spec/template/spec/containers/0/image", "web:1"), .replace("/spec/replicas", 5)]))
                Issue.record("a failed test must fail the patch")
            } catch let error as KubernetesError {
                #expect(error.isInvalid)
            }
            #expect(try await client.get(Deployment.self, name: "web").spec.replicas == 1)
        }
    }

    @Test func staleUpdateFailsWithConflict() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            let created = try await client.createRaw(.configMaps, ["metadata": ["name": "cfg"], "data": ["a": "1"]])
            var first = created
            first["data"] = ["a": "2"]
            try await client.update(.configMaps, first)
            var stale = created
            stale["data"] = ["a": "3"]
            do {
                try await client.update(.configMaps, stale)
                Issue.record("expected 409")
            } catch let error as KubernetesError {
                #expect(error.isConflict)
            }
        }
    }

    @Test func watchResumesAfterTheServerDropsTheConnection() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            let watcher = ResourceWatcher(client: client, type: .configMaps, namespace: "default", options: ListOptions(labelSelector: "test=watch"), timeoutSeconds: 1)
            let events = watcher.events()
            let writer = Task {
                for index in 0..<6 {
                    try await client.createRaw(.configMaps, ["metadata": ["name": .string("cm-\(index)"), "labels": ["test": "watch"]]])
                    try await Task.sleep(for: .milliseconds(450))
                }
                try await client.delete(.configMaps, name: "cm-0")
            }
            var seen: [String] = []
            for try await event in events {
                seen.append("\(event.type.rawValue) \(event.object[path: "metadata", "name"]?.stringValue ?? "")")
                if seen.count == 7 { break }
            }
            try await writer.value
            #expect(seen == (0..<6).map { "ADDED cm-\($0)" } + ["DELETED cm-0"])
        }
    }

    @Test func watchFromAVersionTheServerNoLongerHasIsExpired() async throws {
        try await withTestSandbox(watchHistory: 3) { sandbox in
            let client = try sandbox.client()
            let start = try await client.listRaw(.configMaps).resourceVersion
            for index in 0..<5 { try await client.createRaw(.configMaps, ["metadata": ["name": .string("old-\(index)")]]) }
            do {
                for try await _ in client.watchRaw(.configMaps, resourceVersion: start) {}
                Issue.record("expected 410")
            } catch {
                #expect(error is KubernetesError && (error as? KubernetesError)?.isGone == true)
            }
        }
    }

    @Test func portForwardChannelCarriesThePortsBytesWithoutAnExtraHop() async throws {
        try await withEchoPod { client in
            let channel = try await client.portForwardChannel(pod: "echo", port: 7000) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
            let payload = String(repeating: "abcdefgh", count: 128 << 10)
            let received = try await channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                while !text.hasPrefix("hello\n"), let bytes = try await iterator.next() { text += String(buffer: bytes) }
                try await outbound.write(ByteBuffer(string: payload))
                while text.count < 6 + payload.count, let bytes = try await iterator.next() { text += String(buffer: bytes) }
                return text
            }
            #expect(received.count == 6 + payload.count)
            #expect(received == "hello\n" + payload.uppercased(), "1 MiB written in 256 KiB messages arrives whole and in order")

            do {
                _ = try await client.portForwardChannel(pod: "echo", namespace: "nope", port: 7000) { $0.eventLoop.makeSucceededVoidFuture() }
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.description == "namespace \"nope\" not found: check -n/--namespace or the context's namespace")
            }
        }
    }

    @Test func relistingReportsOnlyWhatChanged() {
        var state = ResourceWatcher.State()
        let a1: JSONValue = ["metadata": ["name": "a", "resourceVersion": "1"]]
        let b1: JSONValue = ["metadata": ["name": "b", "resourceVersion": "2"]]
        let a2: JSONValue = ["metadata": ["name": "a", "resourceVersion": "5"]]
        let c1: JSONValue = ["metadata": ["name": "c", "resourceVersion": "6"]]
        #expect(state.relisted([a1, b1], resourceVersion: "2").map(\.type) == [.added, .added])
        let changes = state.relisted([a2, c1], resourceVersion: "6")
        #expect(changes.map(\.type) == [.modified, .added, .deleted])
        #expect(changes.map { $0.object[path: "metadata", "name"]?.stringValue } == ["a", "c", "b"])
        #expect(state.resourceVersion == "6")
    }

    /// Runs `body` with a sandbox whose pod `echo` greets and echoes upper-cased on port 7000.
    private func withEchoPod(_ body: (KubernetesClient) async throws -> Void) async throws {
        let folder = try TemporaryFolder()
        // One connection at a time; a caller that leaves early (the readiness probe) is no error.
        let echo = "import os,socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind((os.environ['KBRIDGE_LISTEN_ADDRESS'],7000))\ns.listen()\nwhile True:\n c,_=s.accept()\n try:\n  c.sendall(b'hello\\n')\n  while True:\n   d=c.recv(65536)\n   if not d: break\n   c.sendall(d.upper())\n except OSError:\n  pass\n c.close()\n"
        let images = try folder.write("images.yaml", "images:\n  echo:1:\n    command: [python3, -c, \(JSONValue.string(echo).jsonString)]\n")
        defer { folder.remove() }
        try await withTestSandbox(imageFiles: [images]) { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.pods, [
                "metadata": ["name": "echo"],
                "spec": ["containers": [["name": "echo", "image": "echo:1", "ports": [["containerPort": 7000]], "readinessProbe": ["tcpSocket": ["port": 7000], "periodSeconds": 1]]]],
            ])
            #expect(await TestSandbox.eventually { try await client.get(Pod.self, name: "echo").isReady })
            try await body(client)
        }
    }

    @Test func portForwardReachesAPodThroughTheAPIServer() async throws {
        try await withEchoPod { client in
            let stream = try await client.portForward(pod: "echo", port: 7000)
            let received = try await stream.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var text = ""
                while !text.contains("hello\n"), let chunk = try await iterator.next() { text += String(buffer: chunk) }
                try await outbound.write(ByteBuffer(string: "ping"))
                while !text.contains("PING"), let chunk = try await iterator.next() { text += String(buffer: chunk) }
                return text
            }
            #expect(received == "hello\nPING")

            do {
                _ = try await client.portForward(pod: "missing", port: 7000)
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.description == "pod \"missing\" not found in namespace \"default\"")
            }
        }
    }
}
