import BridgeTunnel
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on this machine whose connections arrive held (half-closable, Nagle off),
/// ready to be joined to a tunnel stream (`TunnelRelay.join`).
public struct LocalListener: Sendable {
    public typealias Server = NIOAsyncChannel<HeldConnection, Never>

    /// Why a listener could not be opened.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another socket holds the address and port.
        case inUse(host: String, port: Int)
        /// The port is privileged (below 1024) and this process may not bind it.
        case notPermitted(host: String, port: Int)
        case failed(host: String, port: Int, detail: String)

        public var description: String {
            switch self {
            case .inUse(let host, let port): return "\(host):\(port) is already in use"
            case .notPermitted(let host, let port): return "no permission to listen on \(host):\(port) (ports below 1024 need administrator rights)"
            case .failed(let host, let port, let detail): return "cannot listen on \(host):\(port): \(detail)"
            }
        }
    }

    public let host: String
    /// The bound port (the requested one, or the one the system chose for port 0).
    public let port: Int
    public let server: Server

    /// Binds `host:port`.
    public static func bind(host: String, port: Int) async throws(Failure) -> LocalListener {
        do {
            let server = try await ServerBootstrap(group: RelayEventLoop.shared)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: HeldConnection.listenBacklog)
                .bind(host: host, port: port) { channel in HeldConnection.accept(channel) }
            return LocalListener(host: host, port: server.channel.localAddress?.port ?? port, server: server)
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw .inUse(host: host, port: port)
        } catch let error as IOError where error.errnoCode == EACCES || error.errnoCode == EPERM {
            throw .notPermitted(host: host, port: port)
        } catch {
            throw .failed(host: host, port: port, detail: String(describing: error))
        }
    }

    /// Hands every accepted connection to `handler`, concurrently, until the listener is closed
    /// or the task is cancelled.
    public func serve(_ handler: @escaping @Sendable (HeldConnection) async -> Void) async {
        try? await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await accepted in connections {
                    group.addTask { await handler(accepted) }
                }
            }
        }
    }

    /// Stops accepting (connections already accepted go on).
    public func close() async {
        try? await server.channel.close()
    }
}
