import NIOCore
import NIOPosix

/// Joins tunnel streams to TCP connections.
public enum TunnelRelay {
    /// A TCP connection as an async byte channel.
    public typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Dials `host:port` for a tunnel request: answers 200 once connected (so protocols where the
    /// server speaks first work) and relays both ways until both directions are closed; answers
    /// 502 when the target cannot be reached.
    public static func relay(_ request: TunnelRequest, toHost host: String, port: Int) async {
        let connection: HeldConnection
        do {
            connection = try await connect(host: host, port: port, on: request.connection.channel.eventLoop)
        } catch {
            await request.refuse(status: "502")
            return
        }
        await request.accept()
        await join(request.connection, connection)
    }

    /// Opens a TCP connection with half-closure enabled and Nagle off (NIO's default for clients);
    /// closing it sends what is still queued first (`DrainingClose`).
    public static func connect(host: String, port: Int) async throws -> Connection {
        try await connect(host: host, port: port, on: MultiThreadedEventLoopGroup.singleton.next()).take()
    }

    /// `connect(host:port:)`, held for a relay, on `eventLoop` (the loop of the channel it will be
    /// joined to, so that the relay passes bytes without changing threads).
    public static func connect(host: String, port: Int, on eventLoop: any EventLoop) async throws -> HeldConnection {
        try await ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DrainingClose())
                    return try HeldConnection.holdSynchronously(channel)
                }
            }
    }

    /// Closes a connection nobody will use. (A NIO async channel must end through
    /// `executeThenClose`: one dropped with its output unfinished traps when freed.)
    public static func discard(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { _, outbound in outbound.finish() }
    }

    /// Copies bytes both ways between two connections until both are closed (`RelayEnd`: in
    /// order, with back-pressure, half-closure passed through). Cancelling closes both at once.
    public static func join(_ first: HeldConnection, _ second: HeldConnection) async {
        do {
            if first.channel.eventLoop === second.channel.eventLoop {
                try await first.onEventLoop { first in try joinSynchronously(first.channel, second.channel) }
            } else {
                // Both ends in place before either passes on what it held.
                let (firstEnd, secondEnd) = RelayEnd.pair(first.channel, second.channel)
                try await first.onEventLoop { try $0.channel.pipeline.syncOperations.addHandler(firstEnd) }
                try await second.onEventLoop { second in
                    try second.channel.pipeline.syncOperations.addHandler(secondEnd)
                    try second.releaseSynchronously()
                }
                try await first.onEventLoop { try $0.releaseSynchronously() }
            }
        } catch {
            await first.close()
            await second.close()
            return
        }
        await withTaskCancellationHandler {
            try? await first.channel.closeFuture.get()
            try? await second.channel.closeFuture.get()
        } onCancel: {
            // Not waiting for a peer to read what is queued: the session is ending.
            for channel in [first.channel, second.channel] {
                channel.triggerUserOutboundEvent(DrainingClose.Abandon(), promise: nil)
                channel.close(promise: nil)
            }
        }
    }

    /// `join` for two channels on one event loop, on that loop: each either held
    /// (`HeldConnection`) or not read from before this returns.
    public static func joinSynchronously(_ first: any Channel, _ second: any Channel) throws {
        let (firstEnd, secondEnd) = RelayEnd.pair(first, second)
        try first.pipeline.syncOperations.addHandler(firstEnd)
        try second.pipeline.syncOperations.addHandler(secondEnd)
        for channel in [second, first] {
            try? channel.pipeline.syncOperations.handler(type: HeldInput.self).release()
        }
    }
}
