import NIOCore

/// One end of a relay between two byte channels (TCP connections, tunnel streams): what its
/// channel reads, the partner's channel writes, on the channels' own event loops with no task in
/// between.
///
/// - Back-pressure: an end asks its channel for more only while the partner's channel is writable,
///   and asks again when it becomes writable.
/// - Half-closure passes through: input ended on one side ends the other side's output.
/// - Both channels close once both inputs have ended. When one channel fails or closes first, the
///   other ends its output and closes: never at once, since what is queued on it (up to a window
///   of a tunnel stream) was read before and must still arrive. (Each full close waits for what is
///   queued: `DrainingClose`, `TunnelStreamCodec`.) A TCP connection whose output is closed closes
///   by itself when its input ends, without telling its input ended first.
///
/// The two channels may live on different event loops: an end touches only its own channel, and
/// reaches its partner by running on the partner's loop (in order: one loop runs what it is given
/// in the order given).
final class RelayEnd: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let eventLoop: any EventLoop
    private var partner: RelayEnd?
    private var partnerChannel: (any Channel)?
    private var context: ChannelHandlerContext?
    private var readPending = false
    private var inputEnded = false
    private var outputEnded = false
    private var closed = false

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Two ends joined to each other, for channels `first` and `second`.
    static func pair(_ first: any Channel, _ second: any Channel) -> (RelayEnd, RelayEnd) {
        let one = RelayEnd(eventLoop: first.eventLoop)
        let other = RelayEnd(eventLoop: second.eventLoop)
        one.partner = other
        one.partnerChannel = second
        other.partner = one
        other.partnerChannel = first
        return (one, other)
    }

    /// Runs `body` on the partner's event loop, at once when already there.
    private func onPartner(_ body: @escaping @Sendable (RelayEnd) -> Void) {
        guard let partner else { return }
        if partner.eventLoop.inEventLoop {
            body(partner)
        } else {
            partner.eventLoop.execute { body(partner) }
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Each end holds the other: let go once the channel is done with this end.
        self.context = nil
        partner = nil
        partnerChannel = nil
    }

    // MARK: What this end's channel does

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        onPartner { $0.write(bytes) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        onPartner { $0.flush() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event, !inputEnded {
            inputEnded = true
            onPartner { $0.partnerInputEnded() }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { onPartner { $0.partnerBecameWritable() } }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        onPartner { $0.partnerClosed() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeNow()
        onPartner { $0.partnerClosed() }
    }

    func read(context: ChannelHandlerContext) {
        if partnerChannel?.isWritable ?? false {
            context.read()
        } else {
            readPending = true
        }
    }

    // MARK: What the partner asks of this end (on this end's loop)

    private func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    private func flush() {
        context?.flush()
    }

    private func partnerBecameWritable() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    /// The partner's input ended: so does this end's output; once this end's input has ended too,
    /// both close.
    private func partnerInputEnded() {
        endOutput()
        if inputEnded {
            closeNow()
            onPartner { $0.closeNow() }
        }
    }

    /// The partner's channel failed or closed: what it sent is all there will be.
    private func partnerClosed() {
        endOutput()
        closeNow()
    }

    private func endOutput() {
        guard !outputEnded, !closed, let context else { return }
        outputEnded = true
        context.close(mode: .output, promise: nil)
    }

    private func closeNow() {
        guard !closed, let context else { return }
        closed = true
        context.close(promise: nil)
    }
}
