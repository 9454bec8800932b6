import BridgeTunnel
import NIOCore
import NIOPosix

/// Both ends of a tunnel over a loopback TCP connection, as the agent and the CLI run it but
/// without a port-forward between them: the tunnel's own cost.
struct TunnelPair: Sendable {
    let dialer: TunnelDialer
    private let serving: Task<Void, any Error>

    static func start(secret: String) async throws -> TunnelPair {
        let configuration = TunnelConfiguration(secret: secret)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in PendingCarrier.begin(channel, side: .agent, purpose: .control, configuration: configuration) }
        let port = server.channel.localAddress?.port ?? 0
        let serving = Task {
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
        return TunnelPair(dialer: dialer, serving: serving)
    }

    func close() async {
        await dialer.close()
        serving.cancel()
    }
}
