import NIOCore
import NIOPosix
@testable import Sandbox
import Testing

@Suite struct AddressRangeTests {
    @Test func aRangeWhereSomethingListensIsSeenAsBusy() async throws {
        let second = Int.random(in: 180...250)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.\(second).3.4", port: 0).get()
        #expect(SandboxCredentials.listeningSecondOctets().contains(second))
        try await listener.close()
    }
}
