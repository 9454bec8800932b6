@testable import BridgeSession
import KubernetesClient
import SandboxTesting
import Testing

/// Waiting for the agent pod as a real kubelet reports it: a container config error can pass
/// (the kubelet's Secret cache has not yet seen the session's new Secret) or last.
@Suite struct AgentPodWatchTests {
    /// An agent pod bound to a node no kubelet runs, so that only the test writes its status.
    static func agentPod(_ client: KubernetesClient) async throws {
        try await client.createRaw(.pods, [
            "metadata": ["name": "agent", "labels": .object([ClusterNames.sessionLabel: "s1"])],
            "spec": ["nodeName": "nobody", "containers": [["name": "app", "image": "agent:1"]]],
        ])
    }

    static func report(_ client: KubernetesClient, waiting reason: String? = nil, ready: Bool = false) async throws {
        let state: JSONValue = reason.map { ["waiting": ["reason": .string($0), "message": "failed to sync secret cache: timed out waiting for the condition"]] } ?? ["running": [:]]
        try await client.patchRaw(.pods, name: "agent", subresource: "status", .merge(["status": [
            "phase": ready ? "Running" : "Pending", "podIP": "10.88.0.9",
            "conditions": [["type": "Ready", "status": ready ? "True" : "False"]],
            "containerStatuses": [["name": "app", "ready": .bool(ready), "restartCount": 0, "image": "agent:1", "imageID": "", "state": state]],
        ]]))
    }

    static let workload = WorkloadReference(kind: .pod, name: "agent", namespace: "default")

    @Test func aConfigErrorThatPassesIsWaitedOut() async throws {
        try await withTestSandbox { sandbox in
            let client = try sandbox.client()
            try await Self.agentPod(client)
            try await Self.report(client, waiting: "CreateContainerConfigError")
            let ready = Task {
                try await Task.sleep(for: .seconds(2))
                try await Self.report(client, ready: true)
            }
            let pod = try await AgentPodWatch(client: client).waitUntilReadyForTest(workload: Self.workload)
            #expect(pod.isReady)
            try await ready.value
        }
    }

    @Test func aConfigErrorThatLastsIsReportedWithTheKubeletsMessage() async throws {
        try await withTestSandbox { sandbox in
            let client = try sandbox.client()
            try await Self.agentPod(client)
            try await Self.report(client, waiting: "CreateContainerConfigError")
            var watch = AgentPodWatch(client: client)
            watch.transientGrace = .seconds(1)
            do {
                _ = try await watch.waitUntilReadyForTest(workload: Self.workload)
                Issue.record("expected the lasting error to be reported")
            } catch let error as SessionError {
                #expect(error.description.contains("cannot start: CreateContainerConfigError: failed to sync secret cache"), "\(error)")
            }
        }
    }
}

extension AgentPodWatch {
    func waitUntilReadyForTest(workload: WorkloadReference) async throws(SessionError) -> Pod {
        try await waitUntilReady(workload: workload, session: "s1", container: "app", image: "agent:1", timeout: .seconds(30)) { _ in }
    }
}
