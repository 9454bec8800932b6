import BridgeTunnel
import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on a loopback port that a test can cut (every forwarded connection closes and new
/// ones are closed at once, as when an API server restarts) and resume, while what it forwards to
/// keeps its state. (The listening socket stays: rebinding its port at once is refused while the
/// kernel still holds the closed connections.)
public final class SwitchableProxy: Sendable {
    public let port: Int
    private let target: Int
    private let server: NIOAsyncChannel<HeldConnection, Never>
    private let state = Mutex<(cut: Bool, connections: [any Channel])>((false, []))

    private init(port: Int, target: Int, server: NIOAsyncChannel<HeldConnection, Never>) {
        self.port = port
        self.target = target
        self.server = server
    }

    /// Listens on a free loopback port and forwards every connection to `127.0.0.1:target`.
    public static func start(forwardingTo target: Int) async throws -> SwitchableProxy {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { HeldConnection.accept($0) }
        let proxy = SwitchableProxy(port: server.channel.localAddress?.port ?? 0, target: target, server: server)
        Task { await proxy.serve() }
        return proxy
    }

    /// Closes every forwarded connection and refuses new ones until `resume()`.
    public func cut() async {
        let open = state.withLock { state in
            state.cut = true
            defer { state.connections = [] }
            return state.connections
        }
        for channel in open { try? await channel.close() }
    }

    /// Forwards new connections again.
    public func resume() {
        state.withLock { $0.cut = false }
    }

    private func serve() async {
        let target = self.target
        try? await server.executeThenClose { accepted in
            for try await connection in accepted {
                guard !state.withLock({ $0.cut }),
                      let upstream = try? await TunnelRelay.connect(host: "127.0.0.1", port: target, on: connection.channel.eventLoop) else {
                    await connection.close()
                    continue
                }
                state.withLock { $0.connections += [connection.channel, upstream.channel] }
                Task { await TunnelRelay.join(connection, upstream) }
            }
        }
    }
}
