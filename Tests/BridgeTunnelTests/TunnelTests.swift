import BridgeTunnel
import NIOCore
import NIOPosix
import Testing

/// Both ends of the tunnel over a real loopback TCP connection.
@Suite struct TunnelTests {
    /// A listener whose streams echo what they receive (upper-cased when the target says so),
    /// refusing targets named `unreachable:1`; and a dialer connected to it.
    private func withTunnel(
        serverToken: String = "s3cret", clientToken: String = "s3cret", _ body: (TunnelDialer) async throws -> Void
    ) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                TunnelListener.configure(channel, configuration: TunnelConfiguration(token: serverToken))
            }
        let port = try #require(server.channel.localAddress?.port)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { connectionGroup in
                        for try await listener in connections {
                            connectionGroup.addTask { try? await listener.serve(Self.echo) }
                        }
                    }
                }
            }
            let dialer = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    TunnelDialer.configure(channel, configuration: TunnelConfiguration(token: clientToken))
                }
            try await body(dialer)
            group.cancelAll()
        }
    }

    @Sendable private static func echo(_ request: TunnelRequest) async {
        guard request.target != "unreachable:1" else {
            await request.refuse(status: "502")
            return
        }
        await request.accept()
        let upper = request.target.hasPrefix("upper")
        try? await request.stream.executeThenClose { inbound, outbound in
            for try await bytes in inbound {
                try await outbound.write(upper ? ByteBuffer(string: String(buffer: bytes).uppercased()) : bytes)
            }
            outbound.finish()
        }
    }

    /// Sends `payload`, half-closes, and reads everything until the other side ends.
    private static func roundTrip(_ stream: TunnelStream, _ payload: ByteBuffer) async throws -> ByteBuffer {
        try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(payload)
            outbound.finish()
            var received = ByteBuffer()
            for try await bytes in inbound { received.writeImmutableBuffer(bytes) }
            return received
        }
    }

    @Test func aStreamCarriesBytesBothWaysAndPassesOnHalfClosure() async throws {
        try await withTunnel { dialer in
            let stream = try await dialer.open("upper:8080")
            let answer = try await Self.roundTrip(stream, ByteBuffer(string: "hello through the tunnel"))
            #expect(String(buffer: answer) == "HELLO THROUGH THE TUNNEL")
        }
    }

    @Test func aStreamWithTheWrongTokenIsRefused() async throws {
        try await withTunnel(clientToken: "guessed") { dialer in
            await #expect(throws: TunnelError.refused(status: "403", target: "echo:80")) { try await dialer.open("echo:80") }
        }
    }

    @Test func anUnreachableTargetIsReportedToTheOpener() async throws {
        try await withTunnel { dialer in
            do {
                _ = try await dialer.open("unreachable:1")
                Issue.record("expected a refusal")
            } catch {
                #expect(String(describing: error) == "the other end of the tunnel could not reach unreachable:1")
            }
        }
    }

    /// Past the HTTP/2 default of 100 concurrent streams, which would make stream 101 wait silently.
    @Test func aThousandConcurrentStreams() async throws {
        try await withTunnel { dialer in
            let answers = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let stream = try await dialer.open("echo:\(index)")
                        return try await String(buffer: Self.roundTrip(stream, ByteBuffer(string: "stream \(index)"))) == "stream \(index)"
                    }
                }
                var correct = 0
                for try await ok in group where ok { correct += 1 }
                return correct
            }
            #expect(answers == 1000)
        }
    }

    @Test func eightMebibytesArriveIntactAndInOrder() async throws {
        try await withTunnel { dialer in
            var payload = ByteBuffer()
            for index in 0..<(8 << 20) { payload.writeInteger(UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8)) }
            let answer = try await Self.roundTrip(try await dialer.open("echo:9"), payload)
            #expect(answer == payload)
        }
    }
}
