/// The life of one session as one explicit state machine: where it is, what it holds (in the
/// cluster and on this machine), and what to do when something happens. It does no I/O: whoever
/// runs a session (`ConnectSession`) tells it what happened and performs what it answers, and
/// whoever finds a session whose process is gone (`kbridge disconnect`) starts from what such a
/// session may have left (`left(hostsBlock:)`). Tests drive it alone.
///
/// What a session holds is given back in the reverse order it was taken: the command, the hosts
/// block, the tunnel, the workload, the guard, the record. Something that cannot be given back
/// (the cluster is away) stops the give-back there: what it depends on stays (the guard stays
/// while the workload is not back, the record while the guard is there), for the guard, `kbridge
/// disconnect` or `kbridge clean` to finish.
public struct SessionLifecycle: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Nothing changed yet.
        case starting
        /// The session's record exists on this machine.
        case recorded
        /// Its Lease and guard exist in the cluster.
        case guarded
        /// The workload runs the agent.
        case takenOver
        /// The tunnel to the agent is open.
        case tunnelled
        /// The cluster's traffic reaches this machine.
        case connected
        /// The tunnel dropped: waiting for the agent to open it again.
        case reconnecting
        case givingBack(Ending)
        case ended(Ending)
    }

    public enum Ending: String, Sendable, Equatable {
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
        case record, sessionGuard, takeover, tunnel, hostsBlock, command

        public static func < (left: Holding, right: Holding) -> Bool { left.rawValue < right.rawValue }
    }

    public enum Event: Sendable, Equatable {
        case recorded, guardInstalled, tookOver, tunnelOpened, hostsWritten, connected, commandStarted
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

    public init() {}

    /// What a session whose process is gone may have left: its record, its guard, the
    /// take-over, and a hosts block if it wrote one (restoring and removing are idempotent).
    public static func left(hostsBlock: Bool) -> SessionLifecycle {
        var lifecycle = SessionLifecycle()
        lifecycle.phase = .takenOver
        lifecycle.holdings = [.record, .sessionGuard, .takeover]
        if hostsBlock { lifecycle.holdings.insert(.hostsBlock) }
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
        case (.takenOver, .tunnelOpened), (.reconnecting, .tunnelOpened):
            take(.tunnel, phase: phase == .reconnecting ? .connected : .tunnelled)
        case (.tunnelled, .hostsWritten):
            holdings.insert(.hostsBlock)
        case (.tunnelled, .connected):
            phase = .connected
        case (.connected, .commandStarted):
            holdings.insert(.command)
        case (.connected, .tunnelLost):
            holdings.remove(.tunnel)
            phase = .reconnecting
            return [.reconnect]
        case (.starting, .stopRequested), (.starting, .failed):
            phase = .ended(event == .failed ? .failed : .stopped)
            return [.end(event == .failed ? .failed : .stopped, leftBehind: [])]
        case (.recorded, _), (.guarded, _), (.takenOver, _), (.tunnelled, _), (.connected, _), (.reconnecting, _):
            guard let ending = Self.ending(of: event) else { throw invalid }
            if ending == .guardGaveBack {
                // The guard gave the workload back and took itself and the Lease away.
                holdings.subtract([.takeover, .sessionGuard])
            }
            phase = .givingBack(ending)
            return nextGiveBack(ending)
        case (.givingBack(let ending), .gaveBack(let holding)) where holdings.contains(holding):
            holdings.remove(holding)
            return nextGiveBack(ending)
        case (.givingBack, .couldNotGiveBack(let holding)) where holdings.contains(holding):
            phase = .ended(.failed)
            return [.end(.failed, leftBehind: holdings.sorted())]
        default:
            throw invalid
        }
        return []
    }

    private mutating func take(_ holding: Holding, phase next: Phase) {
        holdings.insert(holding)
        phase = next
    }

    private mutating func nextGiveBack(_ ending: Ending) -> [Action] {
        guard let last = holdings.max() else {
            phase = .ended(ending)
            return [.end(ending, leftBehind: [])]
        }
        return [.giveBack(last)]
    }

    private static func ending(of event: Event) -> Ending? {
        switch event {
        case .stopRequested: return .stopped
        case .commandExited: return .commandExited
        case .leaseGone: return .guardGaveBack
        case .failed: return .failed
        default: return nil
        }
    }
}
