import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

extension KubernetesClient {
    /// Opens a port-forward to a pod's port as a NIO channel that carries that port's raw bytes,
    /// and lets `initializer` set up the caller's handlers on it (an HTTP/2 tunnel, say) once the
    /// server has accepted the WebSocket. No extra hop: the caller's protocol runs directly on the
    /// WebSocket connection to the API server. The channel runs on `eventLoop` when given (the loop
    /// its bytes will be relayed on), else on any of NIO's.
    public func portForwardChannel<Output: Sendable>(
        pod: String, namespace: String? = nil, port: Int, on eventLoop: (any EventLoop)? = nil,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Output>
    ) async throws(KubernetesError) -> Output {
        let ns = resolve(namespace, for: .pods) ?? connection.namespace
        let context = RequestSummary(verb: "create", resource: .pods, name: pod, namespace: ns, subresource: "portforward", server: connection.serverDescription)
        let prepared = try await credentials.prepare()
        guard let host = connection.server.host else { throw .configuration(.invalidServer(server: connection.serverDescription)) }
        let serverPort = connection.server.port ?? (connection.server.scheme == "https" ? 443 : 80)
        let path = ResourceType.pods.objectPath(name: pod, namespace: ns, subresource: "portforward")
        let target = APIRequest(method: .GET, path: path, query: [("ports", String(port))], context: context).url(server: URL(string: "http://x")!)
            .dropFirst("http://x".count)

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: serverPort == 443 ? host : "\(host):\(serverPort)")
        headers.add(name: "Sec-WebSocket-Protocol", value: Self.portForwardProtocol)
        if let authorization = prepared.authorization { headers.add(name: "Authorization", value: authorization) }
        let requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: String(target), headers: headers)
        let sslContext: NIOSSLContext?
        do {
            sslContext = try prepared.tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw .credentials("cannot set up TLS for \(connection.serverDescription): \(error)")
        }
        let serverName = Self.tlsServerName(for: connection) ?? host

        do {
            let upgrade = try await ClientBootstrap(group: eventLoop ?? MultiThreadedEventLoopGroup.singleton.next())
                .connectTimeout(.seconds(10))
                .connect(host: host, port: serverPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let upgrader = NIOTypedWebSocketClientUpgrader<PortForwardUpgrade>(maxFrameSize: 16 << 20) { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                // The frame handler writes whole frames (masked faster than NIO's encoder does) below the encoder.
                                let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
                                try channel.pipeline.syncOperations.addHandler(EncodedFrameOutlet(), position: .before(encoder))
                                try channel.pipeline.syncOperations.addHandler(PortForwardFrameHandler(port: port, pod: "\(ns)/\(pod)"))
                                return PortForwardUpgrade.upgraded(channel)
                            }
                        }
                        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                            upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                                upgradeRequestHead: requestHead, upgraders: [upgrader],
                                notUpgradingCompletionHandler: { channel in
                                    channel.eventLoop.makeCompletedFuture {
                                        let answer = RefusedUpgradeAnswer(promise: channel.eventLoop.makePromise())
                                        try channel.pipeline.syncOperations.addHandler(answer)
                                        return .refused(answer.promise.futureResult)
                                    }
                                }
                            )
                        )
                        configuration.leftOverBytesStrategy = .forwardBytes
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName), position: .first)
                        }
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
                    }
                }
            let channel: any Channel
            switch try await upgrade.get() {
            case .upgraded(let upgraded):
                channel = upgraded
            case .refused(let answer):
                throw try await answer.get()
            }
            // The caller's handlers go in only once the upgrade is over: what they write straight away
            // (an HTTP/2 preface) must not meet the HTTP/1 handlers still being removed.
            return try await channel.eventLoop.flatSubmit {
                initializer(channel).flatMap { output in
                    channel.triggerUserOutboundEvent(PortForwardFrameHandler.StartDelivering()).map { output }
                }
            }.get()
        } catch {
            throw await portForwardFailure(error, pod: pod, namespace: ns, port: port, context: context)
        }
    }
}

/// How the port-forward request ended: switched to WebSocket, or answered without switching.
enum PortForwardUpgrade: Sendable {
    case upgraded(any Channel)
    /// The answer, once it has been read whole.
    case refused(EventLoopFuture<PortForwardRefused>)
}

/// The API server answered the port-forward request without switching to WebSocket.
struct PortForwardRefused: Error {
    var status: HTTPResponseStatus
    var body: String
}

/// Reads the answer of a server that did not switch protocols, so that the error can quote it.
final class RefusedUpgradeAnswer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<PortForwardRefused>
    private var status: HTTPResponseStatus = .badGateway
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<PortForwardRefused>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var bytes):
            if body.readableBytes < 16 << 10 { body.writeBuffer(&bytes) }
        case .end:
            promise.succeed(PortForwardRefused(status: status, body: String(buffer: body)))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed(PortForwardRefused(status: status, body: String(buffer: body)))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.succeed(PortForwardRefused(status: status, body: String(buffer: body)))
        context.close(promise: nil)
    }
}
