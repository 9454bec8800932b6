import BridgeTunnel
import NIOCore
import NIOHTTP1

/// Routes the HTTP/1 requests of one client connection, each on its own: a request whose
/// `kubernetes-route-as` names a session goes to that session's copy, every other one to the
/// original pods. Requests are passed on one at a time (a pipelined request waits for the answer
/// before it), bodies stream both ways with back-pressure, and a `101 Switching Protocols`
/// (websockets) turns the connection into a byte relay to where the upgrade went.
final class HTTP1Router: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// One request and its answer.
    private struct Exchange {
        var requestEnded = false
        var responseStarted = false
        var responseEnded = false
        var closeAfter: Bool
        /// The request asked to switch protocols (or is a CONNECT): the decoder reads nothing
        /// after it, so the client is not read until the answer's head says what comes next.
        var asksToSwitch: Bool
    }

    private let routing: ConnectionRouting
    private let codecs: (encoder: HTTPResponseEncoder, decoder: ByteToMessageHandler<HTTPRequestDecoder>)
    private var context: ChannelHandlerContext?
    /// A connection to the original pods dialled when the client connected, not yet used.
    private var prepared: EventLoopFuture<any Channel>?
    private var upstream: Upstream?
    private var dialing = false
    private var pending = CircularBuffer<HTTPServerRequestPart>()
    private var exchange: Exchange?
    private var closed = false
    private var switchingProtocols = false
    private var clientInputEnded = false
    /// The router is stopping: the connection ends after the answer under way.
    private var quiescing = false

    init(
        routing: ConnectionRouting, prepared: EventLoopFuture<any Channel>?,
        codecs: (encoder: HTTPResponseEncoder, decoder: ByteToMessageHandler<HTTPRequestDecoder>)
    ) {
        self.routing = routing
        self.prepared = prepared
        self.codecs = codecs
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: The client's side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
        pump()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readFromClientIfAllowed()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let upstream, !dialing { upstream.channel.read() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The router is stopping: an idle connection ends now, a busy one after its answer.
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if exchange == nil, pending.isEmpty, !dialing { closeAfterAnswer() } else { exchange?.closeAfter = true }
        }
        // The client will send no more: close once what it asked for is answered.
        if let event = event as? ChannelEvent, case .inputClosed = event {
            clientInputEnded = true
            if exchange == nil, pending.isEmpty { closeAfterAnswer() }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        upstream?.close()
        upstream = nil
        discardPrepared()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request the decoder cannot read: answer as an HTTP server would, then close.
        if error is HTTPParserError, exchange == nil, !closed {
            respond(.badRequest, "the router could not read this HTTP request: \(error)")
        } else {
            context.close(promise: nil)
        }
    }

    /// Passes on what the client sent, as far as the current exchange allows.
    private func pump() {
        while !closed, !dialing, let part = pending.first {
            switch part {
            case .head(var head):
                guard exchange == nil else { return }
                if let problem = Self.framingProblem(&head) {
                    respond(.badRequest, problem)
                    return
                }
                let name = head.headers[RouteAs.header].first?.trimmingASCIISpaces
                routing.stamp?.apply(to: &head.headers)
                let destination = routing.listener.destination(for: name)
                guard let upstream = usableUpstream(for: destination) else {
                    dial(destination)
                    return
                }
                pending.removeFirst()
                let asksToSwitch = head.method == .CONNECT || head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
                exchange = Exchange(closeAfter: !head.isKeepAlive || clientInputEnded || quiescing, asksToSwitch: asksToSwitch)
                upstream.write(.head(head))
            case .body(let bytes):
                pending.removeFirst()
                upstream?.write(.body(.byteBuffer(bytes)))
            case .end(let trailers):
                pending.removeFirst()
                upstream?.write(.end(trailers))
                exchange?.requestEnded = true
                upstream?.flush()
                finishIfDone()
            }
        }
        upstream?.flush()
        readFromClientIfAllowed()
    }

    /// Reads more from the client only when nothing waits and the upstream can take it.
    private func readFromClientIfAllowed() {
        guard !closed, !dialing, pending.isEmpty, !clientInputEnded, let context else { return }
        if let exchange, exchange.asksToSwitch, !exchange.responseStarted { return }
        if let upstream, !upstream.channel.isWritable { return }
        context.read()
    }

    /// The current upstream connection when it goes to `destination` and is still open; otherwise
    /// nil, the other one closed.
    private func usableUpstream(for destination: RouterArguments.Endpoint) -> Upstream? {
        if let upstream, upstream.endpoint == destination, upstream.channel.isActive { return upstream }
        upstream?.close()
        upstream = nil
        return nil
    }

    private func dial(_ destination: RouterArguments.Endpoint) {
        guard let context else { return }
        dialing = true
        let connecting: EventLoopFuture<any Channel>
        let wasPrepared = destination == routing.listener.original && prepared != nil
        if wasPrepared, let prepared {
            connecting = prepared
            self.prepared = nil
        } else {
            connecting = routing.dialer.open(destination, context.eventLoop)
        }
        connecting.whenComplete { result in
            self.dialing = false
            switch result {
            case .success(let channel):
                guard !self.closed else {
                    channel.close(promise: nil)
                    return
                }
                let upstream = try? Upstream(speakingHTTPOn: channel, endpoint: destination, for: self)
                guard let upstream else {
                    channel.close(promise: nil)
                    // A prepared connection that closed meanwhile: dial a fresh one.
                    if wasPrepared {
                        self.dial(destination)
                    } else {
                        self.respond(.badGateway, "\(destination) does not speak HTTP")
                    }
                    return
                }
                self.upstream = upstream
                channel.read()
                self.pump()
            case .failure(let error):
                self.respond(.badGateway, "the router could not reach \(destination): \(error)")
            }
        }
    }

    private func discardPrepared() {
        prepared?.whenSuccess { $0.close(promise: nil) }
        prepared = nil
    }

    // MARK: The upstream's side

    func upstreamRead(_ part: HTTPClientResponsePart, from channel: any Channel) {
        guard let context, let upstream, upstream.channel === channel else { return }
        switch part {
        case .head(let head) where head.status == .switchingProtocols:
            // The relay takes over after this answer's end, which the decoder still gives.
            switchingProtocols = true
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        case .end where switchingProtocols:
            becomeRelay(to: upstream)
        case .head(let head) where head.status.code < 200:
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        case .head(var head):
            exchange?.responseStarted = true
            // A switch declined: the decoder stopped after that request, so the connection ends here.
            if !head.isKeepAlive || exchange?.asksToSwitch == true { exchange?.closeAfter = true }
            // The client learns that the connection ends after this answer.
            if exchange?.closeAfter == true { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        case .body(let bytes):
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        case .end(let trailers):
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            exchange?.responseEnded = true
            finishIfDone()
        }
    }

    func upstreamReadComplete(from channel: any Channel) {
        guard let context, upstream?.channel === channel else { return }
        context.flush()
        if context.channel.isWritable { channel.read() }
    }

    func upstreamWritabilityChanged(from channel: any Channel) {
        if channel.isWritable, upstream?.channel === channel { readFromClientIfAllowed() }
    }

    func upstreamClosed(_ channel: any Channel) {
        guard let context, let upstream, upstream.channel === channel else { return }
        self.upstream = nil
        guard let exchange, !exchange.responseEnded else { return }
        if exchange.responseStarted {
            context.close(promise: nil)
        } else {
            respond(.badGateway, "\(upstream.endpoint) closed the connection before answering")
        }
    }

    /// After an answer: the next request, or the end of the connection when either side asked.
    private func finishIfDone() {
        guard let current = exchange, current.requestEnded, current.responseEnded else { return }
        exchange = nil
        if current.closeAfter || (clientInputEnded && pending.isEmpty) {
            closeAfterAnswer()
        } else {
            pump()
        }
    }

    /// Ends the client's connection once what is queued for it is out: its output first, then all
    /// (`DrainingClose` holds both until the queue is written; a full close alone would drop it).
    private func closeAfterAnswer() {
        guard !closed else { return }
        closed = true
        upstream?.close()
        upstream = nil
        discardPrepared()
        context?.close(mode: .output, promise: nil)
        context?.close(promise: nil)
    }

    /// Answers the client itself (nothing reachable, a request it cannot read) and closes.
    private func respond(_ status: HTTPResponseStatus, _ message: String) {
        guard let context, !closed else { return }
        let body = context.channel.allocator.buffer(string: message + "\n")
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        closeAfterAnswer()
    }

    /// Why a request's framing cannot be passed on as it is, or nil. The encoder towards the pods
    /// frames bodies by method and version; where that could differ from how the request was read,
    /// bytes of its body would reach the pods as a request of their own (request smuggling).
    /// `Transfer-Encoding: chunked` in any case is written as `chunked`.
    private static func framingProblem(_ head: inout HTTPRequestHead) -> String? {
        let encodings = head.headers["transfer-encoding"]
        if !encodings.isEmpty {
            guard head.version.major == 1, head.version.minor >= 1 else { return "Transfer-Encoding is not allowed in an HTTP/1.0 request" }
            guard encodings.count == 1, encodings[0].trimmingASCIISpaces.lowercased() == "chunked" else {
                return "the router passes on only Transfer-Encoding: chunked, not \(encodings.joined(separator: ", "))"
            }
            head.headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
        }
        if head.method == .TRACE, !encodings.isEmpty || (head.headers["content-length"].first.flatMap { Int($0) } ?? 0) > 0 {
            return "a TRACE request cannot carry a body"
        }
        return nil
    }

    /// After a `101` and its end: bytes both ways between the client and the upstream, HTTP taken
    /// off both. The codecs go last, so that what they held after the heads passes on through the relay.
    private func becomeRelay(to upstream: Upstream) {
        guard let context else { return }
        closed = true
        self.upstream = nil
        discardPrepared()
        let client = context.channel
        upstream.detachReceiver()
        _ = client.pipeline.syncOperations.removeHandler(context: context)
        do {
            try TunnelRelay.joinSynchronously(client, upstream.channel)
        } catch {
            client.close(promise: nil)
            upstream.channel.close(promise: nil)
            return
        }
        // Encoders first. Then the upstream's decoder, which passes what it held after the
        // answer's head to the client through the relay; only once it is gone may anything be
        // written to the upstream (it watches writes): then the client's decoder, whose leftovers
        // go up.
        _ = client.pipeline.syncOperations.removeHandler(codecs.encoder)
        upstream.removeEncoder()
        upstream.removeDecoder().flatMap {
            client.flush()
            return client.pipeline.syncOperations.removeHandler(self.codecs.decoder)
        }.whenComplete { _ in
            // A decoder's leftovers come without a read's end, which is what flushes a relay.
            upstream.channel.flush()
            for channel in [client, upstream.channel] {
                do { try channel.startReadingByItself() } catch { channel.close(promise: nil) }
            }
        }
    }
}

extension String {
    var trimmingASCIISpaces: String {
        let bytes = utf8.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        return String(decoding: bytes.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.reversed(), as: UTF8.self)
    }
}
