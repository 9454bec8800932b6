import Isolation
import KubernetesClient

/// Takes the workload over for a session (or, isolated, copies its pod), its guard first: when a
/// session of this machine whose process is gone still holds the workload, that is given back
/// first; then the guard is installed and proven to watch (unless `--no-guard`), the session's
/// upkeep starts, and only then does the workload (or its copy) run the agent. Whatever happens
/// to this process from then on, the cluster gives it back.
struct GuardedTakeover: Sendable {
    let context: SessionContext
    let registry: SessionRegistry

    /// `startUpkeep` is called with what the guard guards once it watches (or at once without a
    /// guard), before anything runs the agent.
    func run(
        _ target: TakeoverTarget, identity: SessionIdentity, guard sessionGuard: SessionGuard, startUpkeep: @Sendable (GuardedHold) -> Void
    ) async throws(SessionError) -> TakenOver {
        if let isolation = context.options.isolation {
            return try await copy(target, routeAs: isolation.routeAs, identity: identity, guard: sessionGuard, startUpkeep: startUpkeep)
        }
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
        try await guardFirst(.takeover(target.workload, originalDigest: prepared.originalDigest), identity: identity, guard: sessionGuard, startUpkeep: startUpkeep)
        report(.init(.progress, "taking over \(target.workload): container \"\(target.container)\" runs the agent (\(options.agentImage))", fields: ["phase": "takeover", "session": .string(identity.id)]))
        let takenOver = try await takeover.apply(prepared, target: target, session: identity)
        try context.advance(.tookOver)
        report(.init(.progress, "\(target.workload) runs the agent of session \(identity.id)", fields: ["phase": "patched", "session": .string(identity.id)]))
        return takenOver
    }

    /// Isolation mode: the namespace's routing manager runs, the guard watches, then the copy of
    /// the workload's pod is created.
    private func copy(
        _ target: TakeoverTarget, routeAs: String, identity: SessionIdentity, guard sessionGuard: SessionGuard, startUpkeep: @Sendable (GuardedHold) -> Void
    ) async throws(SessionError) -> TakenOver {
        let (client, options, report) = (context.client, context.options, context.report)
        let namespace = target.workload.namespace
        let routing = RoutingReadiness(client: client, namespace: namespace)
        report(.init(.progress, "making sure the routing manager runs in namespace \"\(namespace)\"", fields: ["phase": "routingManager"]))
        let created: [String]
        do {
            created = try await RoutingManagerInstall(client: client, namespace: namespace).ensure(image: options.agentImage)
        } catch {
            throw .routingManager(error.description)
        }
        if !created.isEmpty {
            report(.init(.progress, "created the routing manager (it stays for later sessions; `kbridge clean --routing` removes it): \(created.joined(separator: ", "))"))
        }
        try await routing.waitForManager(timeout: options.timeout) { line in report(.init(.progress, line)) }
        let clone = SessionClone(client: client)
        let prepared = try await clone.prepare(target, session: identity, image: options.agentImage, routeAs: routeAs)
        if !prepared.emptiedVolumes.isEmpty {
            report(.init(.warning, "\(target.workload) mounts \(prepared.emptiedVolumes.joined(separator: ", ")) from its volume claim templates: the copy gets empty folders there"))
        }
        try await guardFirst(.clone(pod: prepared.name), identity: identity, guard: sessionGuard, startUpkeep: startUpkeep)
        report(.init(.progress, "creating pod \(prepared.name): a copy of \(target.workload)'s pod whose container \"\(target.container)\" runs the agent; \(target.workload) keeps serving everyone else", fields: ["phase": "clone", "session": .string(identity.id)]))
        let takenOver = try await clone.apply(prepared, target: target, session: identity)
        try context.advance(.cloned)
        return takenOver
    }

    /// Installs the guard of `hold` and waits until it watches, then starts the session's upkeep
    /// (without a guard: says what that means, and starts the upkeep).
    private func guardFirst(_ hold: GuardedHold, identity: SessionIdentity, guard sessionGuard: SessionGuard, startUpkeep: @Sendable (GuardedHold) -> Void) async throws(SessionError) {
        let (options, report) = (context.options, context.report)
        guard options.guarded else {
            let end = options.isolation == nil ? "stays redirected" : "stays"
            report(.init(.warning, "no guard (--no-guard): if this process is killed or this machine goes away, \(hold.description) \(end) until `kbridge disconnect` or `kbridge clean`", fields: ["phase": "recorded", "session": .string(identity.id)]))
            startUpkeep(hold)
            return
        }
        report(.init(.progress, "installing the session's guard: lease \(ClusterNames.session(identity.id)) and job \(ClusterNames.guardName(identity.id))", fields: ["session": .string(identity.id)]))
        try await sessionGuard.install(hold, image: options.agentImage, ttl: options.ttl)
        try context.advance(.guardInstalled)
        try await sessionGuard.waitUntilWatching(timeout: options.timeout) { line in report(.init(.progress, line)) }
        startUpkeep(hold)
        report(.init(.progress, "session guarded: if its lease (renewed every \(max(options.ttl.components.seconds / 3, 1))s) lapses for \(options.ttl.components.seconds)s, the guard gives back \(hold.description)", fields: ["phase": "recorded", "session": .string(identity.id)]))
    }
}
