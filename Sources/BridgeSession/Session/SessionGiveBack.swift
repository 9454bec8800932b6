import KubernetesClient
import LocalEndpoints

/// The one way anything a session holds is given back, whoever gives it back: the session itself
/// when it ends (stopped, its command done, failed), `kbridge disconnect` for a session whose
/// process is gone, `kbridge clean`, `connect` finding a gone session of this machine on its
/// workload, and the guard in the cluster. They differ only in what they hold
/// (`SessionLifecycle.holding(_:)`) and what they can reach (a guard has no hosts file).
///
/// The lifecycle orders the give-back (the reverse of taking) and holds the one rule for what
/// cannot be given back: it is kept and named, with what depends on it, for `kbridge clean` (or
/// the guard) to finish; everything else is still given back. Success is never assumed: the
/// workload is read back (`WorkloadTakeover.restore`).
public struct SessionGiveBack: Sendable {
    /// How a give-back went.
    public struct Outcome: Sendable {
        /// What each workload's restore kept of others' changes.
        public var restored: [Restored] = []
        /// What could not be given back, and why (in the order it was tried).
        public var failures: [(holding: SessionLifecycle.Holding, error: SessionError)] = []
        /// How the session ended, and what it still holds.
        public var ending: SessionLifecycle.Ending = .failed
        public var leftBehind: [SessionLifecycle.Holding] = []

        /// Others' changes that were kept, as `WORKLOAD: CHANGE` lines.
        public var kept: [String] { restored.flatMap(\.kept) }
        /// Why the first thing could not be given back, with what is left named.
        public var failure: SessionError? {
            guard let first = failures.first else { return nil }
            return failures.first { $0.holding == .takeover }?.error ?? first.error
        }
    }

    let client: KubernetesClient
    public let session: String
    public let namespace: String
    /// The workloads the session took over (one, but `kbridge clean` may find more).
    public var workloads: [WorkloadReference]
    /// The session's copies (isolation mode: one pod, but `kbridge clean` may find more).
    public var clones: [String] = []
    /// The hosts file holding the session's block, and its text before the session wrote it.
    public var hostsFile: HostsFile?
    public var hostsOriginal: String?
    /// This machine's session records (nil in the cluster).
    public var registry: SessionRegistry?
    /// Closes the tunnel and the local listeners of a running session.
    public var closeTunnel: (@Sendable () async -> Void)?
    /// Puts back the whole saved original even over others' changes (`disconnect --force`).
    public var force = false
    /// What is known of the original the session saved; nil: what its Lease remembers.
    public var check: OriginalCheck?

    public init(client: KubernetesClient, session: String, namespace: String, workloads: [WorkloadReference]) {
        self.client = client
        self.session = session
        self.namespace = namespace
        self.workloads = workloads
    }

    /// The give-back of what a guard holds: a take-over (checked against the original's digest) or a copy.
    public init(client: KubernetesClient, session: String, namespace: String, hold: GuardedHold) {
        switch hold {
        case .takeover(let workload, let originalDigest):
            self.init(client: client, session: session, namespace: namespace, workloads: [workload])
            check = .digest(originalDigest)
        case .clone(let pod):
            self.init(client: client, session: session, namespace: namespace, workloads: [])
            clones = [pod]
        }
    }

    /// Gives back what a session of this machine whose process is gone left, as its record
    /// tells (its record, guard, take-over or copy, files, and hosts block); throws why something could not be.
    public static func giveBack(leftBy record: SessionRecord, client: KubernetesClient, registry: SessionRegistry, force: Bool = false) async throws(SessionError) -> Outcome {
        let namespace = record.workload.namespace
        var giveBack = if let clone = record.clonePod {
            SessionGiveBack(client: client, session: record.id, namespace: namespace, hold: .clone(pod: clone))
        } else {
            SessionGiveBack(client: client, session: record.id, namespace: namespace, workloads: [record.workload])
        }
        giveBack.registry = registry
        giveBack.hostsFile = record.hostsFile.map { HostsFile(path: $0) }
        giveBack.force = force
        var holdings: Set<SessionLifecycle.Holding> = [.record, .sessionGuard, record.clonePod == nil ? .takeover : .clone, .files]
        if record.hostsFile != nil { holdings.insert(.hostsBlock) }
        return try await giveBack.runThrowing(holdings)
    }

    /// Gives back `holdings` as a session known only by them (`SessionLifecycle.holding`);
    /// throws why something could not be given back.
    public func runThrowing(_ holdings: Set<SessionLifecycle.Holding>) async throws(SessionError) -> Outcome {
        var lifecycle = SessionLifecycle.holding(holdings)
        let outcome: Outcome
        do {
            outcome = try await run(&lifecycle, after: .stopRequested)
        } catch {
            throw .defect(error.description)
        }
        if let failure = outcome.failure { throw failure }
        return outcome
    }

    /// Gives back what `lifecycle` holds once `end` happened, in its order; `lifecycle` is left
    /// as it ended. An invalid `end` for its phase is a defect of the caller: thrown.
    public func run(_ lifecycle: inout SessionLifecycle, after end: SessionLifecycle.Event) async throws(SessionLifecycle.InvalidTransition) -> Outcome {
        var outcome = Outcome()
        var check = self.check
        var actions = try lifecycle.handle(end)
        while let action = actions.first {
            guard case .giveBack(let holding) = action else {
                if case .end(let ending, let leftBehind) = action {
                    outcome.ending = ending
                    outcome.leftBehind = leftBehind
                }
                break
            }
            do {
                switch holding {
                case .command:
                    break  // stopped (or ended) before the session gives back
                case .hostsBlock:
                    do { try hostsFile?.remove(session: session, original: hostsOriginal) } catch { throw SessionError.localEndpoints(error.description) }
                case .files:
                    if let registry {
                        do { try SessionFiles(session: session, registry: registry).remove() } catch { throw SessionError.localEndpoints(error.description) }
                    }
                case .tunnel:
                    await closeTunnel?()
                case .takeover:
                    // Read before the guard goes: the Lease remembers what the session saved.
                    let known = if let check { check } else { await SessionGuard(client: client, session: session, namespace: namespace).originalCheck() }
                    check = known
                    try await giveBackWorkloads(check: known, into: &outcome)
                case .clone:
                    try await SessionClone(client: client).remove(clones, session: session, namespace: namespace)
                case .sessionGuard:
                    do { try await SessionGuard(client: client, session: session, namespace: namespace).remove() } catch { throw SessionError.cluster(error) }
                case .record:
                    registry?.remove(session)
                }
                actions = try lifecycle.handle(.gaveBack(holding))
            } catch let error as SessionLifecycle.InvalidTransition {
                throw error
            } catch {
                outcome.failures.append((holding, error as? SessionError ?? .localEndpoints("\(error)")))
                actions = try lifecycle.handle(.couldNotGiveBack(holding))
            }
        }
        return outcome
    }

    /// Restores each workload (which deletes the session's Secret); without a workload (a session
    /// gone before its take-over), deletes the Secret alone.
    private func giveBackWorkloads(check: OriginalCheck, into outcome: inout Outcome) async throws(SessionError) {
        let takeover = WorkloadTakeover(client: client)
        guard !workloads.isEmpty else {
            do {
                try await client.delete(.secrets, name: ClusterNames.session(session), namespace: namespace)
            } catch let error where error.isNotFound {
            } catch {
                throw .cluster(error)
            }
            return
        }
        for workload in workloads {
            outcome.restored.append(try await takeover.restore(workload, session: session, force: force, check: check))
        }
    }
}
