import BridgeTunnel
import NIOCore
import NIOHTTP1

/// The first handler of every connection a router accepts: dials the original pods at once (so
/// that requests for them wait for no connect), reads until it can tell what the client speaks
/// (`FirstBytes`), then hands the connection over: HTTP/1 to `HTTP1Router`, HTTP/2 to
/// `HTTP2Router`; anything else, or a server that speaks first, becomes a byte relay to the
/// original pods.
final class ConnectionSniffer: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let routing: ConnectionRouting
    private var buffered: ByteBuffer?
    private var original: EventLoopFuture<any Channel>?
    private var decided = false
    private var clientInputEnded = false
    private var quiesceRequested = false
    private var context: ChannelHandlerContext?

    init(routing: ConnectionRouting) {
        self.routing = routing
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Added to a connection accepted elsewhere (`HeaderRouter.route`): it is active already.
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    /// Dials the original pods and reads what the client says.
    private func start(context: ChannelHandlerContext) {
        guard original == nil, !decided else { return }
        let original = routing.dialer.open(routing.listener.original, context.eventLoop)
        self.original = original
        original.whenSuccess { channel in
            guard let early = try? channel.pipeline.syncOperations.handler(type: EarlyBytes.self) else { return }
            // A server that speaks first, or ends, before the client said anything: not HTTP.
            // (Except an HTTP/2 server's SETTINGS, which it sends at once: its client speaks too.)
            early.notify { [weak self] in
                guard let self, !self.decided, let context = self.context else { return }
                if !early.inputEnded, let bytes = early.bytes {
                    switch FirstBytes.isHTTP2ServerPreface(bytes.readableBytesView) {
                    case true: return
                    case nil: return channel.read()
                    case false: break
                    }
                }
                self.decide(.other, context: context)
            }
            channel.read()
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !decided else { return }
        let kind = buffered.map { FirstBytes.classify($0.readableBytesView) } ?? .undecided
        if kind == .undecided {
            context.read()
        } else {
            decide(kind, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The router is stopping before this connection said what it speaks: told once it has.
        if event is ChannelShouldQuiesceEvent, !decided {
            quiesceRequested = true
            return
        }
        // A client that ends its output before it can be told apart: nothing to route.
        if let event = event as? ChannelEvent, case .inputClosed = event {
            guard decided else {
                decided = true
                original?.whenSuccess { $0.close(promise: nil) }
                context.close(promise: nil)
                return
            }
            // Decided for a relay that is not joined yet: the server learns of it once it is.
            clientInputEnded = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided {
            decided = true
            original?.whenSuccess { $0.close(promise: nil) }
        }
        context.fireChannelInactive()
    }

    private func decide(_ kind: FirstBytes, context: ChannelHandlerContext) {
        decided = true
        let channel = context.channel
        switch kind {
        case .http1:
            becomeHTTP1(context: context)
        case .http2:
            becomeHTTP2(context: context)
        case .other, .undecided:
            becomeRelay(context: context)
        }
        if quiesceRequested { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    private func becomeHTTP1(context: ChannelHandlerContext) {
        let encoder = HTTPResponseEncoder()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let router = HTTP1Router(routing: routing, prepared: original, codecs: (encoder, decoder))
        original = nil
        do {
            try context.pipeline.syncOperations.addHandlers([encoder, decoder, router], position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        handOver(context: context)
    }

    private func becomeHTTP2(context: ChannelHandlerContext) {
        // Streams open their own connections, one per destination.
        original?.whenSuccess { $0.close(promise: nil) }
        original = nil
        do {
            // HTTP/2 ends connections with GOAWAY; NIO's HTTP/2 handler does not act on a
            // half-closed input, so a client's end must close the connection.
            try context.channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: false)
            try HTTP2Router.serve(context.channel, routing: routing)
            // Before the bytes read so far go on: the streams they open take the connection's
            // reading mode when they are made, and one made not reading would never read its request.
            try context.channel.syncOptions?.setOption(.autoRead, value: true)
            handOver(context: context)
        } catch {
            context.close(promise: nil)
        }
    }

    private func becomeRelay(context: ChannelHandlerContext) {
        guard let original else { return context.close(promise: nil) }
        let client = context.channel
        original.whenComplete { result in
            guard case .success(let server) = result, client.isActive, let context = self.context else {
                client.close(promise: nil)
                if case .success(let server) = result { server.close(promise: nil) }
                return
            }
            do {
                let early = try server.pipeline.syncOperations.handler(type: EarlyBytes.self)
                if let greeting = early.bytes { client.writeAndFlush(greeting, promise: nil) }
                let serverEnded = early.inputEnded
                _ = server.pipeline.syncOperations.removeHandler(early)
                try TunnelRelay.joinSynchronously(client, server)
                let clientEnded = self.clientInputEnded
                self.handOver(context: context)
                if serverEnded { client.close(mode: .output, promise: nil) }
                if clientEnded { server.close(mode: .output, promise: nil) }
                try client.startReadingByItself()
                try server.startReadingByItself()
            } catch {
                client.close(promise: nil)
                server.close(promise: nil)
            }
        }
    }

    /// Passes on what was read to the handlers now behind this one, and leaves.
    private func handOver(context: ChannelHandlerContext) {
        if let buffered {
            self.buffered = nil
            context.fireChannelRead(wrapInboundOut(buffered))
            context.fireChannelReadComplete()
        }
        _ = context.pipeline.syncOperations.removeHandler(context: context)
    }
}
