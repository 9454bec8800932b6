/// The life of one session as one explicit state machine: where it is, what it holds (in the
/// cluster and on this machine), and what to do when something happens. It does no I/O: whoever
/// runs a session (`ConnectSession`) tells it what happened and performs what it answers;
/// `SessionGiveBack` performs its give-back for every caller, starting, for a session whose
/// process is gone or a guard, from what is held (`holding(_:)`). Tests drive it alone.
///
/// What a session holds is given back in the reverse order it was taken: the command, the hosts
/// block, the pod's files, the tunnel, the copy or the workload, the guard, the record. Something
/// that cannot be given back (the cluster is away) is kept, and so is what depends on it (the
/// guard while the workload or the copy is not back, the record while anything is left), for the
/// guard, `kbridge disconnect` or `kbridge clean` to finish; everything else is still given back.
public struct SessionLifecycle: Sendable, Equatable {
    public enum Phase: Sendable, Hashable {
        /// Nothing changed yet.
        case starting
        /// The session's record exists on this machine.
        case recorded
        /// Its Lease and guard exist in the cluster.
        case guarded
        /// The workload runs the agent, or (isolation mode) a copy of its pod does.
        case takenOver
        /// The tunnel to the agent is open.
        case tunnelled
        /// The cluster's traffic reaches this machine.
        case connected
        /// The tunnel dropped: waiting for the agent to open it again.
        case reconnecting
        /// Known only by what it holds: a session whose process is gone, or what its guard guards.
        case left
        case givingBack(Ending)
        case ended(Ending)
    }

    public enum Ending: String, Sendable, Hashable, CaseIterable {
        /// Ctrl-C, SIGTERM, `kbridge disconnect`.
        case stopped
        /// The developer's command ended.
        case commandExited
        /// The Lease was gone: the guard gave the workload back while this machine was away.
        case guardGaveBack
        /// Something failed (the agent could not start, could not reconnect, ...).
        case failed
    }

    /// What a session holds, in the order it takes it.
    public enum Holding: Int, Sendable, CaseIterable, Comparable {
        case record, sessionGuard, takeover
        /// Isolation mode: a copy of the workload's pod that runs the agent (`SessionClone`).
        case clone
        case tunnel
        /// The pod's files downloaded on this machine (`SessionFiles`).
        case files
        case hostsBlock, command

        public static func < (left: Holding, right: Holding) -> Bool { left.rawValue < right.rawValue }
    }

    public enum Event: Sendable, Hashable {
        case recorded, guardInstalled, tookOver, cloned, tunnelOpened, filesWritten, hostsWritten, connected, commandStarted
        case tunnelLost
        case stopRequested, commandExited, leaseGone, failed
        /// One thing given back (an `Action.giveBack` done).
        case gaveBack(Holding)
        /// One thing that could not be given back.
        case couldNotGiveBack(Holding)
    }

    public enum Action: Sendable, Equatable {
        case reconnect
        case giveBack(Holding)
        case end(Ending, leftBehind: [Holding])
    }

    public struct InvalidTransition: Error, Equatable, CustomStringConvertible {
        public var phase: Phase
        public var event: Event
        public var description: String { "a session in phase \(phase) cannot handle \(event)" }
    }

    public private(set) var phase: Phase = .starting
    public private(set) var holdings: Set<Holding> = []
    /// What could not be given back (still held).
    public private(set) var kept: Set<Holding> = []
    /// What the last `.giveBack` action asked for: the only holding a give-back event may name.
    private var asked: Holding?

    public init() {}

    /// A session known by what it holds: one whose process is gone (its record, guard, the
    /// take-over, a hosts block if it wrote one: restoring and removing are idempotent), or the
    /// take-over and the guard, as the guard holds them.
    public static func holding(_ holdings: Set<Holding>) -> SessionLifecycle {
        var lifecycle = SessionLifecycle()
        lifecycle.phase = .left
        lifecycle.holdings = holdings
        return lifecycle
    }

    /// Takes in what happened; returns what to do next.
    public mutating func handle(_ event: Event) throws(InvalidTransition) -> [Action] {
        let invalid = InvalidTransition(phase: phase, event: event)
        switch (phase, event) {
        case (.starting, .recorded):
            take(.record, phase: .recorded)
        case (.recorded, .guardInstalled):
            take(.sessionGuard, phase: .guarded)
        case (.guarded, .tookOver), (.recorded, .tookOver):
            // From `.recorded`: a session without a guard (`--no-guard`).
            take(.takeover, phase: .takenOver)
        case (.guarded, .cloned), (.recorded, .cloned):
            take(.clone, phase: .takenOver)
        case (.takenOver, .tunnelOpened), (.reconnecting, .tunnelOpened):
            take(.tunnel, phase: phase == .reconnecting ? .connected : .tunnelled)
        case (.tunnelled, .filesWritten) where !holdings.contains(.files) && !holdings.contains(.hostsBlock):
            holdings.insert(.files)
        case (.tunnelled, .hostsWritten) where !holdings.contains(.hostsBlock):
            holdings.insert(.hostsBlock)
        case (.tunnelled, .connected):
            phase = .connected
        case (.connected, .commandStarted) where !holdings.contains(.command):
            holdings.insert(.command)
        case (.connected, .tunnelLost):
            holdings.remove(.tunnel)
            phase = .reconnecting
            return [.reconnect]
        case (.starting, .stopRequested), (.starting, .failed):
            phase = .ended(event == .failed ? .failed : .stopped)
            return [.end(event == .failed ? .failed : .stopped, leftBehind: [])]
        case (.left, .stopRequested), (.left, .failed):
            let ending: Ending = event == .failed ? .failed : .stopped
            phase = .givingBack(ending)
            return nextGiveBack(ending)
        case (.recorded, .stopRequested), (.guarded, .stopRequested), (.takenOver, .stopRequested), (.tunnelled, .stopRequested),
             (.connected, .stopRequested), (.reconnecting, .stopRequested),
             (.recorded, .failed), (.guarded, .failed), (.takenOver, .failed), (.tunnelled, .failed), (.connected, .failed), (.reconnecting, .failed):
            let ending: Ending = event == .failed ? .failed : .stopped
            phase = .givingBack(ending)
            return nextGiveBack(ending)
        case (.connected, .commandExited), (.reconnecting, .commandExited):
            guard holdings.contains(.command) else { throw invalid }
            phase = .givingBack(.commandExited)
            return nextGiveBack(.commandExited)
        case (.guarded, .leaseGone), (.takenOver, .leaseGone), (.tunnelled, .leaseGone), (.connected, .leaseGone), (.reconnecting, .leaseGone):
            // The guard gave the workload back (or removed the copy) and took itself and the Lease away.
            guard holdings.contains(.sessionGuard) else { throw invalid }
            holdings.subtract([.takeover, .clone, .sessionGuard])
            phase = .givingBack(.guardGaveBack)
            return nextGiveBack(.guardGaveBack)
        case (.givingBack(let ending), .gaveBack(let holding)) where holding == asked:
            holdings.remove(holding)
            return nextGiveBack(ending)
        case (.givingBack(let ending), .couldNotGiveBack(let holding)) where holding == asked:
            kept.insert(holding)
            return nextGiveBack(ending)
        default:
            throw invalid
        }
        return []
    }

    private mutating func take(_ holding: Holding, phase next: Phase) {
        holdings.insert(holding)
        phase = next
    }

    /// The next thing to give back: the last taken of what is held, not kept, and not needed by
    /// something kept (the guard stays while the workload or the copy does, the record while anything does).
    private mutating func nextGiveBack(_ ending: Ending) -> [Action] {
        let next = holdings.subtracting(kept).filter { holding in
            switch holding {
            case .sessionGuard: return kept.isDisjoint(with: [.takeover, .clone])
            case .record: return kept.isEmpty
            default: return true
            }
        }.max()
        asked = next
        if let next { return [.giveBack(next)] }
        let end: Ending = kept.isEmpty ? ending : .failed
        phase = .ended(end)
        return [.end(end, leftBehind: holdings.sorted())]
    }
}
