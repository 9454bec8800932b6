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

    static let connectedWithACommand: [SessionLifecycle.Event] = [.recorded, .guardInstalled, .tookOver, .tunnelOpened, .hostsWritten, .connected, .commandStarted]

    @Test func everythingIsGivenBackInTheReverseOrderItWasTaken() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, Self.connectedWithACommand + [.commandExited])
        #expect(givenBack == [.command, .hostsBlock, .tunnel, .takeover, .sessionGuard, .record])
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
        #expect(givenBack == [.command, .hostsBlock, .tunnel])
        #expect(end == .end(.failed, leftBehind: [.record, .sessionGuard, .takeover]))
    }

    /// The Lease was gone when this machine woke: the guard gave the workload back and removed
    /// itself; the CLI gives back only what is on this machine.
    @Test func aSessionWhoseGuardActedGivesBackOnlyWhatIsLocal() throws {
        var lifecycle = SessionLifecycle()
        let (givenBack, end) = try Self.run(&lifecycle, Self.connectedWithACommand + [.leaseGone])
        #expect(givenBack == [.command, .hostsBlock, .tunnel, .record])
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
        #expect(givenBack == [.command, .hostsBlock, .takeover, .sessionGuard, .record])
        #expect(end == .end(.failed, leftBehind: []))
    }

    /// `kbridge disconnect` for a session whose process is gone starts from what it may have left.
    @Test func aGoneSessionsLeftoversAreGivenBackInOrder() throws {
        var lifecycle = SessionLifecycle.left(hostsBlock: true)
        let (givenBack, end) = try Self.run(&lifecycle, [.stopRequested])
        #expect(givenBack == [.hostsBlock, .takeover, .sessionGuard, .record])
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
}
