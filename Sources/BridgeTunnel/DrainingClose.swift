import NIOCore

/// Holds a TCP connection's closes until what was written before them is out. NIO fails whatever
/// is still queued when a channel closes fully, and it turns an output close into a full one when
/// the input has already ended (a caller that half-closed early, then a large answer): a relay
/// that closed either way as soon as it could would cut the end of the answer. Every TCP
/// connection kbridge relays has one, and so has the sandbox's kube-proxy. Add it first in the
/// pipeline. A peer that stops reading holds such a close for as long as it does; `Abandon`
/// (when the session ends) closes at once.
public final class DrainingClose: ChannelOutboundHandler, RemovableChannelHandler, @unchecked Sendable {
    public typealias OutboundIn = Any
    public typealias OutboundOut = ByteBuffer

    /// An outbound user event: close now, dropping what is still queued.
    public struct Abandon: Sendable {
        public init() {}
    }

    private var outputClosed: EventLoopFuture<Void>?

    public init() {}

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Abandon else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        outputClosed = nil
        context.close(mode: .all, promise: promise)
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            // Writes complete in order: once an empty one is out, so is everything before it.
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
            let closed = written.futureResult.flatMap {
                let closed = context.eventLoop.makePromise(of: Void.self)
                context.close(mode: .output, promise: closed)
                return closed.futureResult
            }
            outputClosed = closed
            closed.cascade(to: promise)
        default:
            guard let outputClosed else {
                context.close(mode: mode, promise: promise)
                return
            }
            self.outputClosed = nil
            outputClosed.whenComplete { _ in context.close(mode: mode, promise: promise) }
        }
    }
}
