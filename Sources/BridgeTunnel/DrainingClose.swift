import NIOCore

/// Holds a TCP connection's full close until its output close is done. NIO shuts the output down
/// only once the writes queued before it are out, but a full close fails whatever is still queued:
/// a relay that closes as soon as both directions ended (a caller that half-closed early, then a
/// large answer) would cut the end of the answer. Every TCP connection kbridge relays has one, and
/// so has the sandbox's kube-proxy.
public final class DrainingClose: ChannelOutboundHandler, RemovableChannelHandler, @unchecked Sendable {
    public typealias OutboundIn = Any

    private var outputClosed: EventLoopFuture<Void>?

    public init() {}

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            let closed = context.eventLoop.makePromise(of: Void.self)
            outputClosed = closed.futureResult
            context.close(mode: .output, promise: closed)
            closed.futureResult.cascade(to: promise)
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
