import Testing

@testable import BridgeTunnel

/// The agent's handshake slots, shared so that no peer on the pod network can keep another out.
@Suite struct HandshakeAdmissionTests {
    @Test func slotsAreFirstComeUntilFull() {
        var admission = HandshakeAdmission<Int>(limit: 3)
        #expect((1...3).map { admission.admit($0, peer: "10.0.0.9") } == [.admitted, .admitted, .admitted])
        #expect(admission.admit(4, peer: "10.0.0.9") == .refused, "a peer holding them all cannot take its own")
        admission.release(2)
        #expect(admission.admit(5, peer: "10.0.0.9") == .admitted)
    }

    @Test func aPeerHoldingEverySlotGivesTheOldestToAnother() {
        var admission = HandshakeAdmission<Int>(limit: 64)
        for ticket in 1...64 { #expect(admission.admit(ticket, peer: "10.0.0.9") == .admitted) }
        #expect(admission.admit(100, peer: "127.0.0.1") == .admittedInPlaceOf(1))
        #expect(admission.count == 64)
        // The attacker's next connection cannot take the newcomer's slot back: it holds more.
        #expect(admission.admit(101, peer: "10.0.0.9") == .refused)
    }

    /// Many peers holding one slot each: a newcomer takes the oldest, never the freshest.
    @Test func manyPeersWithOneSlotEachLoseTheirOldestFirst() {
        var admission = HandshakeAdmission<Int>(limit: 4)
        for ticket in 1...4 { _ = admission.admit(ticket, peer: "10.0.0.\(ticket)") }
        #expect(admission.admit(5, peer: "127.0.0.1") == .admittedInPlaceOf(1))
        #expect(admission.admit(6, peer: "10.0.0.7") == .admittedInPlaceOf(2))
        #expect(admission.admit(7, peer: "10.0.0.8") == .admittedInPlaceOf(3))
        #expect(admission.admit(8, peer: "10.0.0.9") == .admittedInPlaceOf(4))
        // The CLI's slot (ticket 5) is now the oldest: a peer that already holds one cannot take it.
        #expect(admission.admit(9, peer: "10.0.0.7") == .refused)
    }

    @Test func releasingWhatIsNotHeldChangesNothing() {
        var admission = HandshakeAdmission<Int>(limit: 1)
        admission.release(42)
        #expect(admission.admit(1, peer: "a") == .admitted)
        admission.release(1)
        admission.release(1)
        #expect(admission.count == 0)
    }
}
