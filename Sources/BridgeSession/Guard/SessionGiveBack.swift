import KubernetesClient

/// Gives back everything a session left in the cluster: the workload (merging, see
/// `WorkloadTakeover.restore`), its Secret, then its Lease and with it the guard. Used by a
/// session that ends, by `kbridge disconnect` for a session whose process is gone, and by
/// `kbridge clean`. The guard is removed only once the workload is back: if giving back fails,
/// the guard tries again when the Lease lapses.
public struct SessionGiveBack: Sendable {
    let client: KubernetesClient

    public init(client: KubernetesClient) {
        self.client = client
    }

    public func giveBack(_ workload: WorkloadReference, session: String, force: Bool = false) async throws(SessionError) -> Restored {
        let restored = try await WorkloadTakeover(client: client).restore(workload, session: session, force: force)
        await SessionGuard(client: client, session: session, namespace: workload.namespace).remove()
        return restored
    }
}
