import BridgeTunnel
import Foundation
import NIOCore
import NIOPosix
import Testing
import TunnelTesting

/// Both ends of the tunnel over a real loopback TCP connection.
@Suite struct TunnelTests {
    /// A listener whose streams echo what they receive (upper-cased when the target says so),
    /// refusing targets named `unreachable:1`; and a dialer connected to it.
    private func withTunnel(
        _ body: (TunnelDialer) async throws -> Void
    ) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                PendingCarrier.begin(channel, side: .agent, purpose: .control, configuration: TunnelConfiguration(secret: "s3cret"))
            }
        let port = try #require(server.channel.localAddress?.port)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { connectionGroup in
                        for try await pending in connections {
                            connectionGroup.addTask { try? await pending.listener().serve(Self.echo) }
                        }
                    }
                }
            }
            let dialer = try await PendingCarrier.connect(host: "127.0.0.1", port: port, purpose: .control, configuration: TunnelConfiguration(secret: "s3cret")).dialer()
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
        try? await request.stream().executeThenClose { inbound, outbound in
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

    /// Each stream is closed before the other end finished (a client dropping its connection),
    /// which resets it: a busy service does that all the time, and the tunnel must outlive it.
    @Test func manyAbruptlyClosedConnectionsDoNotBreakTheTunnel() async throws {
        try await withTunnel { dialer in
            for index in 0..<600 {
                let stream = try await dialer.open("abrupt-\(index):1")
                try await stream.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "ping"))
                    var iterator = inbound.makeAsyncIterator()
                    _ = try await iterator.next()
                }
            }
            let last = try await Self.roundTrip(try await dialer.open("after:1"), ByteBuffer(string: "still here"))
            #expect(String(buffer: last) == "still here")
        }
    }

    /// Both ends of a tunnel set up reserve address space in proportion to what they hold, not to
    /// their limits: a raised limit once reserved 8 GiB per limiter, which a system that does not
    /// overcommit memory refuses. (Other tests running meanwhile add threads and buffers, or close
    /// tunnels: the address-space bound is loose, and the limits are checked themselves too.)
    @Test func aTunnelReservesLittleAddressSpace() async throws {
        func virtualBytes() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmSize:") })
            return try #require(Int(line.split(whereSeparator: \.isWhitespace)[1])) * 1024
        }
        // Each limiter reserves room for a timestamp per event it counts.
        let http2 = TunnelConfiguration(secret: "").http2
        for limit in [http2.stream.streamResetFrameRateLimit.maximumCount, http2.stream.streamErrorRateLimit.maximumCount] {
            #expect(limit * MemoryLayout<NIODeadline>.size <= 1 << 20)
        }
        let before = try virtualBytes()
        try await withTunnel { dialer in
            let answer = try await Self.roundTrip(try await dialer.open("echo:1"), ByteBuffer(string: "hi"))
            #expect(String(buffer: answer) == "hi")
            #expect(try virtualBytes() - before < 1 << 30)
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

/// The tunnel joined to real TCP services, as the agent and the CLI use it.
@Suite struct TunnelRelayTests {
    /// A TCP server that greets first ("220 ready"), then echoes, then says "bye" once its input ends.
    private static func greetingServer() async throws -> (NIOAsyncChannel<HeldConnection, Never>, Int) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in HeldConnection.accept(channel) }
        return (server, server.channel.localAddress?.port ?? 0)
    }

    @Test func serverSpeaksFirstAndHalfClosureReachesIt() async throws {
        let (server, servicePort) = try await Self.greetingServer()
        try await RelayingAgentEnd.serving(secret: "t") { tunnelPort in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.executeThenClose { connections in
                        for try await accepted in connections {
                            try await accepted.take().executeThenClose { inbound, outbound in
                                try await outbound.write(ByteBuffer(string: "220 ready\n"))
                                for try await bytes in inbound { try await outbound.write(bytes) }
                                try await outbound.write(ByteBuffer(string: "bye\n"))
                            }
                        }
                    }
                }
                let dialer = try await PendingCarrier.connect(host: "127.0.0.1", port: tunnelPort, purpose: .control, configuration: TunnelConfiguration(secret: "t")).dialer()
                let stream = try await dialer.open("127.0.0.1:\(servicePort)")
                let transcript = try await stream.executeThenClose { inbound, outbound in
                    var iterator = inbound.makeAsyncIterator()
                    var received = ""
                    while !received.contains("220 ready\n"), let bytes = try await iterator.next() { received += String(buffer: bytes) }
                    try await outbound.write(ByteBuffer(string: "HELO\n"))
                    outbound.finish()
                    while let bytes = try await iterator.next() { received += String(buffer: bytes) }
                    return received
                }
                #expect(transcript == "220 ready\nHELO\nbye\n")
                await #expect(throws: TunnelError.refused(status: "502", target: "127.0.0.1:1")) { try await dialer.open("127.0.0.1:1") }
                group.cancelAll()
            }
        }
    }
}
