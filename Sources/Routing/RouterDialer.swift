import BridgeTunnel
import NIOCore
import NIOPosix

/// How a router reaches where requests go. Every connection it opens is in the router's form: on
/// the event loop it is asked for (the client's, so that a relay never changes threads), reading
/// only when asked, half-closable, and what the server says before anyone reads it kept
/// (`EarlyBytes`).
public struct RouterDialer: Sendable {
    let open: @Sendable (RouterArguments.Endpoint, any EventLoop) -> EventLoopFuture<any Channel>

    /// Over TCP (the routers in the cluster), closes sending what is queued first. Addresses are
    /// dialled as they are, with no name lookup (the routing manager writes addresses).
    public static let tcp = RouterDialer { endpoint, eventLoop in
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([DrainingClose(), EarlyBytes()])
                }
            }
        if let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
            return bootstrap.connect(to: address)
        }
        return bootstrap.connect(host: endpoint.host, port: endpoint.port)
    }

    /// Through connections `connect` opens, held until taken (the CLI: streams of its tunnel to
    /// the agent, which dials the endpoint in the cluster). They must be on the event loop asked for.
    public static func held(_ connect: @escaping @Sendable (RouterArguments.Endpoint) async throws -> HeldConnection) -> RouterDialer {
        RouterDialer { endpoint, eventLoop in
            let promise = eventLoop.makePromise(of: (any Channel).self)
            promise.completeWithTask {
                let connection = try await connect(endpoint)
                guard connection.channel.eventLoop === eventLoop else {
                    await connection.close()
                    throw RouterDialerError.otherEventLoop(endpoint)
                }
                return try await connection.handOver { channel in
                    try channel.syncOptions?.setOption(.autoRead, value: false)
                    try channel.pipeline.syncOperations.addHandler(EarlyBytes())
                }
            }
            return promise.futureResult
        }
    }
}

enum RouterDialerError: Error, CustomStringConvertible {
    case otherEventLoop(RouterArguments.Endpoint)

    var description: String {
        switch self {
        case .otherEventLoop(let endpoint): return "the connection to \(endpoint) is served on another event loop than its client"
        }
    }
}
