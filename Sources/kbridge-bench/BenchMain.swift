import BridgeTunnel
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Writes straight to standard output (unbuffered, so progress shows when piped).
func say(_ text: String = "", terminator: String = "\n") {
    let bytes = Array((text + terminator).utf8)
    _ = bytes.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count) }
}


/// `kbridge-bench`: kbridge's tunnel against the direct path, measured in one run on this machine.
///
/// Both paths reach the same local TCP server: directly, and through a tunnel connection
/// (HTTP/2 with the session's settings, one stream per connection, relayed by `TunnelRelay`
/// exactly as the agent relays). Reported: bulk throughput of one connection, round-trip time
/// of small messages, time to open a connection, and the ratio tunnel/direct for each; medians
/// of several rounds.
@main
struct BenchMain {
    static let rounds = 5
    static let bulkBytes = 256 << 20
    static let pings = 2000
    nonisolated(unsafe) static var failedOpens = 0

    static func main() async throws {
        let server = try await BenchServer.start()
        let tunnel = try await TunnelPair.start(secret: "bench")
        say("kbridge-bench: \(rounds) rounds; bulk \(bulkBytes >> 20) MiB per round, \(pings) round trips, \(pings) connection opens")
        say("")

        var results: [(name: String, unit: String, direct: [Double], tunnel: [Double], higherIsBetter: Bool)] = [
            ("bulk throughput, one connection", "MiB/s", [], [], true),
            ("round trip, 64-byte message", "µs", [], [], false),
            ("opening a connection", "µs", [], [], false),
        ]
        for _ in 0..<rounds {
            let direct: @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> = { try await TunnelRelay.connect(host: "127.0.0.1", port: server.port) }
            let tunnelled: @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> = { try await tunnel.dialer.open("127.0.0.1:\(server.port)") }
            say("round: bulk", terminator: "")
            results[0].direct.append(try await throughput(open: direct))
            results[0].tunnel.append(try await throughput(open: tunnelled))
            say(", round trips", terminator: "")
            results[1].direct.append(try await roundTrip(open: direct))
            results[1].tunnel.append(try await roundTrip(open: tunnelled))
            say(", opens")
            results[2].direct.append(try await opening(open: direct))
            results[2].tunnel.append(try await opening(open: tunnelled))
        }
        say(pad("measure", 34) + pad("direct", 16) + pad("kbridge tunnel", 18) + "tunnel/direct")
        for result in results {
            let direct = median(result.direct)
            let tunnelled = median(result.tunnel)
            say(pad(result.name, 34) + pad(format(direct) + " " + result.unit, 16) + pad(format(tunnelled) + " " + result.unit, 18) + format(tunnelled / direct, digits: 2) + "×")
        }
        say("")
        say("medians of \(rounds) rounds; the tunnel runs over loopback TCP here (in a session it runs over the API server's port-forward).")
    }

    /// MiB/s of `bulkBytes` sent and counted back by the server.
    static func throughput(open: @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws -> Double {
        let connection = try await open()
        let chunk = ByteBuffer(repeating: 0x6b, count: 1 << 20)
        let start = ContinuousClock.now
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "S"))
            for _ in 0..<(bulkBytes >> 20) { try await outbound.write(chunk) }
            outbound.finish()
            for try await _ in inbound {}
        }
        return Double(bulkBytes) / Double(1 << 20) / seconds(ContinuousClock.now - start)
    }

    /// Median µs of a 64-byte echo.
    static func roundTrip(open: @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws -> Double {
        let connection = try await open()
        let message = ByteBuffer(repeating: 0x70, count: 64)
        var samples: [Double] = []
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "E"))
            var iterator = inbound.makeAsyncIterator()
            for _ in 0..<pings {
                let start = ContinuousClock.now
                try await outbound.write(message)
                var received = 0
                while received < 64, let bytes = try await iterator.next() { received += bytes.readableBytes }
                samples.append(seconds(ContinuousClock.now - start) * 1e6)
            }
            outbound.finish()
        }
        return median(samples)
    }

    /// Median µs to open a connection and see the server's first byte.
    static func opening(open: @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws -> Double {
        var samples: [Double] = []
        for _ in 0..<(pings / 4) {
            let start = ContinuousClock.now
            let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                connection = try await open()
            } catch {
                failedOpens += 1
                say("open failed: \(error)")
                continue
            }
            // The server closes right after its hello; how the close travels back is not measured.
            try? await connection.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "H"))
                var iterator = inbound.makeAsyncIterator()
                _ = try await iterator.next()
                samples.append(seconds(ContinuousClock.now - start) * 1e6)
                outbound.finish()
            }
        }
        return median(samples)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func format(_ value: Double, digits: Int = 1) -> String {
        var text = String(Int((value * pow(10, Double(digits))).rounded()))
        while text.count <= digits { text = "0" + text }
        return String(text.dropLast(digits)) + "." + String(text.suffix(digits))
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// The target both paths reach. The first byte of a connection says what to do:
/// `S` sink (count until the end, answer the count), `E` echo, `H` say hello and close.
enum BenchServer {
    struct Running {
        var port: Int
    }

    static func start() async throws -> Running {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in AcceptedConnection.accept(channel) }
        let port = server.channel.localAddress?.port ?? 0
        Task {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in connections {
                        group.addTask { try? await serve(accepted.take()) }
                    }
                }
            }
        }
        return Running(port: port)
    }

    static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var mode: UInt8?
            var count = 0
            for try await var bytes in inbound {
                if mode == nil {
                    mode = bytes.readInteger(as: UInt8.self)
                    if mode == UInt8(ascii: "H") {
                        try await outbound.write(ByteBuffer(string: "hello"))
                        outbound.finish()
                        return
                    }
                }
                switch mode {
                case UInt8(ascii: "E"): if bytes.readableBytes > 0 { try await outbound.write(bytes) }
                default: count += bytes.readableBytes
                }
            }
            if mode == UInt8(ascii: "S") { try await outbound.write(ByteBuffer(string: String(count))) }
            outbound.finish()
        }
    }
}

/// Both ends of a tunnel over a loopback TCP connection: the agent's listener, the CLI's dialer.
struct TunnelPair {
    let dialer: TunnelDialer

    static func start(secret: String) async throws -> TunnelPair {
        let configuration = TunnelConfiguration(secret: secret)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in PendingCarrier.begin(channel, side: .agent, purpose: .control, configuration: configuration) }
        let port = server.channel.localAddress?.port ?? 0
        Task {
            try await server.executeThenClose { listeners in
                for try await pending in listeners {
                    Task {
                        try await pending.listener().serve { request in
                            guard case .cluster(let host, let port) = AgentContract.Target(encoded: request.target) else { return await request.refuse(status: "400") }
                            await TunnelRelay.relay(request, toHost: host, port: port)
                        }
                    }
                }
            }
        }
        let dialer = try await PendingCarrier.connect(host: "127.0.0.1", port: port, purpose: .control, configuration: configuration).dialer()
        return TunnelPair(dialer: dialer)
    }
}
