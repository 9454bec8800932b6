import KubernetesClient
import Logging

/// What a session does in the cluster while the CLI lives, every third of the Lease's duration:
///
/// - renews the Lease, so that the guard never acts while this process is alive and can reach
///   the cluster, and checks that the guard still watches:
///   - the Lease is gone while the workload still runs this session's agent (or the session's copy
///     still runs): someone deleted it (the guard deletes it only after giving back); the Lease
///     and guard are installed again;
///   - the guard has not marked the Lease for `silenceLimit` (its Job was deleted, its pod
///     crashes): what is missing is installed again, or the guard pod's reason is reported;
///   - the Lease is gone and the workload no longer runs this session's agent (or the copy is
///     gone): the guard gave it back (this machine slept or lost the cluster); the session ends;
/// - holds a taken-over workload at one replica when someone scaled it (`ReplicaHold`), and says so.
struct SessionUpkeep: Sendable {
    enum End: Equatable {
        case cancelled
        /// The guard gave the workload back.
        case gaveBack
    }

    /// The session's guard; nil for a session without one (`--no-guard`).
    let sessionGuard: SessionGuard?
    let session: String
    let hold: GuardedHold
    let image: String
    let ttl: Duration
    /// A warning for the person (what was found missing and put back, what cannot be, a scale held).
    let warn: @Sendable (String) -> Void

    var interval: Duration { max(ttl / 3, .milliseconds(500)) }
    /// How long the guard may leave the Lease unmarked before it is taken for gone.
    var silenceLimit: Duration { max(ttl, interval * 3) }

    func run(client: KubernetesClient, logger: Logger) async -> End {
        var presence = GuardPresence(silenceLimit: silenceLimit)
        var failing = false
        var lastProblem: String?
        let replicas: ReplicaHold? = if case .takeover(let workload, _) = hold { ReplicaHold(client: client, workload: workload, session: session) } else { nil }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return .cancelled
            }
            do {
                if let sessionGuard {
                    let leaseName = ClusterNames.session(session)
                    if let lease = try await sessionGuard.renew() {
                        if failing { logger.info("renewed lease \(leaseName) again") }
                        if !presence.observe(lease) {
                            lastProblem = await repair(sessionGuard, reason: "has not marked lease \(leaseName) for \(silenceLimit.components.seconds)s", lastProblem: lastProblem)
                            presence = GuardPresence(silenceLimit: silenceLimit)
                        }
                    } else {
                        guard await stillHeld(client: client) else { return .gaveBack }
                        lastProblem = await repair(sessionGuard, reason: "lost its lease \(leaseName), which someone deleted", lastProblem: lastProblem)
                        presence = GuardPresence(silenceLimit: silenceLimit)
                    }
                }
                if let replicas, let requested = try await replicas.hold() {
                    warn("\(hold.description) was scaled to \(requested) during the session: held at 1 while it is redirected (every request must reach this machine's agent); it gets \(requested) replicas when the session ends")
                }
                failing = false
            } catch {
                // The cluster is away: keep trying; the guard acts only once the Lease lapsed.
                if !failing { logger.warning("cannot renew the session's lease or read \(hold.description): \(error)") }
                failing = true
            }
        }
        return .cancelled
    }

    /// Whether the session still holds what its guard guards: the workload runs its agent, or its copy runs.
    private func stillHeld(client: KubernetesClient) async -> Bool {
        switch hold {
        case .takeover(let workload, _):
            return (try? await WorkloadTakeover(client: client).holder(of: workload)) == session
        case .clone(let pod):
            do {
                return try await client.getRaw(.pods, name: pod, namespace: sessionGuard?.namespace)[path: "metadata", "deletionTimestamp"] == nil
            } catch {
                // Gone is gone; a cluster that does not answer has not said so.
                return !error.isNotFound
            }
        }
    }

    /// Installs again what of the guard is missing and says so; when nothing is, says why the
    /// guard's pod does not run (once per reason). Returns the problem reported.
    private func repair(_ sessionGuard: SessionGuard, reason: String, lastProblem: String?) async -> String? {
        let name = ClusterNames.guardName(session)
        do {
            let created = try await sessionGuard.createMissing(hold, image: image, ttl: ttl)
            if !created.isEmpty {
                warn("the session's guard \(reason): created \(created.joined(separator: ", ")) again; it gives \(hold.description) back if this machine goes away")
                return nil
            }
        } catch {
            let problem = "the session's guard \(reason) and cannot be installed again: \(error.description); until it is, a crash of this machine leaves \(hold.description) in place (`kbridge disconnect` gives it back)"
            if problem != lastProblem { warn(problem) }
            return problem
        }
        let state = await sessionGuard.podState()
        let problem = "the session's guard (job \(name)) \(reason): \(state); until it watches again, a crash of this machine leaves \(hold.description) in place (`kbridge disconnect` gives it back)"
        if problem != lastProblem { warn(problem) }
        return problem
    }
}

/// Tells from the Lease, read at each renewal, whether its guard still marks it: measured on
/// this machine's clock from the last time the mark changed.
struct GuardPresence: Sendable {
    let silenceLimit: Duration
    private var mark: String?
    private var lastChange: ContinuousClock.Instant

    init(silenceLimit: Duration, now: ContinuousClock.Instant = .now) {
        self.silenceLimit = silenceLimit
        self.lastChange = now
    }

    /// Takes in the Lease as read; false once its mark has not changed for `silenceLimit`.
    mutating func observe(_ lease: JSONValue, now: ContinuousClock.Instant = .now) -> Bool {
        let current = lease[path: "metadata", "annotations", ClusterNames.aliveAnnotation]?.stringValue
        if current != mark {
            mark = current
            lastChange = now
        }
        return now - lastChange < silenceLimit
    }
}
