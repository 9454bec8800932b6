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
            session: "0a1b2c3d", hold: .takeover(WorkloadReference(kind: .statefulSet, name: "ledger", namespace: "shop"), originalDigest: Self.digest), ttl: .seconds(30)
        )
        #expect(try GuardArguments.parse(Array(arguments.encoded.dropFirst())) == arguments)
        #expect(arguments.hold(namespace: "shop") == .takeover(WorkloadReference(kind: .statefulSet, name: "ledger", namespace: "shop"), originalDigest: Self.digest))
        let copy = GuardArguments(session: "0a1b2c3d", hold: .clone(pod: "api-alice-0a1b2c3d"), ttl: .seconds(30))
        #expect(try GuardArguments.parse(Array(copy.encoded.dropFirst())) == copy)
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--ttl", "3", "--clone", "p", "--kind", "Pod"]) }
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--kind", "ReplicaSet", "--name", "a", "--ttl", "3", "--original-digest", Self.digest]) }
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--kind", "Pod", "--name", "a", "--ttl", "0", "--original-digest", Self.digest]) }
        #expect(throws: GuardArguments.Invalid.self) { try GuardArguments.parse(["--session", "x", "--kind", "Pod", "--name", "a", "--ttl", "3", "--original-digest", "short"]) }
    }

    /// Its Role names the one workload, Secret and Lease; a bare Pod needs `create pods` too.
    @Test func theGuardsRoleIsScopedToTheSession() {
        let deployment = SessionGuard.rules(.takeover(WorkloadReference(kind: .deployment, name: "api", namespace: "shop"), originalDigest: Self.digest), session: "s1")
        #expect(deployment.count == 3)
        #expect(deployment.allSatisfy { $0["resourceNames"]?.arrayValue?.count == 1 })
        #expect(deployment[0] == ["apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["api"], "verbs": ["get", "patch"]])
        let pod = SessionGuard.rules(.takeover(WorkloadReference(kind: .pod, name: "audit", namespace: "shop"), originalDigest: Self.digest), session: "s1")
        #expect(pod.contains(["apiGroups": [""], "resources": ["pods"], "verbs": ["create"]]))
        let copy = SessionGuard.rules(.clone(pod: "api-alice-s1"), session: "s1")
        #expect(copy[0] == ["apiGroups": [""], "resources": ["pods"], "resourceNames": ["api-alice-s1"], "verbs": ["get", "delete"]])
        #expect(copy.allSatisfy { $0["resourceNames"]?.arrayValue?.count == 1 })
        #expect(!(pod + deployment + copy).contains { $0["resources"]?.arrayValue?.contains("*") == true || $0["verbs"]?.arrayValue?.contains("*") == true })
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
            // A TTL of 6 s: renewals every half second must survive a loaded machine's hiccups
            // (a full test run once held one renewal past a 3 s TTL).
            try await sessionGuard.install(.takeover(target.workload, originalDigest: prepared.originalDigest), image: "agent:1", ttl: .seconds(6))
            _ = try await WorkloadTakeover(client: client).apply(prepared, target: target, session: session)

            var watch = GuardWatch(
                client: client, arguments: GuardArguments(session: session.id, hold: .takeover(target.workload, originalDigest: prepared.originalDigest), ttl: .seconds(6)),
                namespace: "default", marker: "guard-pod", log: { _ in }
            )
            watch.interval = .milliseconds(200)
            // Renewed for a while (longer than the Lease lives), then left to lapse.
            let renewing = Task { () -> (Bool, Set<String>) in
                var heldThroughout = true
                var marks: Set<String> = []
                for _ in 0..<16 {
                    try await Task.sleep(for: .milliseconds(500))
                    let lease = try await sessionGuard.renew()
                    marks.formUnion([lease?[path: "metadata", "annotations", ClusterNames.aliveAnnotation]?.stringValue].compactMap { $0 })
                    let now = try await client.getRaw(.deployments, name: "shop")
                    heldThroughout = heldThroughout && now[path: "metadata", "annotations", ClusterNames.originalAnnotation] != nil
                }
                return (heldThroughout, marks)
            }
            let outcome = try await watch.run()
            let (heldThroughout, marks) = try await renewing.value
            #expect(heldThroughout, "nothing was given back while the Lease was renewed")
            #expect(marks.count >= 2 && marks.allSatisfy { $0.hasPrefix("guard-pod ") }, "the watching guard marks the Lease, again and again: \(marks)")
            #expect(outcome == .gaveBack(kept: []))
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == before)
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.leases, name: ClusterNames.session(session.id)) }
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.secrets, name: session.secretName) }

            // A session that ended cleanly removed its Lease: the watch ends without touching anything.
            let other = SessionIdentity.generate()
            try await SessionGuard(client: client, session: other.id, namespace: "default").install(.takeover(target.workload, originalDigest: Self.digest), image: "agent:1", ttl: .seconds(60))
            try await SessionGuard(client: client, session: other.id, namespace: "default").remove()
            let ended = try await GuardWatch(
                client: client, arguments: GuardArguments(session: other.id, hold: .takeover(target.workload, originalDigest: Self.digest), ttl: .seconds(60)), namespace: "default", marker: "guard-pod", log: { _ in }
            ).run()
            #expect(ended == .sessionEnded)
        }
    }

    /// A guard whose pod cannot start is reported with the pod's own reason before anything is
    /// taken over; the wait never counts a guard that has not marked its Lease.
    @Test func aGuardThatCannotStartIsReportedWithItsPodsReason() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            let workload = WorkloadReference(kind: .deployment, name: "shop", namespace: "default")
            let sessionGuard = SessionGuard(client: client, session: SessionIdentity.generate().id, namespace: "default")
            try await sessionGuard.install(.takeover(workload, originalDigest: Self.digest), image: "registry.invalid/agent:1", ttl: .seconds(30))
            let waited = await #expect(throws: SessionError.self) {
                try await sessionGuard.waitUntilWatching(timeout: .seconds(60)) { _ in }
            }
            guard case .guardNotRunning(let pod, let reason, _)? = waited else {
                Issue.record("expected guardNotRunning, got \(String(describing: waited))")
                return
            }
            #expect(pod?.hasPrefix(ClusterNames.guardName(sessionGuard.session)) == true)
            #expect(reason.contains("ErrImagePull") || reason.contains("ImagePullBackOff"), "\(reason)")
            #expect(waited?.description.contains("--no-guard") == true)
            try await sessionGuard.remove()
        }
    }

    /// What someone deleted during the session (the Job; the Lease, whose parts are then on their
    /// way out) is created again, owned by the Lease that exists now; what exists is left alone.
    @Test func whatWasDeletedIsInstalledAgainAndNothingElse() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            let workload = WorkloadReference(kind: .deployment, name: "shop", namespace: "default")
            let sessionGuard = SessionGuard(client: client, session: SessionIdentity.generate().id, namespace: "default")
            let name = ClusterNames.guardName(sessionGuard.session)
            try await sessionGuard.install(.takeover(workload, originalDigest: Self.digest), image: "agent:1", ttl: .seconds(30))
            #expect(try await sessionGuard.createMissing(.takeover(workload, originalDigest: Self.digest), image: "agent:1", ttl: .seconds(30)).isEmpty)

            try await client.delete(.jobs, name: name)
            let job = try await sessionGuard.createMissing(.takeover(workload, originalDigest: Self.digest), image: "agent:1", ttl: .seconds(30))
            #expect(job == ["job \(name)"])

            try await client.delete(.leases, name: ClusterNames.session(sessionGuard.session))
            let all = try await sessionGuard.createMissing(.takeover(workload, originalDigest: Self.digest), image: "agent:1", ttl: .seconds(30))
            #expect(all.count == 5, "\(all)")
            let lease = try await client.getRaw(.leases, name: ClusterNames.session(sessionGuard.session))
            #expect(lease[path: "metadata", "annotations", ClusterNames.digestAnnotation]?.stringValue == Self.digest)
            for type in [ResourceType.serviceAccounts, .roles, .roleBindings, .jobs] {
                let part = try await client.getRaw(type, name: name)
                #expect(part[path: "metadata", "ownerReferences"]?.arrayValue?.first?["uid"] == lease[path: "metadata", "uid"], "\(type.name) is owned by the new Lease")
            }
            try await sessionGuard.remove()
        }
    }

    /// The CLI takes the guard for gone once its mark has not changed for the limit, on its own clock.
    @Test func theGuardIsTakenForGoneOnlyOnceItsMarkStopsChanging() {
        let start = ContinuousClock.now
        var presence = GuardPresence(silenceLimit: .seconds(30), now: start)
        let marked = { (value: String) -> JSONValue in ["metadata": ["annotations": [ClusterNames.aliveAnnotation: .string(value)]]] }
        let seen = [
            presence.observe(marked("pod 1"), now: start + .seconds(10)),
            presence.observe(marked("pod 2"), now: start + .seconds(35)),
            presence.observe(marked("pod 2"), now: start + .seconds(64)),
            presence.observe(marked("pod 2"), now: start + .seconds(65)),
        ]
        #expect(seen == [true, true, true, false], "alive while the mark changes; gone once unchanged for 30 s")
        var never = GuardPresence(silenceLimit: .seconds(30), now: start)
        let neverMarked = never.observe(["metadata": [:]], now: start + .seconds(30))
        #expect(!neverMarked, "a Lease never marked")
    }
}
