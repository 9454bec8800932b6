import BridgeTunnel
import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay to the agent that records what its client sent: a captured exchange to replay,
/// as an attacker on the path would.
public final class RecordingRelay: Sendable {
    public let port: Int
    private let recorded = Mutex<[UInt8]>([])
    private let server: NIOAsyncChannel<HeldConnection, Never>

    private init(port: Int, server: NIOAsyncChannel<HeldConnection, Never>) {
        self.port = port
        self.server = server
    }

    /// Listens on a loopback port and relays each connection to `host:port`.
    public static func start(host: String, port: Int) async throws -> RecordingRelay {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { HeldConnection.accept($0) }
        let relay = RecordingRelay(port: server.channel.localAddress?.port ?? 0, server: server)
        Task { try await relay.run(toHost: host, port: port) }
        return relay
    }

    /// Every byte the relay's clients sent so far.
    public func sentToAgent() -> [UInt8] { recorded.withLock { $0 } }

    private func run(toHost host: String, port: Int) async throws {
        try await server.executeThenClose { connections in
            for try await accepted in connections {
                guard let agent = try? await TunnelRelay.connect(host: host, port: port) else {
                    await accepted.close()
                    continue
                }
                guard let client = try? await accepted.take() else {
                    await TunnelRelay.discard(agent)
                    continue
                }
                Task {
                    try await client.executeThenClose { clientIn, clientOut in
                        try await agent.executeThenClose { agentIn, agentOut in
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                group.addTask {
                                    for try await bytes in clientIn {
                                        self.recorded.withLock { $0 += Array(bytes.readableBytesView) }
                                        try await agentOut.write(bytes)
                                    }
                                }
                                group.addTask { for try await bytes in agentIn { try await clientOut.write(bytes) } }
                                try await group.next()
                                group.cancelAll()
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A peer that speaks raw bytes to a port.
public enum RawPeer {
    /// Everything received after sending `bytes` and ending the output, until the other end closes.
    public static func exchange(host: String, port: Int, sending bytes: [UInt8]) async throws -> [UInt8] {
        let connection = try await TunnelRelay.connect(host: host, port: port)
        return try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            outbound.finish()
            var received: [UInt8] = []
            for try await chunk in inbound { received += Array(chunk.readableBytesView) }
            return received
        }
    }
}
