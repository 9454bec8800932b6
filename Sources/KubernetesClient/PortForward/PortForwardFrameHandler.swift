import NIOCore
import NIOWebSocket

/// Makes a port-forward WebSocket look like the pod's TCP connection to the handlers after it:
/// they read and write plain bytes, and the `v4.channel.k8s.io` framing (channel byte, port
/// prefix, error channel, masking, fragmentation, ping) stays here. It writes whole WebSocket
/// frames (`ClientWebSocketFrame`) through the `EncodedFrameOutlet` below NIO's frame encoder.
final class PortForwardFrameHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The largest message written at once; larger writes are split (servers limit frame sizes).
    static let maximumMessage = 256 << 10
    /// How long a close waits for its close frame to leave.
    static let closeFrameTimeout = TimeAmount.seconds(2)

    /// Sent (as an outbound user event) once the caller's handlers are in place: bytes that
    /// arrived before are held until then, so that nothing the pod sent first is lost.
    struct StartDelivering: Sendable {}

    private let port: Int
    private let pod: String
    private var framing = PortForwardFraming()
    private var held: [ByteBuffer] = []
    private var delivering = false
    private var fragments: ByteBuffer?
    private var closing = false
    private var outlet: ChannelHandlerContext?

    init(port: Int, pod: String) {
        self.port = port
        self.pod = pod
    }

    func handlerAdded(context: ChannelHandlerContext) {
        outlet = try? context.pipeline.syncOperations.context(handlerType: EncodedFrameOutlet.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        outlet = nil
    }

    /// Writes an encoded frame below NIO's encoder (which would take it for a frame to encode).
    private func send(_ frame: ByteBuffer, flush: Bool = false, promise: EventLoopPromise<Void>?) {
        guard let outlet else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        outlet.write(NIOAny(frame), promise: promise)
        if flush { outlet.flush() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            // A server's frames are not masked: the payload is used as it is unless fragmented.
            var payload = frame.unmaskedData
            let message: ByteBuffer
            if var first = fragments {
                first.writeBuffer(&payload)
                message = first
            } else {
                message = payload
            }
            guard frame.fin else {
                fragments = message
                return
            }
            fragments = nil
            switch framing.receive(message) {
            case .data(let bytes):
                if delivering { context.fireChannelRead(wrapInboundOut(bytes)) } else { held.append(bytes) }
            case .error(let text):
                context.fireErrorCaught(KubernetesError.unreachable(server: "pod \(pod) port \(port)", reason: text))
                context.close(promise: nil)
            case .nothing: break
            }
        case .ping:
            send(ClientWebSocketFrame.encode(.pong, payload: frame.unmaskedData, allocator: context.channel.allocator), flush: true, promise: nil)
        case .connectionClose:
            if !closing {
                closing = true
                send(ClientWebSocketFrame.encode(.connectionClose, payload: ByteBuffer(), allocator: context.channel.allocator), flush: true, promise: nil)
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is StartDelivering else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        delivering = true
        let waiting = held
        held = []
        for bytes in waiting { context.fireChannelRead(wrapInboundOut(bytes)) }
        if !waiting.isEmpty { context.fireChannelReadComplete() }
        promise?.succeed(())
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        repeat {
            let chunk = bytes.readSlice(length: min(bytes.readableBytes, Self.maximumMessage)) ?? ByteBuffer()
            let frame = ClientWebSocketFrame.encode(.binary, prefix: PortForwardFraming.dataChannel, payload: chunk, allocator: context.channel.allocator)
            send(frame, promise: bytes.readableBytes == 0 ? promise : nil)
        } while bytes.readableBytes > 0
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Port-forward over WebSocket has no half-close: ending the output ends the connection.
        guard !closing else {
            context.close(mode: .all, promise: promise)
            return
        }
        closing = true
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .normalClosure)
        let sent = context.eventLoop.makePromise(of: Void.self)
        send(ClientWebSocketFrame.encode(.connectionClose, payload: code, allocator: context.channel.allocator), flush: true, promise: sent)
        // A server that no longer reads (gone, or its relay stuck) must not hold the close.
        let giveUp = context.eventLoop.scheduleTask(in: Self.closeFrameTimeout) { context.close(mode: .all, promise: nil) }
        sent.futureResult.whenComplete { _ in
            giveUp.cancel()
            context.close(mode: .all, promise: promise)
        }
    }
}

/// Where `PortForwardFrameHandler` writes its encoded frames: placed below NIO's frame encoder,
/// it passes them on to TLS and the socket.
final class EncodedFrameOutlet: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
}
