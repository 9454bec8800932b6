import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Routing

/// An h2c server and client for the router's HTTP/2 tests.
public enum HTTP2TestPeers {
    /// A server (HTTP/2 with prior knowledge) whose every stream is answered with `x-served-by:
    /// NAME`, `x-route-as:` what the request carried, and the request's body echoed.
    public static func server(named name: String, host: String = "127.0.0.1", port: Int = 0) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()) { stream in
                        stream.eventLoop.makeCompletedFuture { try stream.pipeline.syncOperations.addHandler(EchoingResponder(name: name)) }
                    }
                }
            }
            .bind(host: host, port: port).get()
    }

    /// A client connection to `port`, on which `request` opens streams.
    /// (`after`: how long the client waits before its preface, so that the server's comes first.)
    public static func connect(host: String = "127.0.0.1", port: Int, after delay: Duration = .zero) async throws -> (channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer) {
        // Nothing read before the HTTP/2 handler is in place: what the server sent waits for it.
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelOption(.autoRead, value: false)
            .connect(host: host, port: port).get()
        try await Task.sleep(for: delay)
        let multiplexer = try await channel.eventLoop.submit {
            let multiplexer = try channel.pipeline.syncOperations.configureHTTP2Pipeline(mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()) { stream in
                stream.close()
            }
            try channel.syncOptions?.setOption(.autoRead, value: true)
            return multiplexer
        }.get()
        return (channel, multiplexer)
    }

    /// One request on a new stream: its answer's headers and body.
    public static func request(_ multiplexer: NIOHTTP2Handler.StreamMultiplexer, on eventLoop: any EventLoop, headers extra: [(String, String)] = [], body: [UInt8] = []) async throws -> (headers: HPACKHeaders, body: [UInt8]) {
        let answer = eventLoop.makePromise(of: (HPACKHeaders, [UInt8]).self)
        let stream = try await multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture { try stream.pipeline.syncOperations.addHandler(AnswerCollector(answer: answer)) }
        }.get()
        var headers: HPACKHeaders = [":method": body.isEmpty ? "GET" : "POST", ":path": "/", ":scheme": "http", ":authority": "test"]
        for (name, value) in extra { headers.add(name: name, value: value) }
        stream.write(HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: body.isEmpty)), promise: nil)
        if !body.isEmpty {
            stream.write(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: body)), endStream: true)), promise: nil)
        }
        stream.flush()
        return try await answer.futureResult.get()
    }
}

private final class EchoingResponder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let name: String
    private var routeAs = ""
    private var body = ByteBuffer()

    init(name: String) {
        self.name = name
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var ended = false
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            routeAs = headers.headers[RouteAs.header].joined(separator: ",")
            ended = headers.endStream
        case .data(let data):
            if case .byteBuffer(var bytes) = data.data { body.writeBuffer(&bytes) }
            ended = data.endStream
        default:
            break
        }
        guard ended else { return }
        let headers: HPACKHeaders = [":status": "200", "x-served-by": name, "x-route-as": routeAs]
        context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(body), endStream: true))), promise: nil)
    }
}

private final class AnswerCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload

    private let answer: EventLoopPromise<(HPACKHeaders, [UInt8])>
    private var headers = HPACKHeaders()
    private var body = ByteBuffer()

    init(answer: EventLoopPromise<(HPACKHeaders, [UInt8])>) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var ended = false
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            headers = frame.headers
            ended = frame.endStream
        case .data(let frame):
            if case .byteBuffer(var bytes) = frame.data { body.writeBuffer(&bytes) }
            ended = frame.endStream
        default:
            break
        }
        if ended { answer.succeed((headers, Array(body.readableBytesView))) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(ChannelError.eof)
    }
}
