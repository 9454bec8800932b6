@testable import BridgeSession
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// Take-over and restore against a sandbox: the workload ends up exactly as it was.
@Suite struct WorkloadTakeoverTests {
    static let service: JSONValue = ["metadata": ["name": "shop"], "spec": ["selector": ["app": "shop"], "ports": [["port": 80, "targetPort": 8080]]]]
    static let container: JSONValue = [
        "name": "shop", "image": "shop/app:1", "ports": [["containerPort": 8080]],
        "env": [["name": "MODE", "value": "cluster"]], "readinessProbe": ["tcpSocket": ["port": 8080]],
    ]

    static func podsExist(_ client: KubernetesClient) async -> Bool {
        await TestSandbox.eventually { try await !client.list(Pod.self, options: ListOptions(labelSelector: "app=shop")).isEmpty }
    }

    @Test func aDeploymentIsScaledToOneAndGivenBackWithTheExactSpec() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, Self.service)
            _ = try await client.createRaw(.deployments, [
                "metadata": ["name": "shop"],
                "spec": ["replicas": 3, "selector": ["matchLabels": ["app": "shop"]], "template": ["metadata": ["labels": ["app": "shop"]], "spec": ["containers": [Self.container]]]],
            ])
            #expect(await Self.podsExist(client))
            let before = try await client.getRaw(.deployments, name: "shop")["spec"]

            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: nil)
            #expect(target.workload == WorkloadReference(kind: .deployment, name: "shop", namespace: "default"))
            #expect(target.primaryPort == 8080)
            let session = SessionIdentity.generate()
            let takenOver = try await WorkloadTakeover(client: client).takeOver(target, session: session, image: "agent:1")
            #expect(takenOver.scaledFrom == 3)

            let during = try await client.getRaw(.deployments, name: "shop")
            #expect(during[path: "spec", "replicas"] == 1)
            #expect(during[path: "spec", "template", "spec", "containers"]?[0]?["image"] == "agent:1")
            #expect(during[path: "spec", "template", "metadata", "labels", "kbridge.dev/session"]?.stringValue == session.id)
            #expect(during[path: "metadata", "annotations", "kbridge.dev/original"] != nil)
            #expect(try await client.getRaw(.secrets, name: session.secretName)[path: "metadata", "ownerReferences"]?[0]?["kind"] == "Deployment")

            await #expect(throws: SessionError.self, "a second session is refused") {
                _ = try await WorkloadTakeover(client: client).takeOver(target, session: .generate(), image: "agent:1")
            }

            try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            let after = try await client.getRaw(.deployments, name: "shop")
            #expect(after["spec"] == before)
            #expect(after[path: "metadata", "annotations", "kbridge.dev/original"] == nil)
            await #expect(throws: KubernetesError.self, "the session's Secret is gone") { _ = try await client.getRaw(.secrets, name: session.secretName) }
        }
    }

    @Test func aBarePodIsRecreatedWithTheAgentAndThenAsItWas() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, Self.service)
            _ = try await client.createRaw(.pods, ["metadata": ["name": "shop", "labels": ["app": "shop"]], "spec": ["containers": [Self.container]]])
            let before = try await client.getRaw(.pods, name: "shop")["spec"]

            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: nil)
            #expect(target.workload == WorkloadReference(kind: .pod, name: "shop", namespace: "default"))
            let session = SessionIdentity.generate()
            _ = try await WorkloadTakeover(client: client).takeOver(target, session: session, image: "agent:1")
            let during = try await client.getRaw(.pods, name: "shop")
            #expect(during[path: "spec", "containers"]?[0]?["image"] == "agent:1")
            #expect(during[path: "metadata", "labels", "kbridge.dev/session"]?.stringValue == session.id)

            try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            let after = try await client.getRaw(.pods, name: "shop")
            #expect(after["spec"] == before)
            #expect(after[path: "metadata", "labels", "kbridge.dev/session"] == nil)
        }
    }

    @Test func aServiceWithoutSelectorIsRefused() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, ["metadata": ["name": "external"], "spec": ["ports": [["port": 80]]]])
            await #expect {
                _ = try await TargetResolver(client: client).resolve(service: "external", namespace: "default", container: nil)
            } throws: { error in
                String(describing: error).contains("has no selector")
            }
            await #expect {
                _ = try await TargetResolver(client: client).resolve(service: "external", namespace: "nowhere", container: nil)
            } throws: { error in
                String(describing: error).contains(#"namespace "nowhere" not found"#)
            }
        }
    }
}
