import BridgeTunnel
import LocalEndpoints
import NIOCore
import Routing
import RoutingTesting
import Testing
import TunnelTesting

/// The laptop's side of isolation: connections the local process opens to the cluster's services
/// (`HeaderRouter.route`) pass through a router that names the session on each HTTP request that
/// names none, dialling through held connections as the CLI does through its tunnel.
@Suite(.timeLimit(.minutes(1))) struct OutboundStampTests {
    @Test func requestsThatNameNoSessionGetTheSessionsNameAndOthersKeepTheirs() async throws {
        try await withStampingListener(serving: { try await TestServers.http(named: $0) }) { port in
            try await TestClient.with(port: port) { client in
                let plain = try await client.get("/a")
                let named = try await client.get("/b", headers: ["kubernetes-route-as": "bob"])
                let next = try await client.get("/c")
                #expect(plain.body == "original GET /a route-as=alice")
                #expect(named.body == "original GET /b route-as=bob")
                #expect(next.body == "original GET /c route-as=alice")
            }
        }
    }

    @Test func everyStreamOfAnHTTP2ConnectionIsNamedToo() async throws {
        try await withStampingListener(serving: { try await HTTP2TestPeers.server(named: $0) }) { port in
            let client = try await HTTP2TestPeers.connect(port: port)
            defer { client.channel.close(promise: nil) }
            let plain = try await HTTP2TestPeers.request(client.multiplexer, on: client.channel.eventLoop)
            #expect(plain.headers.first(name: "x-route-as") == "alice")
            let named = try await HTTP2TestPeers.request(client.multiplexer, on: client.channel.eventLoop, headers: [("kubernetes-route-as", "bob")], body: [1, 2, 3])
            #expect(named.headers.first(name: "x-route-as") == "bob")
            #expect(named.body == [1, 2, 3])
        }
    }

    @Test func aWebSocketStillUpgrades() async throws {
        try await withStampingListener(serving: { try await TestServers.http(named: $0) }) { port in
            try await TestClient.with(port: port) { client in
                let exchange = try await client.webSocketExchange("/socket", message: "hello")
                #expect(exchange.status.hasPrefix("HTTP/1.1 101"), "\(exchange)")
                #expect(exchange.reply == "original: hello")
            }
        }
    }

    @Test func tlsAndServersThatSpeakFirstPassByteForByte() async throws {
        try await withStampingListener(serving: { _ in try await TestServers.echo() }) { port in
            try await TestClient.with(port: port) { client in
                let bytes = [0x16, 0x03, 0x01, 0x02, 0x00] + (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                try await client.send(bytes)
                let echoed = try await client.read(count: bytes.count)
                #expect(echoed == bytes)
                client.endOutput()
                let rest = try await client.readToEnd()
                #expect(rest.isEmpty)
            }
        }
        try await withStampingListener(serving: { _ in try await TestServers.echo(greeting: "220 ready\r\n") }) { port in
            try await TestClient.with(port: port) { client in
                let greeting = try await client.read(count: 11)
                try await client.send("HELO x\r\n")
                let echoed = try await client.read(count: 8)
                #expect(greeting == Array("220 ready\r\n".utf8))
                #expect(echoed == Array("HELO x\r\n".utf8))
            }
        }
    }

    @Test func aDestinationThatCannotBeReachedIsAnswered502() async throws {
        let closed = try await TestServers.closedPort()
        try await withStampingListener(destinationPort: closed) { port in
            try await TestClient.with(port: port) { client in
                let answer = try await client.get("/")
                #expect(answer.status == "HTTP/1.1 502 Bad Gateway", "\(answer)")
            }
        }
    }
}

/// A local listener as the CLI has for a service, whose connections are routed stamping `alice`
/// to a server `serving` starts, reached through a tunnel as the CLI's are (streams of an HTTP/2
/// connection to an agent end that dials the server).
private func withStampingListener(serving: (String) async throws -> any Channel, _ body: (Int) async throws -> Void) async throws {
    let server = try await serving("original")
    defer { server.close(promise: nil) }
    try await withStampingListener(destinationPort: server.localAddress!.port!, body)
}

private func withStampingListener(destinationPort: Int, _ body: (Int) async throws -> Void) async throws {
    try await RelayingAgentEnd.serving(secret: "t") { agentPort in
        let listener = try await LocalListener.bind(host: "127.0.0.1", port: 0)
        let destination = RouterArguments.Endpoint(host: "127.0.0.1", port: destinationPort)
        let tunnel = try await PendingCarrier.connect(host: "127.0.0.1", port: agentPort, purpose: .control, configuration: TunnelConfiguration(secret: "t")).dialer()
        let dialer = RouterDialer.held { try await tunnel.openHeld(AgentContract.Target.cluster(host: $0.host, port: $0.port).encoded) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await listener.serve { connection in
                    do {
                        try await HeaderRouter.route(connection, to: destination, stampingUnnamedAs: "alice", through: dialer)
                    } catch {
                        await connection.close()
                    }
                }
            }
            try await body(listener.port)
            await listener.close()
            try? await tunnel.connection.close()
            group.cancelAll()
        }
    }
}
