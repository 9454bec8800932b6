import NIOCore
import Synchronization

/// A TCP connection a listener accepted, not yet taken: nothing is read until `take()`.
///
/// A listener's children must not become NIO async channels in its initializer: one that nobody
/// takes (the listener's consumer has gone while connections still arrive, as at the end of a
/// session) traps the process when NIO drops its unfinished writer. So the initializer keeps the
/// raw channel with reading off, the consumer wraps it when it takes it, and one never taken is
/// closed when dropped. (NIO still reads everything at once when the peer half-closes; `HeldInput`
/// keeps that until the connection is taken.)
public final class AcceptedConnection: Sendable {
    public let channel: any Channel
    private let taken = Atomic<Bool>(false)

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// The child initializer of a listener: half-closure on, Nagle off, reading off until taken,
    /// what is queued sent before a close (`DrainingClose`).
    /// (Set here, not as child options: a failing child option, as for a peer that reset the
    /// connection at once, would end the whole listener, while a failed initializer drops only
    /// that connection.)
    public static func accept(_ channel: any Channel) -> EventLoopFuture<AcceptedConnection> {
        channel.eventLoop.makeCompletedFuture { () throws -> AcceptedConnection in
            try channel.syncOptions?.setOption(.autoRead, value: false)
            try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
            try? channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
            try channel.pipeline.syncOperations.addHandler(DrainingClose())
            try channel.pipeline.syncOperations.addHandler(HeldInput(), name: HeldInput.name)
            return AcceptedConnection(channel: channel)
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)
            throw error
        }
    }

    /// The connection as an async byte channel (half-closable); reading starts now.
    public func take() async throws -> TunnelRelay.Connection {
        taken.store(true, ordering: .relaxed)
        let channel = self.channel
        do {
            return try await channel.eventLoop.submit {
                let connection = try TunnelRelay.Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                let held = try channel.pipeline.syncOperations.handler(type: HeldInput.self)
                try channel.syncOptions?.setOption(.autoRead, value: true)
                held.release()
                return connection
            }.get()
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Closes a connection nobody will take.
    public func close() async {
        taken.store(true, ordering: .relaxed)
        try? await channel.close()
    }

    deinit {
        if !taken.load(ordering: .relaxed) { channel.close(promise: nil) }
    }
}

/// Holds what arrives on an accepted connection before it is taken (input and its end), and
/// passes it on once the connection's reader is in place.
final class HeldInput: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    static let name = "kbridge-held-input"

    private var held: [ByteBuffer] = []
    private var events: [Any] = []
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        held.append(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        events.append(event)
    }

    /// Passes on what was held and leaves the pipeline. Call on the event loop.
    func release() {
        guard let context else { return }
        for bytes in held { context.fireChannelRead(wrapInboundOut(bytes)) }
        if !held.isEmpty { context.fireChannelReadComplete() }
        for event in events { context.fireUserInboundEventTriggered(event) }
        held = []
        events = []
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
