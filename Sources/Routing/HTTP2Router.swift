import NIOCore
import NIOHPACK
import NIOHTTP2

/// Routes the HTTP/2 streams of one client connection (h2c: gRPC whatever its port is named), each
/// on its own: a stream whose request headers carry `kubernetes-route-as` naming a session goes to
/// that session's copy, every other one to the original pods, over one HTTP/2 connection per
/// destination that the streams of this client share. Frames then pass both ways as they come
/// (`FrameRelayEnd`), with each side's flow control.
final class HTTP2Router: @unchecked Sendable {
    private let routing: ConnectionRouting
    private let eventLoop: any EventLoop
    /// The connections to destinations, opened when a stream first needs one.
    private var upstreams: [RouterArguments.Endpoint: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer>] = [:]
    /// The connection each destination's new streams go to.
    private var current: [RouterArguments.Endpoint: any Channel] = [:]
    /// Every open upstream connection, also those a GOAWAY retired that still carry streams.
    private var open: [ObjectIdentifier: any Channel] = [:]
    private var closed = false

    static let streamWindow = 1 << 20

    /// Speaks HTTP/2 on `client` (after its preface was seen; the preface is read again by the
    /// handler added here) and routes its streams.
    @discardableResult
    static func serve(_ client: any Channel, routing: ConnectionRouting) throws -> HTTP2Router {
        let router = HTTP2Router(routing: routing, eventLoop: client.eventLoop)
        var streams = NIOHTTP2Handler.StreamConfiguration()
        streams.targetWindowSize = streamWindow
        _ = try client.pipeline.syncOperations.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: .init(), streamConfiguration: streams
        ) { stream in
            stream.eventLoop.makeCompletedFuture { try stream.pipeline.syncOperations.addHandler(StreamRouter(router: router)) }
        }
        try client.pipeline.syncOperations.addHandler(GoAwayOnQuiesce())
        client.closeFuture.whenComplete { _ in router.close() }
        return router
    }

    private init(routing: ConnectionRouting, eventLoop: any EventLoop) {
        self.routing = routing
        self.eventLoop = eventLoop
    }

    /// Where a stream with these request headers goes, and the headers it goes with.
    fileprivate func route(_ headers: HPACKHeaders) -> (RouterArguments.Endpoint, HPACKHeaders) {
        var headers = headers
        let name = headers.first(name: RouteAs.header)?.trimmingASCIISpaces
        routing.stamp?.apply(to: &headers)
        return (routing.listener.destination(for: name), headers)
    }

    /// Opens a stream to `destination` whose frames go to `handler`.
    fileprivate func openStream(to destination: RouterArguments.Endpoint, handler: FrameRelayEnd) -> EventLoopFuture<any Channel> {
        multiplexer(for: destination).flatMap { multiplexer in
            multiplexer.createStreamChannel { stream in
                stream.eventLoop.makeCompletedFuture { try stream.pipeline.syncOperations.addHandler(handler) }
            }
        }
    }

    private func multiplexer(for destination: RouterArguments.Endpoint) -> EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer> {
        if let existing = upstreams[destination] { return existing }
        let dialled = routing.dialer.open(destination, eventLoop).flatMapThrowing { channel -> NIOHTTP2Handler.StreamMultiplexer in
            guard !self.closed else {
                channel.close(promise: nil)
                throw ChannelError.ioOnClosedChannel
            }
            let sync = channel.pipeline.syncOperations
            let early: EarlyBytes
            do {
                early = try sync.handler(type: EarlyBytes.self)
                guard !early.inputEnded else { throw ChannelError.inputClosed }
                // A server's end closes the connection (see `ConnectionSniffer.becomeHTTP2`); by a
                // handler, since a tunnel's streams take no half-closure option.
                try sync.addHandler(ClosingAtInputEnd())
            } catch {
                channel.close(promise: nil)
                throw error
            }
            self.open[ObjectIdentifier(channel)] = channel
            self.current[destination] = channel
            var streams = NIOHTTP2Handler.StreamConfiguration()
            streams.targetWindowSize = Self.streamWindow
            let multiplexer = try sync.configureHTTP2Pipeline(mode: .client, connectionConfiguration: .init(), streamConfiguration: streams) { pushed in
                // A server's push has nobody to go to.
                pushed.close()
            }
            // After a GOAWAY the connection takes no new streams: the next one dials again.
            try sync.addHandler(GoAwayWatcher { self.retire(channel, of: destination) })
            // What the server said already (its SETTINGS, come while a tunnel's stream was handed over) goes to HTTP/2.
            early.release()
            try channel.startReadingByItself()
            channel.closeFuture.whenComplete { _ in
                self.retire(channel, of: destination)
                self.open[ObjectIdentifier(channel)] = nil
            }
            return multiplexer
        }
        upstreams[destination] = dialled
        dialled.whenFailure { _ in self.upstreams[destination] = nil }
        return dialled
    }

    /// New streams to `destination` no longer go to `channel`.
    private func retire(_ channel: any Channel, of destination: RouterArguments.Endpoint) {
        guard current[destination] === channel else { return }
        current[destination] = nil
        upstreams[destination] = nil
    }

    private func close() {
        closed = true
        for channel in open.values { channel.close(promise: nil) }
        open = [:]
        current = [:]
        upstreams = [:]
    }
}

/// The first handler of a client's stream: waits for the request's headers, opens the stream to
/// where they route, then hands over to a relay between the two streams. While the other stream
/// opens, this one is not read (what is not read is not granted more window), so what waits here
/// stays within one window.
private final class StreamRouter: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let router: HTTP2Router
    private var held: [HTTP2Frame.FramePayload] = []
    private var opening = false
    private var readPending = false

    func read(context: ChannelHandlerContext) {
        if opening {
            readPending = true
        } else {
            context.read()
        }
    }

    init(router: HTTP2Router) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var payload = unwrapInboundIn(data)
        guard !opening, case .headers(var request) = payload else {
            held.append(payload)
            return
        }
        opening = true
        let (destination, headers) = router.route(request.headers)
        request.headers = headers
        payload = .headers(request)
        held.append(payload)
        let client = context.channel
        let (clientEnd, upstreamEnd) = FrameRelayEnd.pair()
        router.openStream(to: destination, handler: upstreamEnd).whenComplete { result in
            switch result {
            case .success(let upstream):
                do {
                    try client.pipeline.syncOperations.addHandler(clientEnd, position: .after(self))
                    clientEnd.join(upstream)
                    upstreamEnd.join(client)
                    // A stream the connection cannot take (it was told to go away meanwhile)
                    // fails its first write: the client's stream is reset, not left waiting.
                    let written = upstream.eventLoop.makePromise(of: Void.self)
                    written.futureResult.whenFailure { _ in
                        client.close(promise: nil)
                        upstream.close(promise: nil)
                    }
                    for (index, payload) in self.held.enumerated() { upstream.write(payload, promise: index == 0 ? written : nil) }
                    upstream.flush()
                    self.held = []
                    _ = client.pipeline.syncOperations.removeHandler(self)
                    if self.readPending { client.read() }
                } catch {
                    client.close(promise: nil)
                    upstream.close(promise: nil)
                }
            case .failure(let error):
                self.answerBadGateway(client, "the router could not reach \(destination): \(error)")
            }
        }
    }

    private func answerBadGateway(_ stream: any Channel, _ message: String) {
        let body = stream.allocator.buffer(string: message + "\n")
        let headers: HPACKHeaders = [":status": "502", "content-type": "text/plain; charset=utf-8", "content-length": String(body.readableBytes)]
        stream.write(HTTP2Frame.FramePayload.headers(.init(headers: headers)), promise: nil)
        // Then the stream ends (reset if the request is still coming): nothing more goes anywhere.
        stream.writeAndFlush(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(body), endStream: true))).whenComplete { _ in
            stream.close(promise: nil)
        }
    }
}

/// One end of a relay between two HTTP/2 streams on one event loop: the headers and data read on
/// one are written on the other (flow control stays with each hop); reading waits while the other
/// cannot take more (its flow-control window is full); a stream that closes before its end
/// passed (reset, failed) resets the other, one that ended lets the other finish.
final class FrameRelayEnd: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var partner: (any Channel)?
    private weak var other: FrameRelayEnd?
    private var readPending = false
    /// This stream's end (END_STREAM) was read and passed to the other stream.
    private var endPassed = false

    static func pair() -> (FrameRelayEnd, FrameRelayEnd) {
        let (one, two) = (FrameRelayEnd(), FrameRelayEnd())
        one.other = two
        two.other = one
        return (one, two)
    }

    /// The channel of the other stream (both on this end's event loop).
    func join(_ channel: any Channel) {
        partner = channel
        channel.closeFuture.whenComplete { _ in self.partnerClosed() }
    }

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        switch payload {
        case .headers(let headers):
            endPassed = endPassed || headers.endStream
            partner?.write(payload, promise: nil)
        case .data(let data):
            endPassed = endPassed || data.endStream
            partner?.write(payload, promise: nil)
        case .rstStream:
            // Reset on one side: so is the other, unless this side had ended (a server that
            // answered in full and resets the request it did not read): what it sent goes out first.
            partner?.flush()
            if !endPassed { partner?.close(promise: nil) }
        default:
            // Window updates, priorities and the like belong to each hop.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // This stream can take more: the other end may read again.
        if context.channel.isWritable { other?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? true {
            context.read()
        } else {
            readPending = true
        }
    }

    private func partnerBecameWritable() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// The other stream closed: if it had passed its end here, this stream finishes what it has
    /// queued and closes by itself; otherwise it was reset or failed, and so is this one.
    private func partnerClosed() {
        if other?.endPassed != true { context?.close(promise: nil) }
    }
}

/// Tells an HTTP/2 client to open no more streams on this connection when the router stops
/// (GOAWAY; the streams under way go on).
private final class GoAwayOnQuiesce: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))
            context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Closes a connection once its peer has ended its output.
private final class ClosingAtInputEnd: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Calls back when the server of an upstream connection sends GOAWAY.
private final class GoAwayWatcher: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame

    private let onGoAway: () -> Void

    init(_ onGoAway: @escaping () -> Void) {
        self.onGoAway = onGoAway
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway = unwrapInboundIn(data).payload { onGoAway() }
    }
}
