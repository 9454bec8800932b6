import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing

@testable import BridgeTunnel

/// The heartbeat alone, on virtual time: a PING every interval; the carrier closed once nothing at
/// all came from the other end for the timeout; any byte counts as a sign of life.
@Suite struct CarrierHeartbeatTests {
    private func channel() throws -> EmbeddedChannel {
        var configuration = TunnelConfiguration(secret: "s")
        configuration.heartbeatInterval = .seconds(1)
        configuration.heartbeatTimeout = .seconds(3)
        let channel = EmbeddedChannel(handler: CarrierHeartbeat(configuration))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func pings(_ channel: EmbeddedChannel) throws -> [UInt64] {
        var pings: [UInt64] = []
        while let frame = try channel.readOutbound(as: HTTP2Frame.self) {
            if case .ping(let data, ack: false) = frame.payload { pings.append(data.integer) }
        }
        return pings
    }

    @Test func pingsEveryIntervalWhileThePeerSpeaks() throws {
        let channel = try channel()
        for second in 1...10 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try channel.writeInbound(ByteBuffer(bytes: [UInt8(second)]))
            #expect(try pings(channel) == [UInt64(second)])
        }
        #expect(channel.isActive, "a peer that speaks stays")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test func aSilentPeerIsClosedAfterTheTimeout() throws {
        let channel = try channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(channel.isActive, "not before the timeout has passed")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "closed once nothing came for longer than the timeout")
        #expect(try pings(channel) == [1, 2, 3], "no ping after it gave up")
    }

    @Test func anyByteCountsAsLifeNotOnlyThePingsAnswer() throws {
        let channel = try channel()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2_900))
        try channel.writeInbound(ByteBuffer(bytes: [0]))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2_900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aClosedCarrierStopsPinging() throws {
        let channel = try channel()
        try channel.close().wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try pings(channel).isEmpty)
    }
}
