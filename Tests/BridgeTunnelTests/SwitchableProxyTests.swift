import BridgeTunnel
import NIOCore
import NIOPosix
import Testing
import TunnelTesting

/// The proxy the reconnect tests put in front of an API server.
@Suite struct SwitchableProxyTests {
    @Test func aCutClosesForwardedConnectionsAndRefusesNewOnesUntilResumed() async throws {
        let echo = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { HeldConnection.accept($0) }
        let echoPort = try #require(echo.channel.localAddress?.port)
        let serving = Task {
            try await echo.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in connections {
                        group.addTask { try? await accepted.take().executeThenClose { inbound, outbound in for try await bytes in inbound { try await outbound.write(bytes) } } }
                    }
                }
            }
        }
        defer { serving.cancel() }
        let proxy = try await SwitchableProxy.start(forwardingTo: echoPort)
        let held = try await TunnelRelay.connect(host: "127.0.0.1", port: proxy.port)
        let closed = try await held.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "ping"))
            var iterator = inbound.makeAsyncIterator()
            #expect(try await iterator.next().map { String(buffer: $0) } == "ping")
            await proxy.cut()
            return (try? await iterator.next()) == nil
        }
        #expect(closed, "the forwarded connection closed")
        // Closed at once (a reset, when the bytes sent were never read).
        #expect(((try? await RawPeer.exchange(host: "127.0.0.1", port: proxy.port, sending: Array("x".utf8))) ?? []).isEmpty, "refused while cut")
        proxy.resume()
        #expect(try await RawPeer.exchange(host: "127.0.0.1", port: proxy.port, sending: Array("back".utf8)) == Array("back".utf8))
    }
}
