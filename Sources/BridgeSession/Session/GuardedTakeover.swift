import KubernetesClient

/// Takes the workload over for a session, its guard first: when a session of this machine whose
/// process is gone still holds the workload, that is given back first; then the guard is
/// installed and proven to watch (unless `--no-guard`), the session's upkeep starts, and only then
/// does the workload run the agent. Whatever happens to this process from the take-over on, the
/// cluster gives the workload back.
struct GuardedTakeover: Sendable {
    let context: SessionContext
    let registry: SessionRegistry

    /// `startUpkeep` is called with the workload's original digest once the guard watches (or at
    /// once without a guard), before the workload changes.
    func run(
        _ target: TakeoverTarget, identity: SessionIdentity, guard sessionGuard: SessionGuard, startUpkeep: @Sendable (String) -> Void
    ) async throws(SessionError) -> TakenOver {
        let (client, options, report) = (context.client, context.options, context.report)
        let takeover = WorkloadTakeover(client: client)
        if let holder = try await takeover.holder(of: target.workload) {
            guard let stale = registry.all().first(where: { $0.id == holder && $0.workload == target.workload }), !stale.isRunning else {
                throw .alreadyTakenOver(workload: target.workload.description, service: options.service, session: holder)
            }
            report(.init(.warning, "session \(holder) of this machine ended without giving back \(target.workload): giving it back first"))
            _ = try await SessionGiveBack.giveBack(leftBy: stale, client: client, registry: registry)
        }
        let prepared = try await takeover.prepare(target, session: identity, image: options.agentImage)
        if options.guarded {
            report(.init(.progress, "installing the session's guard: lease \(ClusterNames.session(identity.id)) and job \(ClusterNames.guardName(identity.id))", fields: ["session": .string(identity.id)]))
            try await sessionGuard.install(workload: target.workload, image: options.agentImage, ttl: options.ttl, originalDigest: prepared.originalDigest)
            try context.advance(.guardInstalled)
            try await sessionGuard.waitUntilWatching(timeout: options.timeout) { line in report(.init(.progress, line)) }
            startUpkeep(prepared.originalDigest)
            report(.init(.progress, "session guarded: if its lease (renewed every \(max(options.ttl.components.seconds / 3, 1))s) lapses for \(options.ttl.components.seconds)s, the guard gives \(target.workload.name) back", fields: ["phase": "recorded", "session": .string(identity.id)]))
        } else {
            report(.init(.warning, "no guard (--no-guard): if this process is killed or this machine goes away, \(target.workload) stays redirected until `kbridge disconnect --service \(options.service)` or `kbridge clean`", fields: ["phase": "recorded", "session": .string(identity.id)]))
            startUpkeep(prepared.originalDigest)
        }
        report(.init(.progress, "taking over \(target.workload): container \"\(target.container)\" runs the agent (\(options.agentImage))", fields: ["phase": "takeover", "session": .string(identity.id)]))
        let takenOver = try await takeover.apply(prepared, target: target, session: identity)
        try context.advance(.tookOver)
        report(.init(.progress, "\(target.workload) runs the agent of session \(identity.id)", fields: ["phase": "patched", "session": .string(identity.id)]))
        return takenOver
    }
}
