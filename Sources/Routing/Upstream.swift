import BridgeTunnel
import NIOCore
import NIOHTTP1
import NIOPosix

/// A connection from the router to where a request goes (the original pods, or a session's copy),
/// spoken in HTTP/1 for `HTTP1Router`; or, before the router knows what the client speaks, a bare
/// connection that may turn into a byte relay.
final class Upstream: @unchecked Sendable {
    let endpoint: RouterArguments.Endpoint
    let channel: any Channel
    private let encoder = HTTPRequestEncoder()
    private let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward))
    private var receiver: UpstreamReceiver?

    /// Speaks HTTP/1 on a dialled connection, handing what arrives to `router`. Nil when the
    /// server spoke before being asked (not an HTTP server): the caller closes it.
    init?(speakingHTTPOn channel: any Channel, endpoint: RouterArguments.Endpoint, for router: HTTP1Router) throws {
        self.endpoint = endpoint
        self.channel = channel
        let sync = channel.pipeline.syncOperations
        let early = try sync.handler(type: EarlyBytes.self)
        guard early.bytes == nil, !early.inputEnded else { return nil }
        _ = sync.removeHandler(early)
        let receiver = UpstreamReceiver(router: router)
        try sync.addHandlers([encoder, decoder, receiver])
        self.receiver = receiver
    }

    func write(_ part: HTTPClientRequestPart) {
        channel.write(part, promise: nil)
    }

    func flush() {
        channel.flush()
    }

    func close() {
        receiver?.detach()
        channel.close(promise: nil)
    }

    /// Takes HTTP off the connection (after a `101 Switching Protocols`), in two steps: the
    /// encoder, then the decoder (which watches what is written, so nothing may be written to
    /// this connection until it is gone; the future says when).
    func removeEncoder() {
        _ = channel.pipeline.syncOperations.removeHandler(encoder)
    }

    func removeDecoder() -> EventLoopFuture<Void> {
        channel.pipeline.syncOperations.removeHandler(decoder)
    }

    /// Removes the handler that tells `HTTP1Router` what arrives, before the relay takes over.
    func detachReceiver() {
        guard let receiver else { return }
        receiver.detach()
        _ = channel.pipeline.syncOperations.removeHandler(receiver)
        self.receiver = nil
    }
}

/// Tells the router what its upstream connection receives.
final class UpstreamReceiver: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var router: HTTP1Router?

    init(router: HTTP1Router) {
        self.router = router
    }

    func detach() {
        router = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        router?.upstreamRead(unwrapInboundIn(data), from: context.channel)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        router?.upstreamReadComplete(from: context.channel)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        router?.upstreamWritabilityChanged(from: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        router?.upstreamClosed(context.channel)
        router = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A server that ends its output mid-exchange is done with this connection.
        if let event = event as? ChannelEvent, case .inputClosed = event { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        router = nil
    }
}

/// Keeps what a freshly dialled server sends before the router decided what to do with the
/// connection, and says so: a server that speaks first (a database's greeting) is not HTTP.
final class EarlyBytes: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    private(set) var bytes: ByteBuffer?
    private(set) var inputEnded = false
    /// Called on the first bytes, and when the server ends or closes the connection.
    var onEvent: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if bytes == nil { bytes = incoming } else { bytes!.writeBuffer(&incoming) }
        onEvent?()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            inputEnded = true
            onEvent?()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputEnded = true
        onEvent?()
        context.fireChannelInactive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        onEvent = nil
        self.context = nil
    }

    /// Sets what is called on the first bytes and at the end, and calls it at once when either
    /// came already (a connection handed over with what it held).
    func notify(_ onEvent: @escaping () -> Void) {
        self.onEvent = onEvent
        if bytes != nil || inputEnded { onEvent() }
    }

    /// Passes on what it kept to the handlers behind it, and leaves. Call on the event loop.
    func release() {
        guard let context else { return }
        if let bytes {
            self.bytes = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

extension Channel {
    /// Turns `autoRead` on and asks for a read: a tunnel's stream (`HTTP2StreamChannel`) does not
    /// start reading when the option is turned on, as a socket does. Call on the event loop.
    func startReadingByItself() throws {
        try syncOptions?.setOption(.autoRead, value: true)
        read()
    }
}
