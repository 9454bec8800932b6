import NIOCore
import NIOHTTP1
import NIOPosix

/// Servers the router's tests route to, on loopback ports the system picks.
enum TestServers {
    /// An HTTP/1.1 server that answers `NAME METHOD PATH route-as=VALUE`, echoes the body of a
    /// `POST /echo`, and upgrades `Upgrade: echo` requests to a byte echo.
    static func http(named name: String) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [EchoUpgrader()], completionHandler: { _ in })
                ).flatMap { channel.pipeline.addHandler(NamedResponder(name: name)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// A TCP server that echoes bytes, after `greeting` when one is given (a server that speaks first).
    static func echo(greeting: String? = nil) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteEcho(greeting: greeting))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// A port nothing listens on.
    static func closedPort() async throws -> Int {
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
