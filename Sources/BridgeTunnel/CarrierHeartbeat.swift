import NIOCore
import NIOHTTP2

/// Closes a carrier whose other end stopped answering: sends an HTTP/2 PING every `interval` and
/// closes the connection when nothing at all came from the other end for `timeout`.
///
/// A port-forward through an API server does not close when the developer's machine vanishes
/// (sleep, a dropped network): the kubelet's end stays open. Without this the agent would keep
/// handing the cluster's callers to a carrier nobody reads, and they would hang until the guard
/// gives the workload back; with it the agent refuses them at once, and the CLI reconnects.
///
/// It sits first in the pipeline, under HTTP/2, so that every byte counts as a sign of life, not
/// only the PING's answer: a busy carrier whose answer waits behind megabytes of data is alive.
final class CarrierHeartbeat: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let interval: TimeAmount
    private let timeout: TimeAmount
    private var lastHeard = NIODeadline.uptimeNanoseconds(0)
    private var task: RepeatedTask?
    private var sent: UInt64 = 0

    init(_ configuration: TunnelConfiguration) {
        self.interval = configuration.heartbeatInterval
        self.timeout = configuration.heartbeatTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        lastHeard = context.eventLoop.now
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        task = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (heartbeat, context) = loopBound.value
            heartbeat.beat(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastHeard = context.eventLoop.now
        context.fireChannelRead(data)
    }

    private func stop() {
        task?.cancel()
        task = nil
    }

    private func beat(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return stop() }
        // The loop's clock: a loop on virtual time (tests) ages the carrier as it advances.
        if context.eventLoop.now - lastHeard > timeout {
            stop()
            context.close(promise: nil)
            return
        }
        sent &+= 1
        // From the pipeline's tail, through the HTTP/2 handler that frames it.
        context.channel.writeAndFlush(HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2PingData(withInteger: sent), ack: false)), promise: nil)
    }
}
