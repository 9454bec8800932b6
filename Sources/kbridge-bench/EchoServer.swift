import BridgeTunnel
import NIOCore
import NIOPosix

/// The server every measured path reaches: in the cluster's pods, as the developer's local
/// process, and in-process for the tunnel's own figures. The first byte of a connection says
/// what to do:
/// - `E` echo every byte back;
/// - `H` answer `hello from NAME` and close (which end answered tells the paths apart);
/// - `S` followed by an 8-byte big-endian count: read that many bytes, then answer how many came
///   (a port-forward has no half-close: the client cannot end its output and still read);
/// - `G` followed by an 8-byte big-endian count: send that many bytes and close.
enum EchoServer {
    static let chunk = ByteBuffer(repeating: 0x6b, count: 1 << 20)

    /// Binds `host:port` (port 0 picks one) and serves until the process ends; returns the port.
    static func start(host: String, port: Int, name: String) async throws -> Int {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)
            .bind(host: host, port: port) { channel in HeldConnection.accept(channel) }
        let bound = server.channel.localAddress?.port ?? 0
        Task {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in connections {
                        group.addTask { try? await serve(accepted.take(), name: name) }
                    }
                }
            }
        }
        return bound
    }

    /// Waits (up to 10 s) for a server started in another process to answer as `name`.
    static func waitUntilAnswering(port: Int, name: String) async throws {
        for _ in 0..<200 {
            if (try? await Probes.hello({ try await TunnelRelay.connect(host: "127.0.0.1", port: port) })) == "hello from \(name)" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchFailure("the echo server on port \(port) did not answer")
    }

    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, name: String) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var pending = ByteBuffer()
            var mode: UInt8?
            var count = 0
            var expected = Int.max
            var input = inbound.makeAsyncIterator()
            while var bytes = try await input.next() {
                if mode == nil {
                    pending.writeBuffer(&bytes)
                    guard let first = pending.getInteger(at: pending.readerIndex, as: UInt8.self) else { continue }
                    switch first {
                    case UInt8(ascii: "H"):
                        try await outbound.write(ByteBuffer(string: "hello from \(name)"))
                        outbound.finish()
                        return
                    case UInt8(ascii: "G"):
                        guard let total = readCount(&pending) else { continue }
                        try await generate(total, to: outbound)
                        // Closing now would drop what is still queued: the client closes once it has it all.
                        while try await input.next() != nil {}
                        return
                    case UInt8(ascii: "S"):
                        guard let total = readCount(&pending) else { continue }
                        count = pending.readableBytes
                        if count >= total {
                            try await outbound.write(ByteBuffer(string: String(count)))
                            outbound.finish()
                            return
                        }
                        mode = first
                        pending = ByteBuffer()
                        expected = total
                        continue
                    default:
                        mode = pending.readInteger(as: UInt8.self)
                        bytes = pending
                        pending = ByteBuffer()
                    }
                }
                if mode == UInt8(ascii: "E") {
                    if bytes.readableBytes > 0 { try await outbound.write(bytes) }
                } else {
                    count += bytes.readableBytes
                    if count >= expected { break }
                }
            }
            if mode == UInt8(ascii: "S") { try await outbound.write(ByteBuffer(string: String(count))) }
            outbound.finish()
        }
    }

    /// A request that carries a count: the mode byte, then the count as 8 bytes, big-endian.
    static func request(_ mode: Character, count: Int) -> ByteBuffer {
        var request = ByteBuffer(string: String(mode))
        request.writeInteger(UInt64(count))
        return request
    }

    /// The count after the mode byte, once all of it came (the mode byte and count are consumed).
    private static func readCount(_ pending: inout ByteBuffer) -> Int? {
        guard pending.readableBytes >= 9 else { return nil }
        pending.moveReaderIndex(forwardBy: 1)
        return pending.readInteger(as: UInt64.self).map { Int($0) }
    }

    private static func generate(_ total: Int, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var left = total
        while left > 0 {
            let size = min(left, chunk.readableBytes)
            try await outbound.write(size == chunk.readableBytes ? chunk : chunk.getSlice(at: 0, length: size)!)
            left -= size
        }
        outbound.finish()
    }
}
