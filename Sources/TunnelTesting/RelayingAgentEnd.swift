import BridgeTunnel
import NIOCore
import NIOPosix

/// The agent's end of a tunnel as tests need it: on a loopback port it takes carriers that prove
/// the secret, and dials each stream's cluster target over TCP, as `kbridge-agent` does.
public enum RelayingAgentEnd {
    /// Runs `body` with the port of such an end, closed after.
    public static func serving(secret: String, _ body: (_ port: Int) async throws -> Void) async throws {
        let carriers = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in PendingCarrier.begin(channel, side: .agent, purpose: .control, configuration: TunnelConfiguration(secret: secret)) }
        let port = carriers.channel.localAddress?.port ?? 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await carriers.executeThenClose { pendings in
                    for try await pending in pendings {
                        try await pending.listener().serve { request in
                            guard case .cluster(let host, let port) = AgentContract.Target(encoded: request.target) else { return await request.refuse(status: "400") }
                            await TunnelRelay.relay(request, toHost: host, port: port)
                        }
                    }
                }
            }
            try await body(port)
            group.cancelAll()
        }
    }
}
