import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix

/// One `SPDY/3.1+portforward.k8s.io` WebSocket on the kubelet: kubectl's port-forward. For each
/// local connection the client opens two SPDY streams that carry the same `requestid` header:
/// `streamtype: error` and `streamtype: data`, with the pod's `port`. The kubelet answers each,
/// connects to that port of the pod and relays the data stream both ways (a FIN each way is a
/// half-close); a connection that fails is reported on the error stream. When the pod's side
/// is done both streams end (FIN), which is how the client learns the connection ended.
struct SPDYPortForwardSession {
    let podIP: String
    let podName: String
    let logger: Logger

    /// The two streams of one forwarded connection, as far as the client has opened them.
    private struct Pair {
        var port: Int?
        var data: UInt32?
        var error: UInt32?
    }

    private typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        do {
            let inflater = try SPDYHeaderCompression(inflating: true)
            let deflater = try SPDYHeaderCompression(inflating: false)
            try await withThrowingTaskGroup(of: Void.self) { connections in
                var pending = ByteBuffer()
                var pairs: [String: Pair] = [:]
                // What the client sends on each data stream, fed to the connection that relays it.
                var feeds: [UInt32: AsyncStream<ByteBuffer>.Continuation] = [:]
                var unread: [UInt32: AsyncStream<ByteBuffer>] = [:]
                defer { for feed in feeds.values { feed.finish() } }
                messages: for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .binary(var bytes) = message else { continue }
                    pending.writeBuffer(&bytes)
                    while let frame = try SPDYFrame.read(from: &pending) {
                        switch frame {
                        case .synStream(let stream, let flags, let block):
                            guard let headers = SPDYHeaderBlock.decode(try inflater.inflate(block)) else {
                                throw SPDYFrame.Failure.malformed("SYN_STREAM \(stream) has an unreadable header block")
                            }
                            let reply = SPDYFrame.synReply(stream: stream, headerBlock: try deflater.deflate(SPDYHeaderBlock.encode([])))
                            try await outbound.write(.binary(reply.bytes))
                            let value = { (name: String) in headers.first { $0.name.lowercased() == name }?.value }
                            let request = value("requestid") ?? "stream-\(stream)"
                            var pair = pairs[request] ?? Pair()
                            pair.port = pair.port ?? value("port").flatMap(Int.init)
                            switch value("streamtype") {
                            case "data":
                                pair.data = stream
                                let (feed, continuation) = AsyncStream<ByteBuffer>.makeStream()
                                feeds[stream] = continuation
                                unread[stream] = feed
                                if flags & SPDYFrame.finFlag != 0 { feeds.removeValue(forKey: stream)?.finish() }
                            case "error":
                                pair.error = stream
                            default:
                                try await outbound.write(.binary(SPDYFrame.rstStream(stream: stream, status: SPDYFrame.protocolError).bytes))
                                continue
                            }
                            pairs[request] = pair
                            if let data = pair.data, let error = pair.error, let feed = unread.removeValue(forKey: data) {
                                let port = pair.port
                                connections.addTask { await relay(port: port, data: data, error: error, feed: feed, outbound: outbound) }
                            }
                        case .data(let stream, let flags, let payload):
                            if payload.readableBytes > 0 { feeds[stream]?.yield(payload) }
                            if flags & SPDYFrame.finFlag != 0 { feeds.removeValue(forKey: stream)?.finish() }
                        case .rstStream(let stream, _):
                            feeds.removeValue(forKey: stream)?.finish()
                        case .ping(let id):
                            try await outbound.write(.binary(SPDYFrame.ping(id: id).bytes))
                        case .goAway:
                            break messages
                        case .synReply, .other:
                            break
                        }
                    }
                }
                connections.cancelAll()
            }
        } catch {
            logger.debug("port-forward (SPDY) ended", metadata: ["pod": "\(podName)", "error": "\(error)"])
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }

    /// One forwarded connection: to `port` of the pod, relayed on the `data` stream; a failure
    /// is written on the `error` stream. As a container runtime does, once one direction has
    /// ended the other gets half a second to end too; then both streams end.
    private func relay(port: Int?, data: UInt32, error: UInt32, feed: AsyncStream<ByteBuffer>, outbound: WebSocketOutboundWriter) async {
        func end() async {
            try? await outbound.write(.binary(SPDYFrame.data(stream: data, flags: SPDYFrame.finFlag, payload: ByteBuffer()).bytes))
            try? await outbound.write(.binary(SPDYFrame.data(stream: error, flags: SPDYFrame.finFlag, payload: ByteBuffer()).bytes))
        }
        func fail(_ message: String) async {
            try? await outbound.write(.binary(SPDYFrame.data(stream: error, flags: 0, payload: ByteBuffer(string: message)).bytes))
            await end()
        }
        guard let port, (1...65535).contains(port) else {
            return await fail("error forwarding port to pod \(podName): the request names no valid port")
        }
        let connection: Connection
        do {
            connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .connect(host: podIP, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch let failure {
            return await fail("error forwarding port \(port) to pod \(podName): failed to connect to \(podIP):\(port): \(failure)")
        }
        try? await connection.executeThenClose { fromPod, toPod in
            try await withThrowingTaskGroup(of: Void.self) { directions in
                directions.addTask {
                    for await bytes in feed { try await toPod.write(bytes) }
                    toPod.finish()
                }
                directions.addTask {
                    for try await bytes in fromPod {
                        try await outbound.write(.binary(SPDYFrame.data(stream: data, flags: 0, payload: bytes).bytes))
                    }
                }
                _ = try? await directions.next()
                directions.addTask { try await Task.sleep(for: .milliseconds(500)) }
                _ = try? await directions.next()
                directions.cancelAll()
            }
        }
        await end()
    }
}
