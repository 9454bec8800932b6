import NIOCore
import NIOHTTP2
import NIOPosix

/// A tunnelled connection: bytes in and out, half-closable (`outbound.finish()` ends the output).
public typealias TunnelStream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

/// One stream the other end opened, waiting for this end to reach its target.
public struct TunnelRequest: Sendable {
    /// Where the other end wants to go, e.g. `10.0.0.12:8080` or `localhost:5000`.
    public let target: String
    public let stream: TunnelStream
    let codec: NIOLoopBound<TunnelStreamCodec>

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
        var stream: TunnelStream
        var codec: NIOLoopBound<TunnelStreamCodec>
    }

    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Incoming>
    /// The carrier connection (a TCP socket, or a port-forward).
    public let connection: any Channel

    /// Sets up the server side of HTTP/2 on a connected channel. Call from the channel's initializer.
    public static func configure(_ channel: any Channel, configuration: TunnelConfiguration) -> EventLoopFuture<TunnelListener> {
        channel.eventLoop.makeCompletedFuture {
            channel.configureTunnelSocket()
            let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .server, configuration: configuration.http2) { stream in
                stream.eventLoop.makeCompletedFuture {
                    let codec = TunnelStreamCodec(role: .accepting(token: configuration.token), established: stream.eventLoop.makePromise())
                    try stream.pipeline.syncOperations.addHandler(codec)
                    let asyncStream = try TunnelStream(wrappingChannelSynchronously: stream, configuration: .init(isOutboundHalfClosureEnabled: true))
                    return Incoming(established: codec.established.futureResult, stream: asyncStream, codec: NIOLoopBound(codec, eventLoop: stream.eventLoop))
                }
            }
            return TunnelListener(multiplexer: multiplexer, connection: channel)
        }
    }

    /// Hands each stream that carries the right token to `handler`, concurrently, until the connection ends.
    /// Streams with a wrong token are refused (403) without reaching `handler`.
    public func serve(_ handler: @escaping @Sendable (TunnelRequest) async -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for try await incoming in multiplexer.inbound {
                group.addTask {
                    guard let target = try? await incoming.established.get() else {
                        await TunnelRelay.discard(incoming.stream)
                        return
                    }
                    await handler(TunnelRequest(target: target, stream: incoming.stream, codec: incoming.codec))
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

    /// Sets up the client side of HTTP/2 on a connected channel. Call from the channel's initializer.
    public static func configure(_ channel: any Channel, configuration: TunnelConfiguration) -> EventLoopFuture<TunnelDialer> {
        channel.eventLoop.makeCompletedFuture {
            channel.configureTunnelSocket()
            let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client, configuration: configuration.http2) { stream in
                stream.eventLoop.makeSucceededVoidFuture()
            }
            return TunnelDialer(multiplexer: multiplexer, configuration: configuration, connection: channel)
        }
    }

    /// Opens a stream to `target` and returns once the other end reached it.
    public func open(_ target: String) async throws -> TunnelStream {
        let token = configuration.token
        let (stream, established) = try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                let codec = TunnelStreamCodec(role: .opening(target: target, token: token), established: channel.eventLoop.makePromise())
                try channel.pipeline.syncOperations.addHandler(codec)
                let stream = try TunnelStream(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                return (stream, codec.established.futureResult)
            }
        }
        do {
            _ = try await established.get()
        } catch {
            await TunnelRelay.discard(stream)
            throw error
        }
        return stream
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

extension Channel {
    /// Latency over batching on the tunnel's carrier, when it is a TCP socket.
    fileprivate func configureTunnelSocket() {
        try? syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
    }
}
