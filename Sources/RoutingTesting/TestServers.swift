import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Servers the router's tests route to: on loopback ports the system picks, or where a test
/// cluster runs them (`kbridge-testserver`).
public enum TestServers {
    /// An HTTP/1.1 server that answers `NAME METHOD PATH route-as=VALUE`, echoes the body of a
    /// `POST /echo`, upgrades `Upgrade: echo` requests to a byte echo, and `Upgrade: websocket`
    /// requests to a WebSocket that answers each text message with `NAME: MESSAGE`.
    public static func http(named name: String, host: String = "127.0.0.1", port: Int = 0) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let websocket = NIOWebSocketServerUpgrader(
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            _ = sync.removeHandler(try sync.handler(type: NamedResponder.self))
                            try sync.addHandler(NamedWebSocketEcho(name: name))
                        }
                    }
                )
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [EchoUpgrader(), websocket], completionHandler: { _ in })
                ).flatMap { channel.pipeline.addHandler(NamedResponder(name: name)) }
            }
            .bind(host: host, port: port).get()
    }

    /// A TCP server that echoes bytes, after `greeting` when one is given (a server that speaks first).
    public static func echo(greeting: String? = nil, host: String = "127.0.0.1", port: Int = 0) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteEcho(greeting: greeting))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// A port nothing listens on.
    public static func closedPort() async throws -> Int {
        let server = try await echo()
        let port = server.localAddress!.port!
        try await server.close()
        return port
    }
}

final class NamedResponder: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let name: String
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(name: String) {
        self.name = name
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var bytes):
            body.writeBuffer(&bytes)
        case .end:
            guard let head else { return }
            let answer: ByteBuffer
            if head.uri == "/echo" {
                answer = body
            } else {
                answer = ByteBuffer(string: "\(name) \(head.method.rawValue) \(head.uri) route-as=\(head.headers["kubernetes-route-as"].joined(separator: ","))")
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: String(answer.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

struct EchoUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol = "echo"
    let requiredUpgradeHeaders: [String] = []

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        channel.eventLoop.makeSucceededFuture(initialResponseHeaders)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        context.eventLoop.makeCompletedFuture {
            let sync = context.pipeline.syncOperations
            _ = sync.removeHandler(try sync.handler(type: NamedResponder.self))
            try sync.addHandler(ByteEcho(greeting: nil))
        }
    }
}

final class ByteEcho: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let greeting: String?

    init(greeting: String?) {
        self.greeting = greeting
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { greet(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        greet(context)
        context.fireChannelActive()
    }

    private func greet(_ context: ChannelHandlerContext) {
        if let greeting { context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event { context.close(mode: .output, promise: nil) }
    }
}

/// Answers each WebSocket text message with `NAME: MESSAGE`; answers a close with a close.
final class NamedWebSocketEcho: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let name: String

    init(name: String) {
        self.name = name
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var text = frame.unmaskedData
            let message = text.readString(length: text.readableBytes) ?? ""
            let answer = context.channel.allocator.buffer(string: "\(name): \(message)")
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: answer)), promise: nil)
        case .connectionClose:
            frame.maskKey = nil
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData))).whenComplete { _ in
                context.close(promise: nil)
            }
        default:
            break
        }
    }
}
