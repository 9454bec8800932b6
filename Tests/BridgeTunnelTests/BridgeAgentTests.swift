import BridgeTunnel
import NIOCore
import NIOPosix
import Testing

/// The agent on loopback, with this test playing the CLI.
@Suite struct BridgeAgentTests {
    /// A TCP server answering every connection with `greeting` and then echoing.
    private static func service(greeting: String) async throws -> (NIOAsyncChannel<TunnelRelay.Connection, Never>, Int) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try TunnelRelay.Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)) }
            }
        return (server, server.channel.localAddress?.port ?? 0)
    }

    private static func serve(_ server: NIOAsyncChannel<TunnelRelay.Connection, Never>, greeting: String) async throws {
        try await server.executeThenClose { connections in
            for try await connection in connections {
                try? await connection.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: greeting))
                    for try await bytes in inbound { try await outbound.write(bytes) }
                }
            }
        }
    }

    private static func readAll(_ stream: NIOAsyncChannel<ByteBuffer, ByteBuffer>, sending text: String? = nil) async throws -> String {
        try await stream.executeThenClose { inbound, outbound in
            if let text { try await outbound.write(ByteBuffer(string: text)) }
            outbound.finish()
            var received = ""
            for try await bytes in inbound { received += String(buffer: bytes) }
            return received
        }
    }

    @Test func relaysOutboundAndInboundConnectionsAndReportsItsEnvironment() async throws {
        let (clusterService, clusterPort) = try await Self.service(greeting: "cluster says hi\n")
        let (localProcess, localPort) = try await Self.service(greeting: "local process says hi\n")
        let agent = BridgeAgent(configuration: .init(
            token: "session-1", host: "127.0.0.1", controlPort: 0, inboundPort: 0, servicePorts: [0],
            environment: ["GREETING": "multi\nline \"quoted\"", "PORT": "8080"]
        ))
        let (ports, portsContinuation) = AsyncStream<[Int]>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.serve(clusterService, greeting: "cluster says hi\n") }
            group.addTask { try await Self.serve(localProcess, greeting: "local process says hi\n") }
            group.addTask { try await agent.run { portsContinuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            let tunnel = TunnelConfiguration(token: "session-1")

            // Outbound: the CLI asks the agent to dial a cluster address.
            let control = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: bound[0]) { TunnelDialer.configure($0, configuration: tunnel) }
            let outbound = try await Self.readAll(try await control.open("127.0.0.1:\(clusterPort)"), sending: "ping\n")
            #expect(outbound == "cluster says hi\nping\n")

            // The agent's environment, values quoted so that newlines and quotes survive.
            let environment = try await Self.readAll(try await control.open(BridgeAgent.environmentTarget))
            #expect(environment == "GREETING=\"multi\\nline \\\"quoted\\\"\"\nPORT=\"8080\"\n")

            // Inbound: a connection to the pod's port reaches the local process through the CLI.
            let carrier = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: bound[1]) { TunnelListener.configure($0, configuration: tunnel) }
            group.addTask {
                try await carrier.serve { request in
                    #expect(request.target == "inbound:0")
                    await TunnelRelay.relay(request, toHost: "127.0.0.1", port: localPort)
                }
            }
            // Until the agent has taken the carrier, it closes callers; then they get through.
            var inbound = ""
            for _ in 0..<100 where inbound.isEmpty {
                let caller = try await TunnelRelay.connect(host: "127.0.0.1", port: bound[2])
                inbound = (try? await Self.readAll(caller, sending: "request\n")) ?? ""
                if inbound.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(inbound == "local process says hi\nrequest\n")

            // A stream with the wrong token gets nothing.
            let stranger = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: bound[0]) { TunnelDialer.configure($0, configuration: TunnelConfiguration(token: "guess")) }
            await #expect(throws: TunnelError.refused(status: "403", target: BridgeAgent.environmentTarget)) {
                try await stranger.open(BridgeAgent.environmentTarget)
            }
            group.cancelAll()
        }
    }
}
