import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The in-cluster end of a session, as `kbridge-agent agent` runs it in the taken-over pod.
///
/// - On `controlPort` the CLI is the HTTP/2 client: each stream names a target
///   (`AgentContract.Target`): a cluster address the agent dials and relays, or the agent's
///   environment report.
/// - On `inboundPort` the CLI connects and the agent is the HTTP/2 client: every connection the
///   agent accepts on the container's ports becomes a stream `inbound:PORT` to the CLI, which
///   connects it to the local process.
///
/// Both ports are reachable by the whole cluster network, so every connection to them must first
/// prove it holds the session secret (`TunnelHandshake`); until then it is given nothing, and a
/// connection that fails never displaces the working carrier. Failed attempts are reported to
/// `log`, except silent connect-and-close (the kubelet's TCP probes).
public final class BridgeAgent: Sendable {
    public struct Configuration: Sendable {
        public var secret: String
        /// Where to listen: every address (a pod), or the one address a platform gave the pod.
        public var host: String
        public var controlPort: Int
        public var inboundPort: Int
        /// The container's ports: connections to them go to the developer's machine.
        public var servicePorts: [Int]
        /// What the agent reports as its environment.
        public var environment: [String: String]
        /// Where the container's files are (`AgentContract.containerRootVariable`); "" in a real pod.
        public var fileRoot = ""
        /// Where the agent says what happened (its container's log).
        public var log: @Sendable (String) -> Void
        /// How often the agent pings the CLI on each carrier, and how long it waits for an answer
        /// before it drops the carrier and refuses the service's callers (`CarrierHeartbeat`).
        public var heartbeatInterval: TimeAmount = .seconds(5)
        public var heartbeatTimeout: TimeAmount = .seconds(30)
        /// Connections whose handshake may be under way at once, per port: anyone on the pod
        /// network can open connections and leave them silent until the handshake's deadline;
        /// beyond this many, new ones are closed at once (and a working carrier is unaffected).
        public var maximumPendingHandshakes = 64

        public init(
            secret: String, host: String = "0.0.0.0", arguments: AgentContract.Arguments, environment: [String: String],
            log: @escaping @Sendable (String) -> Void = { _ in }
        ) {
            self.secret = secret
            self.host = host
            self.controlPort = arguments.controlPort
            self.inboundPort = arguments.inboundPort
            self.servicePorts = arguments.servicePorts
            self.environment = environment
            self.log = log
        }
    }

    let configuration: Configuration
    /// The CLI's inbound carrier, once authenticated: the newest authenticated one wins.
    private let carrier = NIOLockedValueBox<TunnelDialer?>(nil)
    /// Refused connections go to the log, but not more than a few a minute (a flood would fill it).
    private let refusals: RefusalLog

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.refusals = RefusalLog(log: configuration.log)
    }

    /// Serves until cancelled. `onListening` gets the bound ports (control, inbound, then service ports).
    public func run(onListening: @escaping @Sendable ([Int]) -> Void = { _ in }) async throws {
        let tunnel = {
            var tunnel = TunnelConfiguration(secret: configuration.secret)
            tunnel.heartbeatInterval = configuration.heartbeatInterval
            tunnel.heartbeatTimeout = configuration.heartbeatTimeout
            return tunnel
        }()
        let group = RelayEventLoop.shared
        let control = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.controlPort) { channel in
                PendingCarrier.begin(channel, side: .agent, purpose: .control, configuration: tunnel)
            }
        let inbound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.inboundPort) { channel in
                PendingCarrier.begin(channel, side: .agent, purpose: .inbound, configuration: tunnel)
            }
        var services: [NIOAsyncChannel<HeldConnection, Never>] = []
        for port in configuration.servicePorts {
            services.append(
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: HeldConnection.listenBacklog)
                    .bind(host: configuration.host, port: port) { channel in HeldConnection.accept(channel) }
            )
        }
        let bound = [control.channel.localAddress?.port, inbound.channel.localAddress?.port] + services.map { $0.channel.localAddress?.port }
        onListening(bound.map { $0 ?? 0 })

        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask {
                try await self.acceptAuthenticated(control, port: "control", handshake: { try await $0.listener() }) { listener, _ in try await self.serveControl(listener) }
            }
            tasks.addTask {
                try await self.acceptAuthenticated(inbound, port: "inbound", handshake: { try await $0.dialer() }) { dialer, peer in try await self.carry(dialer, from: peer) }
            }
            for (index, service) in services.enumerated() {
                let port = configuration.servicePorts[index]
                tasks.addTask { try await self.forward(service, port: port) }
            }
            tasks.addTask { await FreedMemory.giveBackPeriodically() }
        }
    }

    /// Hands each connection that completes the handshake to `serve`, concurrently; reports the
    /// others. At most `maximumPendingHandshakes` handshakes are under way; beyond, a newcomer takes
    /// the slot of the peer holding the most, or is closed at once (`HandshakeAdmission`).
    private func acceptAuthenticated<End: Sendable>(
        _ server: NIOAsyncChannel<PendingCarrier, Never>, port: String,
        handshake: @escaping @Sendable (PendingCarrier) async throws -> End,
        serve: @escaping @Sendable (End, String) async throws -> Void
    ) async throws {
        let refusals = self.refusals
        let limit = configuration.maximumPendingHandshakes
        let slots = NIOLockedValueBox(PendingHandshakes(admission: HandshakeAdmission(limit: limit)))
        try await server.executeThenClose { incoming in
            try await withThrowingDiscardingTaskGroup { tasks in
                for try await carrier in incoming {
                    let (ticket, decision) = slots.withLockedValue { $0.admit(carrier) }
                    switch decision {
                    case .refused:
                        refusals.note("refused a connection to the \(port) port from \(carrier.peer): \(limit) handshakes are already under way")
                        tasks.addTask { await carrier.close() }
                        continue
                    case .admittedInPlaceOf(let crowded):
                        refusals.note("closed a connection to the \(port) port from \(crowded.peer) still in its handshake: its peer holds the most of the \(limit) handshake slots")
                        tasks.addTask { await crowded.close() }
                    case .admitted:
                        break
                    }
                    tasks.addTask {
                        let end: End
                        do {
                            end = try await handshake(carrier)
                            slots.withLockedValue { $0.release(ticket) }
                        } catch let error as TunnelHandshakeError {
                            slots.withLockedValue { $0.release(ticket) }
                            guard error != .closedSilently else { return }
                            refusals.note("refused a connection to the \(port) port from \(carrier.peer): it \(error)")
                            return
                        } catch {
                            slots.withLockedValue { $0.release(ticket) }
                            await carrier.close()
                            return
                        }
                        try? await serve(end, carrier.peer)
                    }
                }
            }
        }
    }

    private func serveControl(_ listener: TunnelListener) async throws {
        let environment = configuration.environment
        let files = MountReader(root: configuration.fileRoot)
        let log = configuration.log
        let dialled = NIOLockedValueBox<Set<String>>([])
        try await listener.serve { request in
            switch AgentContract.Target(encoded: request.target) {
            case .environment: await Self.sendEnvironment(environment, on: request)
            case .files(let path):
                log("sending the files under \(path)")
                await Self.sendFiles(path, reader: files, on: request)
            case .cluster(let host, let port):
                // Each destination once: the log says where the developer's machine reaches.
                if dialled.withLockedValue({ $0.insert(request.target).inserted }) { log("dialling \(request.target) for the developer's machine") }
                await TunnelRelay.relay(request, toHost: host, port: port)
            case .inbound, nil: await request.refuse(status: "400")
            }
        }
    }

    private static func sendFiles(_ path: String, reader: MountReader, on request: TunnelRequest) async {
        await request.accept()
        try? await request.stream().executeThenClose { inbound, outbound in
            try await reader.send(path) { bytes in try await outbound.write(ByteBuffer(bytes: bytes)) }
            outbound.finish()
            for try await _ in inbound {}
        }
    }

    private static func sendEnvironment(_ environment: [String: String], on request: TunnelRequest) async {
        await request.accept()
        try? await request.stream().executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: AgentContract.EnvironmentReport.encode(environment)))
            outbound.finish()
            // Closed only once the CLI has ended its side too: closing a stream still open on the
            // other side resets it, and the CLI may not have taken the report yet.
            for try await _ in inbound {}
        }
    }

    /// Makes an authenticated inbound carrier the current one until it closes.
    private func carry(_ dialer: TunnelDialer, from peer: String) async throws {
        carrier.withLockedValue { $0 = dialer }
        configuration.log("the CLI's inbound carrier connected from \(peer)")
        await dialer.waitUntilClosed()
        let wasCurrent = carrier.withLockedValue { current in
            guard current?.connection === dialer.connection else { return false }
            current = nil
            return true
        }
        // Until a new one comes, the service's callers are refused at once rather than left hanging.
        if wasCurrent { configuration.log("the CLI's inbound carrier from \(peer) closed or stopped answering: refusing the service's callers until the CLI is back") }
    }

    private func forward(_ server: NIOAsyncChannel<HeldConnection, Never>, port: Int) async throws {
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { tasks in
                for try await accepted in connections {
                    tasks.addTask {
                        guard let dialer = self.carrier.withLockedValue({ $0 }),
                              let stream = try? await dialer.openHeld(AgentContract.Target.inbound(port: port).encoded) else {
                            await accepted.close()
                            return
                        }
                        await TunnelRelay.join(accepted, stream)
                    }
                }
            }
        }
    }
}

/// The carriers in their handshake on one of the agent's ports, by ticket.
private struct PendingHandshakes: Sendable {
    var admission: HandshakeAdmission<Int>
    var carriers: [Int: PendingCarrier] = [:]
    var nextTicket = 0

    enum Decision {
        case admitted
        case admittedInPlaceOf(PendingCarrier)
        case refused
    }

    mutating func admit(_ carrier: PendingCarrier) -> (Int, Decision) {
        nextTicket += 1
        switch admission.admit(nextTicket, peer: carrier.peerHost) {
        case .refused:
            return (nextTicket, .refused)
        case .admitted:
            carriers[nextTicket] = carrier
            return (nextTicket, .admitted)
        case .admittedInPlaceOf(let crowded):
            carriers[nextTicket] = carrier
            guard let crowdedCarrier = carriers.removeValue(forKey: crowded) else { return (nextTicket, .admitted) }
            return (nextTicket, .admittedInPlaceOf(crowdedCarrier))
        }
    }

    mutating func release(_ ticket: Int) {
        admission.release(ticket)
        carriers[ticket] = nil
    }
}
