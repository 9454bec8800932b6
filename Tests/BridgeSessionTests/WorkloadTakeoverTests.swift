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

            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            let after = try await client.getRaw(.deployments, name: "shop")
            #expect(after["spec"] == before)
            #expect(after[path: "metadata", "annotations", "kbridge.dev/original"] == nil)
            await #expect(throws: KubernetesError.self, "the session's Secret is gone") { _ = try await client.getRaw(.secrets, name: session.secretName) }
        }
    }

    /// The container is found by its name in the workload's template, not by its place in a pod
    /// (a sidecar injected first puts a pod's containers in another order than its template's).
    @Test func theContainerIsReplacedWhereTheTemplateHasItAndOnlyIt() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, Self.service)
            let sidecar: JSONValue = ["name": "proxy", "image": "shop/proxy:1"]
            _ = try await client.createRaw(.deployments, [
                "metadata": ["name": "shop"],
                "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "shop"]], "template": ["metadata": ["labels": ["app": "shop"]], "spec": ["containers": [sidecar, Self.container]]]],
            ])
            #expect(await Self.podsExist(client))
            let before = try await client.getRaw(.deployments, name: "shop")["spec"]
            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: nil)
            #expect(target.container == "shop", "the container that declares the service's port")
            let session = SessionIdentity.generate()
            _ = try await WorkloadTakeover(client: client).takeOver(target, session: session, image: "agent:1")
            let during = try await client.getRaw(.deployments, name: "shop")
            #expect(during[path: "spec", "template", "spec", "containers"]?[0] == before?[path: "template", "spec", "containers"]?[0], "the sidecar is left alone")
            #expect(during[path: "spec", "template", "spec", "containers"]?[1]?["image"] == "agent:1")
            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == before)
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

            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
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

    /// A Deployment of 3 replicas taken over by a fresh session; `body` gets the client, target, session and the spec before.
    private func withTakenOverDeployment(
        _ body: (KubernetesClient, TakeoverTarget, SessionIdentity, JSONValue?) async throws -> Void
    ) async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, Self.service)
            _ = try await client.createRaw(.deployments, [
                "metadata": ["name": "shop"],
                "spec": [
                    "replicas": 3, "selector": ["matchLabels": ["app": "shop"]],
                    "template": ["metadata": ["labels": ["app": "shop"]], "spec": ["containers": [Self.container, ["name": "sidecar", "image": "sidecar:1"]]]],
                ],
            ])
            #expect(await Self.podsExist(client))
            let before = try await client.getRaw(.deployments, name: "shop")["spec"]
            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: "shop")
            let session = SessionIdentity.generate()
            _ = try await WorkloadTakeover(client: client).takeOver(target, session: session, image: "agent:1")
            try await body(client, target, session, before)
        }
    }

    private static func patch(_ client: KubernetesClient, _ operations: [JSONPatchOperation]) async throws {
        _ = try await client.patchRaw(.deployments, name: "shop", .json(operations))
    }

    /// `kubectl scale --replicas=3` and a new sidecar image during the session survive the restore,
    /// which says so; only kbridge's own changes are undone.
    @Test func theRestoreKeepsWhatOthersChangedMeanwhileAndSaysSo() async throws {
        try await withTakenOverDeployment { client, target, session, before in
            try await Self.patch(client, [.replace("/spec/replicas", 3), .replace("/spec/template/spec/containers/1/image", "sidecar:2")])
            let restored = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(restored.kept == ["other changes to the pod template during the session: kept"])
            let after = try await client.getRaw(.deployments, name: "shop")
            #expect(after[path: "spec", "template", "spec", "containers"]?[0] == before?[path: "template", "spec", "containers"]?[0], "the app's container is back")
            #expect(after[path: "spec", "template", "spec", "containers"]?[1]?["image"] == "sidecar:2", "the sidecar's new image is kept")
            #expect(after[path: "spec", "template", "metadata", "labels", "kbridge.dev/session"] == nil)
            #expect(after[path: "spec", "replicas"] == 3)
        }
        try await withTakenOverDeployment { client, target, session, _ in
            try await Self.patch(client, [.replace("/spec/replicas", 2)])
            let restored = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(restored.kept == ["replicas changed to 2 during the session: kept (it had 3 before)"])
            #expect(try await client.getRaw(.deployments, name: "shop")[path: "spec", "replicas"] == 2)
        }
        // `kubectl label` and `kubectl annotate` of the workload itself during the session.
        try await withTakenOverDeployment { client, target, session, _ in
            let manifest = String(repeating: "x", count: 4000)
            _ = try await client.patchRaw(.deployments, name: "shop", .merge([
                "metadata": ["labels": ["team": "payments"], "annotations": ["owner": "alice", "kubectl.kubernetes.io/last-applied-configuration": .string(manifest)]],
            ]))
            let restored = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(restored.kept == [
                "label team=payments added during the session: kept",
                "annotation kubectl.kubernetes.io/last-applied-configuration added during the session: kept",
                "annotation owner=alice added during the session: kept",
            ], "\(restored.kept)")
            let after = try await client.getRaw(.deployments, name: "shop")
            #expect(after[path: "metadata", "labels", "team"] == "payments" && after[path: "metadata", "annotations", "owner"] == "alice")
        }
    }

    /// A scale during the session is held at one replica (one agent pod carries the tunnel) and
    /// remembered on the workload; the give-back gives the count asked for and names it, with
    /// `--force` too.
    @Test func aScaleDuringTheSessionIsHeldAtOneAndGivenAtTheEnd() async throws {
        for force in [false, true] {
            try await withTakenOverDeployment { client, target, session, _ in
                let hold = ReplicaHold(client: client, workload: target.workload, session: session.id)
                #expect(try await hold.hold() == nil, "at one replica: nothing to hold")
                try await Self.patch(client, [.replace("/spec/replicas", 4)])
                #expect(try await hold.hold() == 4)
                let held = try await client.getRaw(.deployments, name: "shop")
                #expect(held[path: "spec", "replicas"] == 1)
                #expect(held[path: "metadata", "annotations", ClusterNames.requestedReplicasAnnotation] == "4")
                let restored = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id, force: force)
                #expect(restored.kept.contains("replicas set to 4 during the session (held at 1 while redirected): now 4"), "\(restored.kept)")
                let after = try await client.getRaw(.deployments, name: "shop")
                #expect(after[path: "spec", "replicas"] == 4, "force: \(force)")
                #expect(after[path: "metadata", "annotations", ClusterNames.requestedReplicasAnnotation] == nil)
            }
        }
    }

    /// `kubectl set env` / `set image` on the container that runs the agent: nothing is
    /// overwritten, the message says how to finish, and `--force` puts back the saved original.
    @Test func aChangeToTheAgentsContainerStopsTheRestoreUntilForced() async throws {
        try await withTakenOverDeployment { client, target, session, before in
            try await Self.patch(client, [.add("/spec/template/spec/containers/0/env/-", ["name": "FEATURE_FLAG", "value": "on"])])
            let changed = try await client.getRaw(.deployments, name: "shop")["spec"]
            await #expect {
                _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            } throws: { error in
                let text = String(describing: error)
                return text.contains("its container \"shop\", which runs the agent, was edited (env changed)") && text.contains("kbridge disconnect --force")
            }
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == changed, "nothing was touched")
            #expect(try await client.getRaw(.secrets, name: session.secretName)["data"] != nil, "the Secret (with the original) is kept")
            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id, force: true)
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == before)
        }
    }

    /// Someone removed the annotation during the session: the Secret still has the original.
    @Test func withoutItsAnnotationTheOriginalComesFromTheSessionsSecret() async throws {
        try await withTakenOverDeployment { client, target, session, before in
            try await Self.patch(client, [.remove("/metadata/annotations/kbridge.dev~1original")])
            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == before)
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.secrets, name: session.secretName) }
        }
    }

    /// A restore interrupted after giving the workload back but before deleting the Secret (a
    /// `kill -9` while giving back): the next restore (the guard's) leaves the workload alone,
    /// even changed since, and only deletes the Secret.
    @Test func aRestoreAfterAnInterruptedOneOnlyDeletesTheSecret() async throws {
        try await withTakenOverDeployment { client, target, session, _ in
            let secret = try await client.getRaw(.secrets, name: session.secretName)
            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            var leftover = SavedOriginal.recreatable(secret)
            leftover["type"] = nil
            _ = try await client.createRaw(.secrets, leftover)
            try await Self.patch(client, [.replace("/spec/template/spec/containers/1/image", "sidecar:3")])
            let changed = try await client.getRaw(.deployments, name: "shop")["spec"]
            let again = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(again == Restored())
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == changed, "nothing was applied again")
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.secrets, name: session.secretName) }
        }
    }

    /// With both copies of the original gone, the restore does not claim success.
    @Test func withNoOriginalLeftTheRestoreSaysTheAgentStillRuns() async throws {
        try await withTakenOverDeployment { client, target, session, _ in
            try await Self.patch(client, [.remove("/metadata/annotations/kbridge.dev~1original")])
            try await client.delete(.secrets, name: session.secretName)
            await #expect {
                _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            } throws: { error in
                String(describing: error).contains("it still runs the agent of session \(session.id), but the original kbridge saved")
            }
        }
    }

    /// A crash between deleting a bare Pod and creating the agent's: the pod exists only in the
    /// session's Secret; the finder sees the take-over there and the restore creates the pod again.
    @Test func aBarePodThatExistsOnlyInTheSecretIsFoundAndRecreated() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, Self.service)
            _ = try await client.createRaw(.pods, ["metadata": ["name": "shop", "labels": ["app": "shop"]], "spec": ["containers": [Self.container]]])
            let before = try await client.getRaw(.pods, name: "shop")["spec"]
            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: nil)
            let session = SessionIdentity.generate()
            let takenOver = try await WorkloadTakeover(client: client).takeOver(target, session: session, image: "agent:1")
            try await client.delete(.pods, name: "shop")
            #expect(await TestSandbox.eventually { (try? await client.getRaw(.pods, name: "shop")) == nil })

            let found = try await TakeoverFinder(client: client).find(service: "shop", namespace: "default")
            #expect(found?.workload == target.workload)
            #expect(found?.session == session.id)
            // Nothing vouches for the Secret (no Lease, no guard): no pod is created from it.
            await #expect {
                _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id, check: .unknown)
            } throws: { error in
                String(describing: error).contains("it exists only in Secret kbridge-session-\(session.id), and nothing of its session vouches for that Secret")
            }
            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id, check: .digest(takenOver.originalDigest))
            #expect(try await client.getRaw(.pods, name: "shop")["spec"] == before)
            #expect(try await TakeoverFinder(client: client).all(namespace: "default").isEmpty)
        }
    }

    /// Someone who may write Secrets but not create pods rewrites the session's Secret while a
    /// bare Pod is replaced: the guard (which knows the digest) does not create the pod it names.
    @Test func aSecretRewrittenDuringTheSessionIsNotApplied() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            _ = try await client.createRaw(.services, Self.service)
            _ = try await client.createRaw(.pods, ["metadata": ["name": "shop", "labels": ["app": "shop"]], "spec": ["containers": [Self.container]]])
            let target = try await TargetResolver(client: client).resolve(service: "shop", namespace: "default", container: nil)
            let session = SessionIdentity.generate()
            let takenOver = try await WorkloadTakeover(client: client).takeOver(target, session: session, image: "agent:1")
            try await client.delete(.pods, name: "shop")
            #expect(await TestSandbox.eventually { (try? await client.getRaw(.pods, name: "shop")) == nil })
            var secret = try await client.getRaw(.secrets, name: session.secretName)
            var saved = try #require(SavedOriginal.inSecret(secret))
            var containers = saved.pod?[path: "spec", "containers"]?.arrayValue ?? []
            containers[0]["image"] = "attacker/miner:1"
            saved.pod?[path: "spec", "containers"] = .array(containers)
            secret[path: "data", ClusterNames.originalKey] = .string(Data(saved.encoded.utf8).base64EncodedString())
            _ = try await client.update(.secrets, secret)

            await #expect {
                _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id, check: .digest(takenOver.originalDigest))
            } throws: { error in
                String(describing: error).contains("is not the one session \(session.id) saved")
            }
            await #expect(throws: KubernetesError.self, "no pod was created") { _ = try await client.getRaw(.pods, name: "shop") }
        }
    }

    @Test func theFinderSeesADeploymentTakeOverFromTheClusterAlone() async throws {
        try await withTakenOverDeployment { client, target, session, _ in
            let found = try await TakeoverFinder(client: client).find(service: "shop", namespace: "default")
            #expect(found?.workload == target.workload && found?.session == session.id)
            _ = try await WorkloadTakeover(client: client).restore(target.workload, session: session.id)
            #expect(try await TakeoverFinder(client: client).find(service: "shop", namespace: "default") == nil)
        }
    }
}

@Suite struct JSONContainsTests {
    @Test func aServerDefaultedContainerContainsWhatWasSent() {
        let sent: JSONValue = ["name": "a", "ports": [["containerPort": 80]], "env": [["name": "X", "value": "1"]]]
        let defaulted: JSONValue = ["name": "a", "ports": [["containerPort": 80, "protocol": "TCP"]], "env": [["name": "X", "value": "1"]], "terminationMessagePath": "/dev/termination-log"]
        #expect(defaulted.contains(sent))
        #expect(!sent.contains(defaulted))
    }

    @Test func anAddedOrChangedValueIsNotContained() {
        let sent: JSONValue = ["image": "a:1", "env": [["name": "X", "value": "1"]]]
        #expect(!(["image": "a:2", "env": [["name": "X", "value": "1"]]] as JSONValue).contains(sent))
        #expect(!(["image": "a:1", "env": [["name": "X", "value": "1"], ["name": "Y", "value": "2"]]] as JSONValue).contains(sent))
    }
}
