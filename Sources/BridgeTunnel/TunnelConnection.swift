import NIOCore
import NIOHTTP2
import NIOPosix

/// A tunnelled connection: bytes in and out, half-closable (`outbound.finish()` ends the output).
public typealias TunnelStream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

/// One stream the other end opened, waiting for this end to reach its target.
public struct TunnelRequest: Sendable {
    /// Where the other end wants to go, e.g. `10.0.0.12:8080` or `localhost:5000`.
    public let target: String
    /// The stream's bytes, held until taken (`stream()`, or `TunnelRelay.join`).
    public let connection: HeldConnection
    let codec: NIOLoopBound<TunnelStreamCodec>

    /// The stream's bytes as an async byte channel.
    public func stream() async throws -> TunnelStream {
        try await connection.take()
    }

    /// Opens the byte stream: the other end's `open` returns.
    public func accept() async {
        await respond("200")
    }

    /// Ends the stream: the other end's `open` fails with `TunnelError.refused` (502: target unreachable).
    public func refuse(status: String = "502") async {
        await respond(status)
    }

    private func respond(_ status: String) async {
        let codec = self.codec
        try? await codec.eventLoop.submit { codec.value.respond(status: status) }.get()
    }
}

/// The accepting end of a tunnel on one connection (the HTTP/2 server).
public struct TunnelListener: Sendable {
    struct Incoming: Sendable {
        var established: EventLoopFuture<String>
        var connection: HeldConnection
        var codec: NIOLoopBound<TunnelStreamCodec>
    }

    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Incoming>
    /// The carrier connection (a TCP socket, or a port-forward).
    public let connection: any Channel

    /// Sets up the server side of HTTP/2 on an authenticated channel. Call on its event loop.
    static func configureSynchronously(_ channel: any Channel, configuration: TunnelConfiguration) throws -> TunnelListener {
        let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .server, configuration: configuration.http2) { stream in
            stream.eventLoop.makeCompletedFuture {
                let codec = TunnelStreamCodec(role: .accepting, established: stream.eventLoop.makePromise())
                try stream.pipeline.syncOperations.addHandler(codec)
                let connection = try HeldConnection.holdSynchronously(stream)
                return Incoming(established: codec.established.futureResult, connection: connection, codec: NIOLoopBound(codec, eventLoop: stream.eventLoop))
            }
        }
        try channel.pipeline.syncOperations.addHandler(CarrierHeartbeat(configuration), position: .first)
        return TunnelListener(multiplexer: multiplexer, connection: channel)
    }

    /// Hands each stream to `handler`, concurrently, until the connection ends. Malformed
    /// requests are refused (400) without reaching `handler`.
    public func serve(_ handler: @escaping @Sendable (TunnelRequest) async -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await incoming in multiplexer.inbound {
                group.addTask {
                    guard let target = try? await incoming.established.get() else {
                        await incoming.connection.close()
                        return
                    }
                    await handler(TunnelRequest(target: target, connection: incoming.connection, codec: incoming.codec))
                }
            }
        }
    }
}

/// The opening end of a tunnel on one connection (the HTTP/2 client).
public struct TunnelDialer: Sendable {
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    let configuration: TunnelConfiguration
    /// The carrier connection (a TCP socket, or a port-forward).
    public let connection: any Channel

    /// Sets up the client side of HTTP/2 on an authenticated channel. Call on its event loop.
    static func configureSynchronously(_ channel: any Channel, configuration: TunnelConfiguration) throws -> TunnelDialer {
        let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client, configuration: configuration.http2) { stream in
            stream.eventLoop.makeSucceededVoidFuture()
        }
        try channel.pipeline.syncOperations.addHandler(CarrierHeartbeat(configuration), position: .first)
        return TunnelDialer(multiplexer: multiplexer, configuration: configuration, connection: channel)
    }

    /// Opens a stream to `target` and returns once the other end reached it.
    public func open(_ target: String) async throws -> TunnelStream {
        try await openHeld(target).take()
    }

    /// `open(_:)`, the stream's bytes held for a relay (`TunnelRelay.join`).
    public func openHeld(_ target: String) async throws -> HeldConnection {
        let (connection, established) = try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                let codec = TunnelStreamCodec(role: .opening(target: target), established: channel.eventLoop.makePromise())
                try channel.pipeline.syncOperations.addHandler(codec)
                return (try HeldConnection.holdSynchronously(channel), codec.established.futureResult)
            }
        }
        do {
            _ = try await established.get()
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }
}

/// The carrier connection under a tunnel end.
public protocol TunnelCarrier: Sendable {
    var connection: any Channel { get }
}

extension TunnelCarrier {
    /// Closes the connection and every stream on it.
    public func close() async {
        try? await connection.close()
    }

    /// Returns once the connection has closed (the other end went away, or `close()`).
    public func waitUntilClosed() async {
        try? await connection.closeFuture.get()
    }
}

extension TunnelListener: TunnelCarrier {}
extension TunnelDialer: TunnelCarrier {}

/// A carrier connection whose handshake (`TunnelHandshake`) is under way. Create it in the
/// connection's channel initializer, then ask for the tunnel end, which waits for the peer's proof:
/// nothing is read from or offered to the peer before it has proven it holds the session secret.
public struct PendingCarrier: Sendable {
    /// The carrier connection (a TCP socket, or a port-forward).
    public let connection: any Channel
    /// The peer's address, as the connection was opened (read once it closed, the channel has none).
    public let peer: String
    /// The peer's host, without the port: what tells peers apart.
    var peerHost: String { peer.lastIndex(of: ":").map { String(peer[..<$0]) } ?? peer }
    let handshake: NIOLoopBound<TunnelHandshakeHandler>
    let configuration: TunnelConfiguration

    /// Starts the handshake on a connected channel. Call from the channel's initializer.
    public static func begin(
        _ channel: any Channel, side: TunnelHandshake.Side, purpose: TunnelHandshake.Purpose, configuration: TunnelConfiguration
    ) -> EventLoopFuture<PendingCarrier> {
        channel.eventLoop.makeCompletedFuture {
            channel.configureTunnelSocket()
            let authenticated = channel.eventLoop.makePromise(of: Void.self)
            let handler = TunnelHandshakeHandler(side: side, secret: configuration.secret, purpose: purpose, authenticated: authenticated)
            do {
                try channel.pipeline.syncOperations.addHandler(handler)
            } catch {
                // The connection closed before the handshake could start (a port-forward that
                // ended at once): nobody will wait on the promise, and it must not be left pending.
                authenticated.fail(error)
                throw error
            }
            let peer = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "an unknown address"
            return PendingCarrier(connection: channel, peer: peer, handshake: NIOLoopBound(handler, eventLoop: channel.eventLoop), configuration: configuration)
        }
    }

    /// The CLI's side of a carrier over a plain TCP connection to the agent (a port-forward in a
    /// session; a direct connection in benchmarks and tests).
    public static func connect(host: String, port: Int, purpose: TunnelHandshake.Purpose, configuration: TunnelConfiguration) async throws -> PendingCarrier {
        try await ClientBootstrap(group: RelayEventLoop.shared)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in begin(channel, side: .cli, purpose: purpose, configuration: configuration) }
    }

    /// The HTTP/2 server end, once the peer is authenticated. Throws `TunnelHandshakeError`.
    public func listener() async throws -> TunnelListener {
        try await authenticated { channel, configuration in try TunnelListener.configureSynchronously(channel, configuration: configuration) }
    }

    /// The HTTP/2 client end, once the peer is authenticated. Throws `TunnelHandshakeError`.
    public func dialer() async throws -> TunnelDialer {
        try await authenticated { channel, configuration in try TunnelDialer.configureSynchronously(channel, configuration: configuration) }
    }

    private func authenticated<End: Sendable>(
        _ configure: @escaping @Sendable (any Channel, TunnelConfiguration) throws -> End
    ) async throws -> End {
        let handshake = self.handshake
        let (channel, configuration) = (connection, self.configuration)
        do {
            try await channel.eventLoop.flatSubmit { handshake.value.authenticated.futureResult }.get()
            return try await channel.eventLoop.submit {
                let end = try configure(channel, configuration)
                handshake.value.release()
                return end
            }.get()
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Closes the connection without waiting for the handshake.
    public func close() async {
        try? await connection.close()
    }
}

extension Channel {
    /// Latency over batching on the tunnel's carrier, when it is a TCP socket.
    fileprivate func configureTunnelSocket() {
        try? syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
    }
}
