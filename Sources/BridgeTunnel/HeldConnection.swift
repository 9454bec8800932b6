import NIOCore
import Synchronization

/// A byte connection (a TCP connection, or a tunnel stream) whose reader is not in place yet:
/// what arrives is held until it is taken, either as an async byte channel (`take()`) or by a relay
/// that joins it to another (`TunnelRelay.join`).
///
/// A listener's children must not become NIO async channels in its initializer: one that nobody
/// takes (the listener's consumer has gone while connections still arrive, as at the end of a
/// session) traps the process when NIO drops its unfinished writer. So the initializer keeps the
/// raw channel, the consumer takes it, and one never taken is closed when dropped. (`HeldInput`
/// keeps what arrives meanwhile, and asks for no more until it is taken.)
public final class HeldConnection: Sendable {
    public let channel: any Channel
    private let taken = Atomic<Bool>(false)

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// How many connections a relaying listener lets wait to be accepted (the kernel caps it at
    /// `net.core.somaxconn`): NIO's default of 128 is less than a burst of callers opening at once.
    public static let listenBacklog: Int32 = 4096

    /// The child initializer of a listener: half-closure on, Nagle off, reading off until taken,
    /// what is queued sent before a close (`DrainingClose`).
    /// (Set here, not as child options: a failing child option, as for a peer that reset the
    /// connection at once, would end the whole listener, while a failed initializer drops only
    /// that connection.)
    public static func accept(_ channel: any Channel) -> EventLoopFuture<HeldConnection> {
        channel.eventLoop.makeCompletedFuture { () throws -> HeldConnection in
            try channel.syncOptions?.setOption(.autoRead, value: false)
            try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
            try? channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
            try channel.pipeline.syncOperations.addHandler(DrainingClose())
            return try holdSynchronously(channel)
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)
            throw error
        }
    }

    /// Holds a channel whose pipeline already yields bytes (a tunnel stream after its codec, a
    /// connected TCP socket). Call on its event loop, before it reads.
    static func holdSynchronously(_ channel: any Channel) throws -> HeldConnection {
        try channel.pipeline.syncOperations.addHandler(HeldInput(), name: HeldInput.name)
        return HeldConnection(channel: channel)
    }

    /// The connection as an async byte channel (half-closable); reading starts now.
    public func take() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await onEventLoop { connection in
            let reader = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: connection.channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            try connection.releaseSynchronously()
            return reader
        }
    }

    /// Runs `body` on the connection's event loop, the connection taken; closes the connection
    /// when `body` throws.
    func onEventLoop<Result: Sendable>(_ body: @escaping @Sendable (HeldConnection) throws -> Result) async throws -> Result {
        taken.store(true, ordering: .relaxed)
        do {
            return try await channel.eventLoop.submit { try body(self) }.get()
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Passes on what was held, to the reader just put in place, and reads on. Call on the event loop.
    func releaseSynchronously() throws {
        taken.store(true, ordering: .relaxed)
        try channel.pipeline.syncOperations.handler(type: HeldInput.self).release()
    }

    /// Hands the connection to handlers that `install` puts behind the holding, on its event
    /// loop: what was held goes to them, and the connection keeps the reading mode they leave it
    /// in (reading only when asked, unless they turn `autoRead` on). Closes it when `install` throws.
    public func handOver(_ install: @escaping @Sendable (any Channel) throws -> Void) async throws -> any Channel {
        try await onEventLoop { connection in
            try install(connection.channel)
            try connection.channel.pipeline.syncOperations.handler(type: HeldInput.self).release(keepingReadingMode: true)
            return connection.channel
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

/// Holds what arrives on a connection before it is taken (input and its end), asks for no more
/// while it holds something, and passes it on once the connection's reader is in place.
final class HeldInput: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = Never
    static let name = "kbridge-held-input"

    private var held: [ByteBuffer] = []
    private var events: [Any] = []
    private var readRequested = false
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

    func read(context: ChannelHandlerContext) {
        if held.isEmpty && events.isEmpty {
            context.read()
        } else {
            readRequested = true
        }
    }

    /// Passes on what was held and leaves the pipeline; the connection then reads by itself
    /// (`autoRead`), or, `keepingReadingMode`, as the handlers behind ask. Call on the event loop.
    func release(keepingReadingMode: Bool = false) {
        guard let context else { return }
        for bytes in held { context.fireChannelRead(wrapInboundOut(bytes)) }
        if !held.isEmpty { context.fireChannelReadComplete() }
        for event in events { context.fireUserInboundEventTriggered(event) }
        held = []
        events = []
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if context.channel.isActive {
            if !keepingReadingMode, (try? context.channel.syncOptions?.getOption(.autoRead)) == false {
                try? context.channel.syncOptions?.setOption(.autoRead, value: true)
            } else if readRequested {
                context.channel.read()
            }
        }
    }
}
