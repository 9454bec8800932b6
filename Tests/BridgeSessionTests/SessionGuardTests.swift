@testable import BridgeSession
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The guard's parts, without a CLI: its arguments, the objects it is made of, and its watch.
@Suite struct SessionGuardTests {
    static let digest = String(repeating: "ab", count: 32)

    @Test func theGuardsArgumentsSurviveTheirTripThroughTheJob() throws {
        let arguments = GuardArguments(
            session: "0a1b2c3d", workload: WorkloadReference(kind: .statefulSet, name: "ledger", namespace: "shop"), ttl: .seconds(30), originalDigest: Self.digest
        )
        #expect(try GuardArguments.parse(Array(arguments.encoded.dropFirst())) == arguments)
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--kind", "ReplicaSet", "--name", "a", "--ttl", "3", "--original-digest", Self.digest]) }
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--kind", "Pod", "--name", "a", "--ttl", "0", "--original-digest", Self.digest]) }
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--kind", "Pod", "--name", "a", "--ttl", "3", "--original-digest", "short"]) }
    }

    /// Its Role names the one workload, Secret and Lease; a bare Pod needs `create pods` too.
    @Test func theGuardsRoleIsScopedToTheSession() {
        let deployment = SessionGuard.rules(workload: WorkloadReference(kind: .deployment, name: "api", namespace: "shop"), session: "s1")
        #expect(deployment.count == 3)
        #expect(deployment.allSatisfy { $0["resourceNames"]?.arrayValue?.count == 1 })
        #expect(deployment[0] == ["apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["api"], "verbs": ["get", "patch"]])
        let pod = SessionGuard.rules(workload: WorkloadReference(kind: .pod, name: "audit", namespace: "shop"), session: "s1")
        #expect(pod.contains(["apiGroups": [""], "resources": ["pods"], "verbs": ["create"]]))
        #expect(!(pod + deployment).contains { $0["resources"]?.arrayValue?.contains("*") == true || $0["verbs"]?.arrayValue?.contains("*") == true })
    }

    /// The watch acts only once the Lease stopped changing for its duration, and a Lease removed
    /// by a clean exit ends it with nothing done.
    @Test func theWatchGivesBackOnlyAfterTheLeaseLapsed() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, WorkloadTakeoverTests.service)
            _ = try await client.createRaw(.deployments, [
                "metadata": ["name": "shop"],
                "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "shop"]], "template": ["metadata": ["labels": ["app": "shop"]], "spec": ["containers": [WorkloadTakeoverTests.container]]]],
            ])
            let before = try await client.getRaw(.deployments, name: "shop")["spec"]
            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: nil)
            let session = SessionIdentity.generate()
            let prepared = try await WorkloadTakeover(client: client).prepare(target, session: session, image: "agent:1")
            let sessionGuard = SessionGuard(client: client, session: session.id, namespace: "default")
            try await sessionGuard.install(workload: target.workload, image: "agent:1", ttl: .seconds(3), originalDigest: prepared.originalDigest)
            _ = try await WorkloadTakeover(client: client).apply(prepared, target: target, session: session)

            var watch = GuardWatch(
                client: client, arguments: GuardArguments(session: session.id, workload: target.workload, ttl: .seconds(3), originalDigest: prepared.originalDigest),
                namespace: "default", log: { _ in }
            )
            watch.interval = .milliseconds(200)
            // Renewed for a while (longer than the Lease lives), then left to lapse.
            let renewing = Task { () -> Bool in
                var heldThroughout = true
                for _ in 0..<10 {
                    try await Task.sleep(for: .milliseconds(500))
                    _ = try await sessionGuard.renew()
                    let now = try await client.getRaw(.deployments, name: "shop")
                    heldThroughout = heldThroughout && now[path: "metadata", "annotations", ClusterNames.originalAnnotation] != nil
                }
                return heldThroughout
            }
            let outcome = try await watch.run()
            #expect(try await renewing.value, "nothing was given back while the Lease was renewed")
            #expect(outcome == .gaveBack(kept: []))
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == before)
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.leases, name: SessionGuard.leaseName(session: session.id)) }
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.secrets, name: session.secretName) }

            // A session that ended cleanly removed its Lease: the watch ends without touching anything.
            let other = SessionIdentity.generate()
            try await SessionGuard(client: client, session: other.id, namespace: "default").install(workload: target.workload, image: "agent:1", ttl: .seconds(60), originalDigest: Self.digest)
            await SessionGuard(client: client, session: other.id, namespace: "default").remove()
            let ended = try await GuardWatch(
                client: client, arguments: GuardArguments(session: other.id, workload: target.workload, ttl: .seconds(60), originalDigest: Self.digest), namespace: "default", log: { _ in }
            ).run()
            #expect(ended == .sessionEnded)
        }
    }
}
