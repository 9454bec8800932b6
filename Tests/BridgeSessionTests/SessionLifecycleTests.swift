import BridgeSession
import Testing

/// The session's state machine alone, without a cluster or a machine to change.
@Suite struct SessionLifecycleTests {
    /// Feeds `events`, then answers every give-back with `answer` until the session ends; returns
    /// the things given back in order and the end.
    private static func run(
        _ lifecycle: inout SessionLifecycle, _ events: [SessionLifecycle.Event], answer: (SessionLifecycle.Holding) -> Bool = { _ in true }
    ) throws -> (givenBack: [SessionLifecycle.Holding], end: SessionLifecycle.Action?) {
        var actions: [SessionLifecycle.Action] = []
        for event in events { actions = try lifecycle.handle(event) }
        var givenBack: [SessionLifecycle.Holding] = []
        while case .giveBack(let holding)? = actions.first {
            let done = answer(holding)
            if done { givenBack.append(holding) }
            actions = try lifecycle.handle(done ? .gaveBack(holding) : .couldNotGiveBack(holding))
        }
        return (givenBack, actions.first)
    }

    static let connectedWithACommand: [SessionLifecycle.Event] = [.recorded, .guardInstalled, .tookOver, .tunnelOpened, .filesWritten, .hostsWritten, .connected, .commandStarted]

    @Test func everythingIsGivenBackInTheReverseOrderItWasTaken() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, Self.connectedWithACommand + [.commandExited])
        #expect(givenBack == [.command, .hostsBlock, .files, .tunnel, .takeover, .sessionGuard, .record])
        #expect(end == .end(.commandExited, leftBehind: []))
        #expect(lifecycle.phase == .ended(.commandExited))
        #expect(lifecycle.holdings.isEmpty)
    }

    /// The agent never got ready: only what was taken is given back.
    @Test func aFailureBeforeTheTunnelGivesBackTheWorkloadTheGuardAndTheRecord() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, [.recorded, .guardInstalled, .tookOver, .failed])
        #expect(givenBack == [.takeover, .sessionGuard, .record])
        #expect(end == .end(.failed, leftBehind: []))
    }

    /// The cluster is away when the workload should be given back: the guard (which will give it
    /// back) and the record (which `kbridge disconnect` finds) stay.
    @Test func whatCannotBeGivenBackKeepsWhatDependsOnIt() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, Self.connectedWithACommand + [.stopRequested]) { $0 != .takeover }
        #expect(givenBack == [.command, .hostsBlock, .files, .tunnel])
        #expect(end == .end(.failed, leftBehind: [.record, .sessionGuard, .takeover]))
    }

    /// The Lease was gone when this machine woke: the guard gave the workload back and removed
    /// itself; the CLI gives back only what is on this machine.
    @Test func aSessionWhoseGuardActedGivesBackOnlyWhatIsLocal() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, Self.connectedWithACommand + [.leaseGone])
        #expect(givenBack == [.command, .hostsBlock, .files, .tunnel, .record])
        #expect(end == .end(.guardGaveBack, leftBehind: []))
    }

    @Test func aDroppedTunnelIsReopenedAndTheSessionGoesOn() throws {
        var lifecycle = SessionLifecycle()
        for event in Self.connectedWithACommand { _ = try lifecycle.handle(event) }
        #expect(try lifecycle.handle(.tunnelLost) == [.reconnect])
        #expect(lifecycle.phase == .reconnecting)
        #expect(!lifecycle.holdings.contains(.tunnel))
        #expect(try lifecycle.handle(.tunnelOpened) == [])
        #expect(lifecycle.phase == .connected)
        // Failing to come back gives everything back.
        #expect(try lifecycle.handle(.tunnelLost) == [.reconnect])
        let (givenBack, end) = try Self.run(&lifecycle, [.failed])
        #expect(givenBack == [.command, .hostsBlock, .files, .takeover, .sessionGuard, .record])
        #expect(end == .end(.failed, leftBehind: []))
    }

    /// `kbridge disconnect` for a session whose process is gone starts from what it may have left.
    @Test func aGoneSessionsLeftoversAreGivenBackInOrder() throws {
        var lifecycle = SessionLifecycle.holding([.record, .sessionGuard, .takeover, .files, .hostsBlock])
        let (givenBack, end) = try Self.run(&lifecycle, [.stopRequested])
        #expect(givenBack == [.hostsBlock, .files, .takeover, .sessionGuard, .record])
        #expect(end == .end(.stopped, leftBehind: []))
    }

    @Test func aStopBeforeAnythingChangedEndsAtOnce() throws {
        var lifecycle = SessionLifecycle()
        #expect(try lifecycle.handle(.stopRequested) == [.end(.stopped, leftBehind: [])])
    }

    @Test func eventsOutOfOrderAreRefused() {
        var lifecycle = SessionLifecycle()
        #expect(throws: SessionLifecycle.InvalidTransition.self) { try lifecycle.handle(.tookOver) }
        _ = try? lifecycle.handle(.recorded)
        #expect(throws: SessionLifecycle.InvalidTransition.self) { try lifecycle.handle(.gaveBack(.record)) }
        #expect(throws: SessionLifecycle.InvalidTransition.self) { try lifecycle.handle(.tunnelLost) }
    }

    /// Every phase, as a session reaches it, against every event: the pairs of `Self.table` lead
    /// to the phase it names; every other pair is refused with `InvalidTransition`.
    @Test func everyPhaseAndEventIsATransitionOfTheTableOrRefused() throws {
        let holdings = SessionLifecycle.Holding.allCases
        let events: [SessionLifecycle.Event] = [
            .recorded, .guardInstalled, .tookOver, .cloned, .tunnelOpened, .filesWritten, .hostsWritten, .connected, .commandStarted, .tunnelLost,
            .stopRequested, .commandExited, .leaseGone, .failed,
        ] + holdings.map { .gaveBack($0) } + holdings.map { .couldNotGiveBack($0) }
        var checked = 0
        for (name, start) in Self.phases {
            let expected = try #require(Self.table[name], "the table has a row for \(name)")
            for event in events {
                var lifecycle = try start()
                checked += 1
                if let next = expected[event] {
                    _ = try lifecycle.handle(event)
                    #expect(lifecycle.phase == next, "\(name) + \(event)")
                } else {
                    #expect(throws: SessionLifecycle.InvalidTransition.self, "\(name) + \(event) is refused") { _ = try lifecycle.handle(event) }
                }
            }
        }
        #expect(checked == Self.phases.count * 30)
    }

    private static func reach(_ events: [SessionLifecycle.Event]) throws -> SessionLifecycle {
        var lifecycle = SessionLifecycle()
        for event in events { _ = try lifecycle.handle(event) }
        return lifecycle
    }

    static let tunnelled: [SessionLifecycle.Event] = [.recorded, .guardInstalled, .tookOver, .tunnelOpened]

    /// Each phase (with what it may hold) as a session gets there.
    static let phases: [(String, @Sendable () throws -> SessionLifecycle)] = [
        ("starting", { SessionLifecycle() }),
        ("recorded", { try reach([.recorded]) }),
        ("guarded", { try reach([.recorded, .guardInstalled]) }),
        ("takenOver", { try reach([.recorded, .guardInstalled, .tookOver]) }),
        ("takenOver without guard", { try reach([.recorded, .tookOver]) }),
        ("cloned", { try reach([.recorded, .guardInstalled, .cloned]) }),
        ("cloned without guard", { try reach([.recorded, .cloned]) }),
        ("tunnelled", { try reach(tunnelled) }),
        ("tunnelled with files", { try reach(tunnelled + [.filesWritten]) }),
        ("tunnelled with hosts", { try reach(tunnelled + [.hostsWritten]) }),
        ("connected", { try reach(tunnelled + [.connected]) }),
        ("connected with command", { try reach(tunnelled + [.connected, .commandStarted]) }),
        ("reconnecting", { try reach(tunnelled + [.connected, .tunnelLost]) }),
        ("reconnecting with command", { try reach(tunnelled + [.connected, .commandStarted, .tunnelLost]) }),
        ("left", { SessionLifecycle.holding([.record, .sessionGuard, .takeover]) }),
        ("givingBack", { try reach(tunnelled + [.connected, .commandStarted, .stopRequested]) }),
        ("ended", { try reach([.stopRequested]) }),
    ]

    /// Where each (phase, event) leads; absent: refused.
    static let table: [String: [SessionLifecycle.Event: SessionLifecycle.Phase]] = {
        let giveBack: [SessionLifecycle.Event: SessionLifecycle.Phase] = [.stopRequested: .givingBack(.stopped), .failed: .givingBack(.failed)]
        let guarded = giveBack.merging([.leaseGone: .givingBack(.guardGaveBack)]) { $1 }
        return [
            "starting": [.recorded: .recorded, .stopRequested: .ended(.stopped), .failed: .ended(.failed)],
            "recorded": giveBack.merging([.guardInstalled: .guarded, .tookOver: .takenOver, .cloned: .takenOver]) { $1 },
            "guarded": guarded.merging([.tookOver: .takenOver, .cloned: .takenOver]) { $1 },
            "takenOver": guarded.merging([.tunnelOpened: .tunnelled]) { $1 },
            "takenOver without guard": giveBack.merging([.tunnelOpened: .tunnelled]) { $1 },
            "cloned": guarded.merging([.tunnelOpened: .tunnelled]) { $1 },
            "cloned without guard": giveBack.merging([.tunnelOpened: .tunnelled]) { $1 },
            "tunnelled": guarded.merging([.filesWritten: .tunnelled, .hostsWritten: .tunnelled, .connected: .connected]) { $1 },
            // The files come before the hosts block, once.
            "tunnelled with files": guarded.merging([.hostsWritten: .tunnelled, .connected: .connected]) { $1 },
            "tunnelled with hosts": guarded.merging([.connected: .connected]) { $1 },
            "connected": guarded.merging([.commandStarted: .connected, .tunnelLost: .reconnecting]) { $1 },
            "connected with command": guarded.merging([.tunnelLost: .reconnecting, .commandExited: .givingBack(.commandExited)]) { $1 },
            "reconnecting": guarded.merging([.tunnelOpened: .connected]) { $1 },
            "reconnecting with command": guarded.merging([.tunnelOpened: .connected, .commandExited: .givingBack(.commandExited)]) { $1 },
            "left": giveBack,
            // Only the holding it asked for (the command) may be answered.
            "givingBack": [.gaveBack(.command): .givingBack(.stopped), .couldNotGiveBack(.command): .givingBack(.stopped)],
            "ended": [:],
        ]
    }()

    /// An isolated session's copy is given back where a take-over would be, and the guard stays
    /// while the copy cannot be removed.
    @Test func aCopyIsGivenBackInTheTakeoversPlace() throws {
        var lifecycle = SessionLifecycle()
        let events: [SessionLifecycle.Event] = [.recorded, .guardInstalled, .cloned, .tunnelOpened, .connected, .stopRequested]
        let (givenBack, end) = try Self.run(&lifecycle, events) { _ in true }
        #expect(givenBack == [.tunnel, .clone, .sessionGuard, .record])
        #expect(end == .end(.stopped, leftBehind: []))
        var failing = SessionLifecycle()
        let (partly, left) = try Self.run(&failing, events) { $0 != .clone }
        #expect(partly == [.tunnel])
        #expect(left == .end(.failed, leftBehind: [.record, .sessionGuard, .clone]))
    }

    /// A hosts block that cannot be removed is kept with the record (for `kbridge clean`); the
    /// workload and the guard are still given back.
    @Test func aHostsBlockThatCannotBeRemovedKeepsOnlyTheRecord() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, Self.connectedWithACommand + [.stopRequested]) { $0 != .hostsBlock }
        #expect(givenBack == [.command, .files, .tunnel, .takeover, .sessionGuard])
        #expect(end == .end(.failed, leftBehind: [.record, .hostsBlock]))
    }
}
