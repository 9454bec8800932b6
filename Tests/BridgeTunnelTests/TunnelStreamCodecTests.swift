import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import BridgeTunnel

/// One tunnel stream's codec alone (EmbeddedChannel as the HTTP/2 stream): CONNECT and its answer,
/// bytes as DATA both ways, half-closure, and an answer for whoever waits however the stream ends.
@Suite struct TunnelStreamCodecTests {
    private func stream(_ role: TunnelStreamCodec.Role) throws -> (EmbeddedChannel, TunnelStreamCodec) {
        let channel = EmbeddedChannel()
        let codec = TunnelStreamCodec(role: role, established: channel.eventLoop.makePromise())
        try channel.pipeline.syncOperations.addHandler(codec)
        return (channel, codec)
    }

    private func outcome(_ codec: TunnelStreamCodec, _ channel: EmbeddedChannel) -> Result<String, any Error>? {
        var ended: Result<String, any Error>?
        codec.established.futureResult.whenComplete { ended = $0 }
        channel.embeddedEventLoop.run()
        return ended
    }

    private func headers(_ pairs: [(String, String)], endStream: Bool = false) -> HTTP2Frame.FramePayload {
        .headers(.init(headers: HPACKHeaders(pairs), endStream: endStream))
    }

    @Test func theOpeningSideAsksThenCarriesBytesBothWaysAndHalfCloses() throws {
        let (channel, codec) = try stream(.opening(target: "10.0.0.7:8080"))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        guard case .headers(let request)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no request"); return }
        #expect(request.headers.first(name: ":method") == "CONNECT" && request.headers.first(name: ":authority") == "10.0.0.7:8080")
        #expect(outcome(codec, channel) == nil, "not established before the answer")

        try channel.writeInbound(headers([(":status", "200")]))
        guard case .success(let target)? = outcome(codec, channel) else { Issue.record("not established"); return }
        #expect(target == "10.0.0.7:8080")

        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "down")))))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "down"))
        try channel.writeOutbound(ByteBuffer(string: "up"))
        guard case .data(let up)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self), case .byteBuffer(let bytes) = up.data else { Issue.record("no DATA"); return }
        #expect(bytes == ByteBuffer(string: "up") && !up.endStream)

        // The output's end is an empty DATA frame with END_STREAM; the stream stays open for input.
        channel.close(mode: .output, promise: nil)
        guard case .data(let end)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no END_STREAM"); return }
        #expect(end.endStream)
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test func theOpeningSideFailsOnARefusalAndCloses() throws {
        let (channel, codec) = try stream(.opening(target: "db:5432"))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        _ = try channel.readOutbound(as: HTTP2Frame.FramePayload.self)
        try channel.writeInbound(headers([(":status", "502")], endStream: true))
        guard case .failure(let error)? = outcome(codec, channel) else { Issue.record("not failed"); return }
        #expect(error as? TunnelError == .refused(status: "502", target: "db:5432"))
        #expect(!channel.isActive)
    }

    @Test func theAcceptingSideRefusesWhatIsNotAConnect() throws {
        let (channel, codec) = try stream(.accepting)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(headers([(":method", "GET"), (":authority", "x:1")]))
        guard case .headers(let answer)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no answer"); return }
        #expect(answer.headers.first(name: ":status") == "400" && answer.endStream)
        guard case .failure(let error)? = outcome(codec, channel) else { Issue.record("not failed"); return }
        #expect(error as? TunnelError == .refused(status: "400", target: "x:1"))
    }

    @Test func theAcceptingSideLearnsItsTargetAndAnswers() throws {
        let (channel, codec) = try stream(.accepting)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(headers([(":method", "CONNECT"), (":authority", "localhost:5000")]))
        guard case .success(let target)? = outcome(codec, channel) else { Issue.record("not established"); return }
        #expect(target == "localhost:5000")
        codec.respond(status: "200")
        guard case .headers(let answer)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no answer"); return }
        #expect(answer.headers.first(name: ":status") == "200" && !answer.endStream)
        _ = try? channel.finish()
    }

    @Test(arguments: ["closed", "closed before it was added"])
    func aStreamThatEndsBeforeItsAnswerFailsItsWaiter(_ how: String) throws {
        let channel = EmbeddedChannel()
        if how == "closed before it was added" { try channel.close().wait() }
        let codec = TunnelStreamCodec(role: .opening(target: "api:80"), established: channel.eventLoop.makePromise())
        try channel.pipeline.syncOperations.addHandler(codec)
        if how == "closed" { try channel.close().wait() }
        guard case .failure(let error)? = outcome(codec, channel) else { Issue.record("the waiter got no answer"); return }
        #expect(error as? TunnelError == .closedBeforeAnswer(target: "api:80"))
    }
}
