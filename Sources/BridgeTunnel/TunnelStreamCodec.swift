import NIOCore
import NIOHPACK
import NIOHTTP2

/// Turns one HTTP/2 stream into a byte stream, CONNECT-style.
///
/// The opening side sends `:method CONNECT` and `:authority TARGET`; the accepting side answers
/// `:status 200` (or 400 for a malformed request, 502 for an unreachable target) and from then on DATA frames
/// carry the connection's bytes both ways. Closing the output (`close(mode: .output)`) sends
/// END_STREAM, and an END_STREAM received closes the input: half-closure passes through.
final class TunnelStreamCodec: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    enum Role {
        /// Accepts streams (the connection under them is authenticated: `TunnelHandshake`).
        case accepting
        /// Opens a stream to `target`.
        case opening(target: String)
    }

    private let role: Role
    /// Completed with the stream's target: for the accepting side once the request arrived, for the opening side once the answer was 200. Failed otherwise.
    let established: EventLoopPromise<String>
    private var settled = false
    private var answered = false
    private var requestSent = false
    private var context: ChannelHandlerContext?
    /// Completes once END_STREAM has left the stream: closing before that would drop the DATA
    /// frames still waiting for flow-control window (HTTP/2 discards them and resets the stream).
    /// `DrainingClose.Abandon` closes at once.
    private var outputEnded: EventLoopFuture<Void>?

    init(role: Role, established: EventLoopPromise<String>) {
        self.role = role
        self.established = established
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A stream that closed before this handler was in place sends no channelInactive.
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.channel.closeFuture.whenComplete { _ in loopBound.value.settle(.failure(loopBound.value.closedBeforeAnswer)) }
        if context.channel.isActive { sendRequest(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    private var closedBeforeAnswer: TunnelError {
        switch role {
        case .accepting: .closedBeforeAnswer(target: "the requested target")
        case .opening(let target): .closedBeforeAnswer(target: target)
        }
    }

    private func settle(_ result: Result<String, any Error>) {
        guard !settled else { return }
        settled = true
        established.completeWith(result)
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard case .opening(let target) = role, !requestSent else { return }
        requestSent = true
        let headers = HPACKHeaders([(":method", "CONNECT"), (":authority", target)])
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            if !answered {
                answered = true
                answer(frame.headers, context: context)
            }
            if frame.endStream { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        case .data(let frame):
            if case .byteBuffer(let bytes) = frame.data, bytes.readableBytes > 0 {
                context.fireChannelRead(wrapInboundOut(bytes))
            }
            if frame.endStream { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        case .rstStream:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func answer(_ headers: HPACKHeaders, context: ChannelHandlerContext) {
        switch role {
        case .accepting:
            let target = headers.first(name: ":authority") ?? ""
            guard headers.first(name: ":method") == "CONNECT", !target.isEmpty else {
                refuse("400", target: target, context: context)
                return
            }
            settle(.success(target))
        case .opening(let target):
            let status = headers.first(name: ":status") ?? ""
            if status == "200" {
                settle(.success(target))
            } else {
                settle(.failure(TunnelError.refused(status: status, target: target)))
                context.close(promise: nil)
            }
        }
    }

    private func refuse(_ status: String, target: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: HPACKHeaders([(":status", status)]), endStream: true))), promise: nil)
        settle(.failure(TunnelError.refused(status: status, target: target)))
        context.close(promise: nil)
    }

    /// The accepting side's answer, once it knows whether it reached the target:
    /// 200 opens the byte stream, anything else (502: unreachable) ends it. Call on the event loop.
    func respond(status: String) {
        guard case .accepting = role, let context else { return }
        let done = status != "200"
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: HPACKHeaders([(":status", status)]), endStream: done))), promise: nil)
        if done { context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(bytes)))), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            let written = context.eventLoop.makePromise(of: Void.self)
            outputEnded = written.futureResult
            context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))), promise: written)
            written.futureResult.cascade(to: promise)
        default:
            guard let outputEnded else {
                context.close(mode: mode, promise: promise)
                return
            }
            outputEnded.whenComplete { _ in context.close(mode: mode, promise: promise) }
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is DrainingClose.Abandon else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        outputEnded = nil
        context.close(mode: .all, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.failure(closedBeforeAnswer))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        settle(.failure(error))
        context.close(promise: nil)
    }
}
