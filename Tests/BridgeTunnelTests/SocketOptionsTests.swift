import BridgeTunnel
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The options on the agent's sockets, read back from the kernel: Nagle off at the TCP level,
/// nothing set at the socket level by mistake (option 1 there is SO_DEBUG, which needs
/// CAP_NET_ADMIN: a pod refuses it and, once, that stopped the agent at its first connection).
@Suite struct SocketOptionsTests {
    struct Options: Equatable, CustomStringConvertible {
        var noDelay: Int32
        var debug: Int32
        var description: String { "TCP_NODELAY=\(noDelay) SO_DEBUG=\(debug)" }
    }

    /// The options of every TCP socket of this process whose local port is one of `ports`.
    static func options(ofSocketsOnLocalPorts ports: Set<Int>) -> [Int: [Options]] {
        var found: [Int: [Options]] = [:]
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for name in descriptors {
            guard let fd = Int32(name) else { continue }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0, address.sin_family == sa_family_t(AF_INET) else { continue }
            let port = Int(UInt16(bigEndian: address.sin_port))
            guard ports.contains(port), Self.isConnected(fd) else { continue }
            found[port, default: []].append(Options(noDelay: Self.option(fd, Int32(IPPROTO_TCP), TCP_NODELAY), debug: Self.option(fd, SOL_SOCKET, SO_DEBUG)))
        }
        return found
    }

    private static func isConnected(_ fd: Int32) -> Bool {
        var peer = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) } } == 0
    }

    private static func option(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32 {
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, level, name, &value, &length) == 0 ? value : -1
    }

    @Test func agentSocketsHaveNagleOffAtTheTCPLevelAndNoSocketLevelDebugFlag() async throws {
        let echo = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in HeldConnection.accept(channel) }
        let echoPort = try #require(echo.channel.localAddress?.port)
        let agent = BridgeAgent(configuration: .init(secret: "t", host: "127.0.0.1", arguments: .init(controlPort: 0, inboundPort: 0, servicePorts: [0]), environment: [:]))
        let (ports, portsContinuation) = AsyncStream<[Int]>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await echo.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { echoes in
                        for try await accepted in connections {
                            echoes.addTask {
                                try? await accepted.take().executeThenClose { inbound, outbound in
                                    for try await bytes in inbound { try await outbound.write(bytes) }
                                }
                            }
                        }
                    }
                }
            }
            group.addTask { try await agent.run { portsContinuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            let tunnel = TunnelConfiguration(secret: "t")
            let control = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[0], purpose: .control, configuration: tunnel).dialer()
            let carrier = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[1], purpose: .inbound, configuration: tunnel).listener()
            group.addTask {
                try await carrier.serve { request in await TunnelRelay.relay(request, toHost: "127.0.0.1", port: echoPort) }
            }
            // An outbound stream (the agent dials the echo server) and an inbound caller, both held open.
            let outbound = try await control.open("127.0.0.1:\(echoPort)")
            var caller: TunnelRelay.Connection?
            for _ in 0..<100 where caller == nil {
                let attempt = try await TunnelRelay.connect(host: "127.0.0.1", port: bound[2])
                let answered = try await attempt.executeThenClose { inbound, writer in
                    try await writer.write(ByteBuffer(string: "x"))
                    var iterator = inbound.makeAsyncIterator()
                    return try await iterator.next() != nil
                }
                if answered {
                    caller = try await TunnelRelay.connect(host: "127.0.0.1", port: bound[2])
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let held = try #require(caller, "the agent relays callers once the carrier is up")
            // Both held open while their sockets are read (and finished properly, as NIO requires).
            try await outbound.executeThenClose { _, _ in
                try await held.executeThenClose { _, _ in
                    try await Task.sleep(for: .milliseconds(200))
                    let seen = Self.options(ofSocketsOnLocalPorts: Set(bound + [echoPort]))
                    for port in bound + [echoPort] {
                        let sockets = seen[port] ?? []
                        #expect(!sockets.isEmpty, "accepted sockets on port \(port)")
                        for options in sockets {
                            #expect(options == Options(noDelay: 1, debug: 0), "port \(port): \(options)")
                        }
                    }
                }
            }
            await control.close()
            await carrier.close()
            group.cancelAll()
        }
    }
}
