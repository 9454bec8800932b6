import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import BridgeTunnel

/// The handshake's handler alone: whatever happens to its connection, whoever waits for the
/// handshake is answered (a promise left pending crashes a debug build: "leaking promise").
@Suite struct TunnelHandshakeHandlerTests {
    let configuration = TunnelConfiguration(secret: "s3cret")

    /// A port-forward that ended before the handshake's handler was in place: the handshake
    /// fails (or cannot begin), it never waits for ever.
    @Test func aConnectionClosedBeforeTheHandshakeStartsFailsIt() throws {
        let channel = EmbeddedChannel()
        try channel.close().wait()
        guard let pending = try? PendingCarrier.begin(channel, side: .cli, purpose: .control, configuration: configuration).wait() else { return }
        #expect(Self.failure(of: pending, on: channel) == .closedSilently)
    }

    @Test func aHandlerRemovedMidHandshakeFailsIt() throws {
        let channel = EmbeddedChannel()
        let pending = try PendingCarrier.begin(channel, side: .agent, purpose: .control, configuration: configuration).wait()
        let handler = try channel.pipeline.syncOperations.handler(type: TunnelHandshakeHandler.self)
        try channel.pipeline.syncOperations.removeHandler(handler).wait()
        #expect(Self.failure(of: pending, on: channel) == .closedSilently)
        _ = try? channel.finish()
    }

    /// The CLI's side fed the agent's challenge in pieces, then a wrong proof: it answers once the
    /// challenge is whole, and fails on the proof.
    @Test func theCLIAnswersAChallengeThatArrivesInPiecesAndRefusesAWrongProof() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let pending = try PendingCarrier.begin(channel, side: .cli, purpose: .control, configuration: configuration).wait()
        let challenge = TunnelHandshake.magic + [UInt8](repeating: 7, count: TunnelHandshake.nonceSize)
        try channel.writeInbound(ByteBuffer(bytes: challenge.prefix(3)))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing before the challenge is whole")
        try channel.writeInbound(ByteBuffer(bytes: challenge.dropFirst(3)))
        let answer = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(answer.readableBytes == TunnelHandshake.magic.count + TunnelHandshake.nonceSize + TunnelHandshake.proofSize)
        try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 0, count: TunnelHandshake.proofSize)))
        #expect(Self.failure(of: pending, on: channel) == .wrongProof)
        #expect(!channel.isActive, "a wrong proof closes the connection")
    }

    /// How the handshake ended once the channel's loop ran: nil while it has not (a test that
    /// waited would hang instead of failing).
    static func failure(of pending: PendingCarrier, on channel: EmbeddedChannel) -> TunnelHandshakeError? {
        var ended: Result<Void, any Error>?
        pending.handshake.value.authenticated.futureResult.whenComplete { ended = $0 }
        channel.embeddedEventLoop.run()
        guard case .failure(let error) = ended else { return nil }
        return error as? TunnelHandshakeError
    }

    /// A carrier's connection that the other end closes as soon as it is accepted, many times over:
    /// every attempt ends with an error, none crashes or hangs.
    @Test func carriersClosedAtOnceByThePeerAlwaysEndWithAnError() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.close() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        for _ in 0..<200 {
            do {
                let pending = try await PendingCarrier.connect(host: "127.0.0.1", port: port, purpose: .inbound, configuration: configuration)
                _ = try await pending.dialer()
                Issue.record("a carrier to a peer that closes at once was authenticated")
            } catch {}
        }
    }
}
