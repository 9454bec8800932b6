import AsyncHTTPClient
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The real kubectl against the sandbox, with the storefront sample: what a user does first.
@Suite struct KubectlConformanceTests {
    @Test(arguments: ["sandbox", "sandbox-token"])
    func kubectlDeploysWatchesLogsAndDeletesTheSample(context: String) async throws {
        try await withTestSandbox(imageFiles: [Tools.storefrontImages]) { sandbox in
            let kubeconfig = sandbox.kubeconfigPath
            func kubectl(_ arguments: String..., timeout: Duration = .seconds(120)) async throws -> Tools.Result {
                try await Tools.kubectl(kubeconfig, context: context, arguments, timeout: timeout)
            }

            let namespaces = try await kubectl("get", "ns")
            #expect(namespaces.status == 0, "\(namespaces.stderr)")
            #expect(namespaces.stdout.contains("default") && namespaces.stdout.contains("Active"))

            let apply = try await kubectl("apply", "-f", Tools.storefrontManifests)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("deployment.apps/web created"))

            let wait = try await kubectl("wait", "--for=condition=Available", "deployment", "--all", "--timeout=90s")
            #expect(wait.status == 0, "\(wait.stderr)")
            #expect(wait.stdout.components(separatedBy: "condition met").count - 1 == 3)

            let pods = try await kubectl("get", "pods", "-o", "wide")
            #expect(pods.status == 0, "\(pods.stderr)")
            let rows = pods.stdout.split(separator: "\n").dropFirst()
            #expect(rows.count == 3)
            for row in rows {
                #expect(row.contains("1/1") && row.contains("Running") && row.contains("sandbox-node"), "\(pods.stdout)")
                #expect(row.split(separator: " ").contains { $0.hasPrefix("127.") }, "no pod IP in \(row)")
            }

            let logs = try await kubectl("logs", "deploy/web")
            #expect(logs.status == 0, "\(logs.stderr)")
            #expect(logs.stdout.contains("web listening on 127."))

            // Whether the watch starts before or after the scale, it shows the new pod: in its
            // first list or as an event.
            let watch = Task { try await kubectl("get", "pods", "--watch", "--request-timeout=6s", timeout: .seconds(20)) }
            let scale = try await kubectl("scale", "deployment/web", "--replicas=2")
            #expect(scale.status == 0, "\(scale.stderr)")
            let watched = try await watch.value
            let webLines = watched.stdout.split(separator: "\n").filter { $0.hasPrefix("web-") }
            #expect(Set(webLines.map { $0.split(separator: " ")[0] }).count == 2, "the watch did not show the new pod:\n\(watched.stdout)")

            let reapply = try await kubectl("apply", "-f", Tools.storefrontManifests)
            #expect(reapply.status == 0, "\(reapply.stderr)")
            #expect(reapply.stdout.contains("deployment.apps/api unchanged"))

            let delete = try await kubectl("delete", "-f", Tools.storefrontManifests)
            #expect(delete.status == 0, "\(delete.stderr)")
            let client = try sandbox.client()
            let gone = await TestSandbox.eventually {
                let pods = try await client.listRaw(.pods).items
                let replicaSets = try await client.listRaw(.replicaSets).items
                return pods.isEmpty && replicaSets.isEmpty
            }
            #expect(gone, "pods and replica sets were not garbage-collected")
        }
    }

    @Test func aRequestToTheFrontServiceGoesThroughAllThreeServices() async throws {
        try await withTestSandbox(imageFiles: [Tools.storefrontImages]) { sandbox in
            let apply = try await Tools.kubectl(sandbox.kubeconfigPath, ["apply", "-f", Tools.storefrontManifests])
            #expect(apply.status == 0, "\(apply.stderr)")
            let wait = try await Tools.kubectl(sandbox.kubeconfigPath, ["wait", "--for=condition=Available", "deployment", "--all", "--timeout=90s"])
            #expect(wait.status == 0, "\(wait.stderr)")

            let web = try await sandbox.client().get(Service.self, name: "web")
            let address = try #require(web.spec.clusterIP)
            var request = HTTPClientRequest(url: "http://\(address):8080/")
            request.headers.add(name: "kubernetes-route-as", value: "alice")
            request.headers.add(name: "connection", value: "close")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try JSONValue.parse(Data(buffer: try await response.body.collect(upTo: 1 << 20)))
            #expect(response.status == .ok)
            #expect(body["service"] == "web")
            #expect(body["greeting"] == "Welcome to the storefront!", "the ConfigMap-mounted file")
            #expect(body[path: "api", "service"] == "api")
            #expect(body[path: "api", "inventory", "service"] == "inventory", "the api reached the inventory by its service name, with the Secret's token")
            #expect(body[path: "api", "inventory", "items"]?.arrayValue?.count == 2)
            #expect(body[path: "api", "inventory", "routeAs"] == "alice", "every hop passes on kubernetes-route-as")
        }
    }
}
