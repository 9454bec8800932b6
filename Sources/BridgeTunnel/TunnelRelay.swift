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
        let connection: Connection
        do {
            connection = try await connect(host: host, port: port)
        } catch {
            await request.refuse(status: "502")
            return
        }
        await request.accept()
        await splice(request.stream, connection)
    }

    /// Opens a TCP connection with half-closure enabled and Nagle off (NIO's default for clients);
    /// closing it sends what is still queued first (`DrainingClose`).
    public static func connect(host: String, port: Int) async throws -> Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DrainingClose())
                    return try Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// Closes a connection nobody will use. (A NIO async channel must end through
    /// `executeThenClose`: one dropped with its output unfinished traps when freed.)
    public static func discard(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { _, outbound in outbound.finish() }
    }

    /// Copies bytes both ways, in order and with back-pressure; when one side ends its output,
    /// the other side's output is ended too (half-close), and both close when both are done.
    public static func splice(_ first: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ second: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await first.executeThenClose { firstInbound, firstOutbound in
            try await second.executeThenClose { secondInbound, secondOutbound in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await bytes in firstInbound { try await secondOutbound.write(bytes) }
                        } catch {}
                        secondOutbound.finish()
                    }
                    group.addTask {
                        do {
                            for try await bytes in secondInbound { try await firstOutbound.write(bytes) }
                        } catch {}
                        firstOutbound.finish()
                    }
                }
            }
        }
    }
}
