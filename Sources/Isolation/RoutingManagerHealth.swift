import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Whether the routing manager's last pass succeeded, answered at `GET /healthz` on
/// `RoutingManagerHealth.port` (its Deployment's readiness probe and `routingmanager-service`):
/// 200 when it did, 503 before the first pass and after a failed one. It answers nothing else,
/// and says nothing of the routes, since the whole cluster network reaches it.
public final class RoutingManagerHealth: Sendable {
    public static let port = 7400
    public static let path = "/healthz"
    private let healthy = Mutex(false)

    public init() {}

    public var isHealthy: Bool { healthy.withLock { $0 } }
    func passed() { healthy.withLock { $0 = true } }
    func failed() { healthy.withLock { $0 = false } }

    /// Serves the answer on `host:port` until the channel closes.
    public func serve(host: String, port: Int = RoutingManagerHealth.port) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(health: self))
                }
            }
            .bind(host: host, port: port).get()
    }

    private final class HealthHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let health: RoutingManagerHealth
        private var head: HTTPRequestHead?

        init(health: RoutingManagerHealth) { self.health = health }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let request): head = request
            case .body: break
            case .end:
                guard let request = head else { return }
                head = nil
                let status: HTTPResponseStatus
                let text: String
                if request.method != .GET || request.uri != RoutingManagerHealth.path {
                    (status, text) = (.notFound, "not found\n")
                } else if health.isHealthy {
                    (status, text) = (.ok, "ok\n")
                } else {
                    (status, text) = (.serviceUnavailable, "not reconciling\n")
                }
                var headers = HTTPHeaders([("Content-Type", "text/plain"), ("Content-Length", "\(text.utf8.count)")])
                if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
                let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if !request.isKeepAlive {
                    let channel = context.channel
                    written.whenComplete { _ in channel.close(promise: nil) }
                }
            }
        }
    }
}
