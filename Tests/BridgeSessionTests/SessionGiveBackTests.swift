@testable import BridgeSession
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The one give-back, for a session whose process is gone: its rule for what cannot be given back.
@Suite struct SessionGiveBackTests {
    /// The hosts block cannot be removed: it is kept with the record (for `kbridge clean`), named
    /// in the error; the workload, the Secret and the guard are given back all the same.
    @Test func whatCannotBeGivenBackIsKeptWithTheRecordAndTheRestGoesBack() async throws {
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
            try await SessionGuard(client: client, session: session.id, namespace: "default").install(.takeover(target.workload, originalDigest: prepared.originalDigest), image: "agent:1", ttl: .seconds(60))
            _ = try await WorkloadTakeover(client: client).apply(prepared, target: target, session: session)

            let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-giveback-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let registry = SessionRegistry(directory: PrivateDirectory(url: folder.appendingPathComponent("sessions")))
            // A "hosts file" that is a folder: it cannot be read, so its block cannot be removed.
            let record = SessionRecord(
                id: session.id, pid: 999_999, service: "shop", workload: target.workload, kubeconfig: nil, context: nil,
                hostsFile: folder.path, localPort: 8080, startedAt: Timestamp.format(Date())
            )
            try registry.save(record)

            let failure = await #expect(throws: SessionError.self) {
                _ = try await SessionGiveBack.giveBack(leftBy: record, client: client, registry: registry)
            }
            #expect(failure?.description.contains(folder.path) == true, "the hosts file is named: \(String(describing: failure))")
            #expect(try await client.getRaw(.deployments, name: "shop")["spec"] == before, "the workload is given back")
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.secrets, name: session.secretName) }
            await #expect(throws: KubernetesError.self) { _ = try await client.getRaw(.leases, name: ClusterNames.session(session.id)) }
            #expect(registry.all().map(\.id) == [session.id], "the record stays for kbridge clean to find the block")
        }
    }
}
