import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The in-cluster end of a session, as `kbridge-agent agent` runs it in the taken-over pod.
///
/// - On `controlPort` the CLI is the HTTP/2 client: each stream names a target (`10.96.0.12:80`)
///   that the agent dials inside the cluster and relays, or a control request
///   (`BridgeAgent.environmentTarget`: the agent's own environment as JSON lines).
/// - On `inboundPort` the CLI connects once and the agent is the HTTP/2 client: every connection
///   the agent accepts on the container's ports becomes a stream `inbound:PORT` to the CLI, which
///   connects it to the local process.
///
/// Every stream carries the session's token; the agent refuses streams without it, and the CLI
/// checks the agent's.
public final class BridgeAgent: Sendable {
    public struct Configuration: Sendable {
        public var token: String
        /// Where to listen: every address (a pod), or the one address a platform gave the pod.
        public var host: String
        public var controlPort: Int
        public var inboundPort: Int
        /// The container's ports: connections to them go to the developer's machine.
        public var servicePorts: [Int]
        /// What the agent reports as its environment.
        public var environment: [String: String]

        public init(token: String, host: String = "0.0.0.0", controlPort: Int, inboundPort: Int, servicePorts: [Int], environment: [String: String]) {
            self.token = token
            self.host = host
            self.controlPort = controlPort
            self.inboundPort = inboundPort
            self.servicePorts = servicePorts
            self.environment = environment
        }
    }

    /// The variable that names the one address to listen on, where a platform runs pods on a
    /// shared network; unset in a real pod, where the agent listens on every address.
    public static let listenAddressVariable = "KBRIDGE_LISTEN_ADDRESS"

    /// The control stream target that answers with the agent's environment.
    public static let environmentTarget = "kbridge-agent:environment"

    let configuration: Configuration
    private let carrier = NIOLockedValueBox<TunnelDialer?>(nil)

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Serves until cancelled. `onListening` gets the bound ports (control, inbound, then service ports).
    public func run(onListening: @escaping @Sendable ([Int]) -> Void = { _ in }) async throws {
        let tunnel = TunnelConfiguration(token: configuration.token)
        let group = MultiThreadedEventLoopGroup.singleton
        let control = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.controlPort) { channel in TunnelListener.configure(channel, configuration: tunnel) }
        let inbound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.inboundPort) { channel in TunnelDialer.configure(channel, configuration: tunnel) }
        var services: [NIOAsyncChannel<TunnelRelay.Connection, Never>] = []
        for port in configuration.servicePorts {
            services.append(
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: configuration.host, port: port) { channel in TunnelRelay.accepted(channel) }
            )
        }
        let bound = [control.channel.localAddress?.port, inbound.channel.localAddress?.port] + services.map { $0.channel.localAddress?.port }
        onListening(bound.map { $0 ?? 0 })

        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await self.serveControl(control) }
            tasks.addTask { try await self.acceptCarriers(inbound) }
            for (index, service) in services.enumerated() {
                let port = configuration.servicePorts[index]
                tasks.addTask { try await self.forward(service, port: port) }
            }
        }
    }

    private func serveControl(_ server: NIOAsyncChannel<TunnelListener, Never>) async throws {
        let environment = configuration.environment
        try await server.executeThenClose { listeners in
            try await withThrowingDiscardingTaskGroup { tasks in
                for try await listener in listeners {
                    tasks.addTask {
                        try? await listener.serve { request in
                            if request.target == Self.environmentTarget {
                                await Self.sendEnvironment(environment, on: request)
                            } else if let target = TunnelRelay.parseTarget(request.target) {
                                await TunnelRelay.relay(request, toHost: target.host, port: target.port)
                            } else {
                                await request.refuse(status: "400")
                            }
                        }
                    }
                }
            }
        }
    }

    /// One `NAME=VALUE` per line, values JSON-escaped so that newlines and quotes survive.
    private static func sendEnvironment(_ environment: [String: String], on request: TunnelRequest) async {
        await request.accept()
        var text = ""
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            text += "\(name)=\(JSONString.quote(value))\n"
        }
        try? await request.stream.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(string: text))
            outbound.finish()
        }
    }

    /// The CLI's inbound carrier: the newest connection wins.
    private func acceptCarriers(_ server: NIOAsyncChannel<TunnelDialer, Never>) async throws {
        try await server.executeThenClose { dialers in
            for try await dialer in dialers { carrier.withLockedValue { $0 = dialer } }
        }
    }

    private func forward(_ server: NIOAsyncChannel<TunnelRelay.Connection, Never>, port: Int) async throws {
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { tasks in
                for try await connection in connections {
                    tasks.addTask {
                        guard let dialer = self.carrier.withLockedValue({ $0 }), let stream = try? await dialer.open("inbound:\(port)") else {
                            await TunnelRelay.discard(connection)
                            return
                        }
                        await TunnelRelay.splice(connection, stream)
                    }
                }
            }
        }
    }
}

/// JSON string quoting without Foundation (the agent does not link it).
enum JSONString {
    static func quote(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
