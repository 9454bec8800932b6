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

    /// `check`: what is known of the original the session saved; nil: what its Lease remembers.
    public func giveBack(_ workload: WorkloadReference, session: String, force: Bool = false, check: OriginalCheck? = nil) async throws(SessionError) -> Restored {
        let sessionGuard = SessionGuard(client: client, session: session, namespace: workload.namespace)
        let known = if let check { check } else { await sessionGuard.originalCheck() }
        let restored = try await WorkloadTakeover(client: client).restore(workload, session: session, force: force, check: known)
        await sessionGuard.remove()
        return restored
    }
}
