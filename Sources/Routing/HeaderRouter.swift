import BridgeTunnel
import NIOCore
import NIOPosix
import Synchronization

/// The router in front of a service's pods (`kbridge-agent router`): listens on each of the
/// service's target ports and sends each HTTP request to the session its `kubernetes-route-as`
/// names, everything else (other requests, TLS, any other protocol) to the original pods.
public final class HeaderRouter: Sendable {
    private let arguments: RouterArguments
    private let host: String
    private let group: any EventLoopGroup
    private let clients = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// The client connections open now.
    public var openConnections: Int { clients.withLock { $0.count } }

    /// - Parameter host: the address to listen on (every address of the pod unless a platform
    ///   gives pods one address of a shared network).
    public init(arguments: RouterArguments, host: String = "0.0.0.0", group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.arguments = arguments
        self.host = host
        self.group = group
    }

    /// Listens on every listener's port; `ready` gets the bound ports (in the listeners' order:
    /// a port 0 is given one by the system). Returns when the listeners close; cancelling closes them.
    public func run(ready: @Sendable ([Int]) -> Void = { _ in }) async throws {
        var servers: [any Channel] = []
        do {
            for listener in arguments.listeners { servers.append(try await bind(listener)) }
        } catch {
            for server in servers { try? await server.close() }
            throw error
        }
        let bound = servers
        ready(bound.map { $0.localAddress?.port ?? 0 })
        await withTaskCancellationHandler {
            for server in bound { try? await server.closeFuture.get() }
        } onCancel: {
            for server in bound { server.close(promise: nil) }
        }
    }

    /// `run`, stopped gently once `stopRequested` returns (SIGTERM: the router's pod is being
    /// deleted): it goes on taking connections for `acceptingFor` (callers keep being sent to a
    /// stopping pod for a moment, until every node has dropped its address), then closes its
    /// listeners, asks the connections open to finish (HTTP/1: after the answer under way, or at
    /// once when idle; HTTP/2: a GOAWAY, so that new streams go elsewhere), and waits up to
    /// `waitingAtMost` for them to end.
    public func run(
        ready: @escaping @Sendable ([Int]) -> Void = { _ in }, stopRequested: @escaping @Sendable () async -> Void,
        acceptingFor: Duration, waitingAtMost: Duration
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run(ready: ready) }
            group.addTask {
                await stopRequested()
                try await Task.sleep(for: acceptingFor)
            }
            // The first to end: the listeners (closed or failed), or the stop's time to accept.
            try await group.next()
            group.cancelAll()
        }
        for client in clients.withLock({ Array($0.values) }) {
            client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        // At least one pass first: a connection accepted last may not be counted yet.
        let deadline = ContinuousClock.now + waitingAtMost
        repeat {
            try? await Task.sleep(for: .milliseconds(50))
        } while openConnections > 0 && ContinuousClock.now < deadline && !Task.isCancelled
    }

    /// Routes one connection accepted elsewhere (the CLI's listeners for the cluster's services)
    /// until it closes: everything goes to `original` through `dialer`, each HTTP request carrying
    /// `routeAs` unless it names a session itself; TLS and other protocols pass byte for byte.
    /// Cancelling closes it at once (and with it what it opened), as a relay's end does.
    public static func route(_ connection: HeldConnection, to original: RouterArguments.Endpoint, stampingUnnamedAs routeAs: String, through dialer: RouterDialer) async throws {
        let routing = ConnectionRouting(
            listener: RouterArguments.Listener(port: original.port, original: original), stamp: RouteStamp(name: routeAs, keepsGivenName: true), dialer: dialer
        )
        let client = try await connection.handOver { channel in
            try channel.pipeline.syncOperations.addHandler(ConnectionSniffer(routing: routing))
        }
        await withTaskCancellationHandler {
            try? await client.closeFuture.get()
        } onCancel: {
            client.triggerUserOutboundEvent(DrainingClose.Abandon(), promise: nil)
            client.close(promise: nil)
        }
    }

    private func bind(_ listener: RouterArguments.Listener) async throws -> any Channel {
        let routing = ConnectionRouting(listener: listener, stamp: arguments.routeAs.map { RouteStamp(name: $0, keepsGivenName: false) }, dialer: .tcp)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: HeldConnection.listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let client = ObjectIdentifier(channel)
                self.clients.withLock { $0[client] = channel }
                channel.closeFuture.whenComplete { _ in _ = self.clients.withLock { $0.removeValue(forKey: client) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.syncOptions?.setOption(.autoRead, value: false)
                    try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
                    try? channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    try channel.pipeline.syncOperations.addHandlers([DrainingClose(), ConnectionSniffer(routing: routing)])
                }
            }
            .bind(host: host, port: listener.port)
            .get()
    }
}

/// What a router does with one connection: where its requests go, the name it writes on them,
/// and how it reaches where they go.
struct ConnectionRouting: Sendable {
    var listener: RouterArguments.Listener
    var stamp: RouteStamp?
    var dialer: RouterDialer
}
