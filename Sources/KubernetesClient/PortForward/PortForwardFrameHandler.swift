import NIOCore
import NIOWebSocket

/// Makes a port-forward WebSocket look like the pod's TCP connection to the handlers after it:
/// they read and write plain bytes, and the `v4.channel.k8s.io` framing (channel byte, port
/// prefix, error channel, masking, fragmentation, ping) stays here.
final class PortForwardFrameHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    /// The largest message written at once; larger writes are split (servers limit frame sizes).
    static let maximumMessage = 256 << 10

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

    init(port: Int, pod: String) {
        self.port = port
        self.pod = pod
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            var message = fragments ?? ByteBuffer()
            var payload = frame.unmaskedData
            message.writeBuffer(&payload)
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
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            if !closing {
                closing = true
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer())), promise: nil)
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
        var last: EventLoopFuture<Void>?
        repeat {
            let size = min(bytes.readableBytes, Self.maximumMessage)
            guard let chunk = bytes.readSlice(length: size) else { break }
            let message = PortForwardFraming.frame(chunk)
            let written = context.eventLoop.makePromise(of: Void.self)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: message)), promise: written)
            last = written.futureResult
        } while bytes.readableBytes > 0
        if let promise {
            if let last { last.cascade(to: promise) } else { promise.succeed(()) }
        }
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
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: code))).whenComplete { _ in
            context.close(mode: .all, promise: promise)
        }
    }
}
