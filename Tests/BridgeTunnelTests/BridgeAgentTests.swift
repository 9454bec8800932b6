import BridgeTunnel
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TunnelTesting

/// The agent on loopback, with this test playing the CLI.
@Suite struct BridgeAgentTests {
    /// A TCP server answering every connection with `greeting` and then echoing.
    private static func service(greeting: String) async throws -> (NIOAsyncChannel<HeldConnection, Never>, Int) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in HeldConnection.accept(channel) }
        return (server, server.channel.localAddress?.port ?? 0)
    }

    private static func serve(_ server: NIOAsyncChannel<HeldConnection, Never>, greeting: String) async throws {
        try await server.executeThenClose { connections in
            for try await accepted in connections {
                try? await accepted.take().executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: greeting))
                    for try await bytes in inbound { try await outbound.write(bytes) }
                }
            }
        }
    }

    private static func readAll(_ stream: NIOAsyncChannel<ByteBuffer, ByteBuffer>, sending text: String? = nil) async throws -> String {
        try await stream.executeThenClose { inbound, outbound in
            if let text { try await outbound.write(ByteBuffer(string: text)) }
            outbound.finish()
            var received = ""
            for try await bytes in inbound { received += String(buffer: bytes) }
            return received
        }
    }

    /// An agent on loopback with one service port, a cluster service it can reach, and a local
    /// process; `body` gets the agent's bound ports (control, inbound, service) and what it logged.
    private static func withAgent(
        heartbeat: (interval: TimeAmount, timeout: TimeAmount)? = nil, maximumPendingHandshakes: Int? = nil,
        _ body: @escaping @Sendable (_ bound: [Int], _ clusterPort: Int, _ localPort: Int, _ log: AgentLog) async throws -> Void
    ) async throws {
        let (clusterService, clusterPort) = try await Self.service(greeting: "cluster says hi\n")
        let (localProcess, localPort) = try await Self.service(greeting: "local process says hi\n")
        let log = AgentLog()
        var configuration = BridgeAgent.Configuration(
            secret: secret, host: "127.0.0.1", arguments: .init(controlPort: 0, inboundPort: 0, servicePorts: [0]),
            environment: ["GREETING": "multi\nline \"quoted\"", "PORT": "8080"], log: { log.append($0) }
        )
        if let heartbeat {
            configuration.heartbeatInterval = heartbeat.interval
            configuration.heartbeatTimeout = heartbeat.timeout
        }
        if let maximumPendingHandshakes { configuration.maximumPendingHandshakes = maximumPendingHandshakes }
        let agent = BridgeAgent(configuration: configuration)
        let (ports, portsContinuation) = AsyncStream<[Int]>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Self.serve(clusterService, greeting: "cluster says hi\n") }
            group.addTask { try await Self.serve(localProcess, greeting: "local process says hi\n") }
            group.addTask { try await agent.run { portsContinuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            try await body(bound, clusterPort, localPort, log)
            group.cancelAll()
        }
    }

    private static let secret = "session-1"

    /// Serves inbound streams on an authenticated carrier by relaying them to `localPort`.
    private static func carry(_ carrier: TunnelListener, to localPort: Int, tag: String = "") async throws {
        try await carrier.serve { request in
            guard case .inbound = AgentContract.Target(encoded: request.target) else { return await request.refuse(status: "400") }
            await TunnelRelay.relay(request, toHost: "127.0.0.1", port: localPort)
        }
    }

    /// What a caller of the service port gets, once the agent has a carrier (until then it closes callers).
    private static func callService(port: Int) async throws -> String {
        var answer = ""
        for _ in 0..<100 where answer.isEmpty {
            let caller = try await TunnelRelay.connect(host: "127.0.0.1", port: port)
            answer = (try? await Self.readAll(caller, sending: "request\n")) ?? ""
            if answer.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        return answer
    }

    @Test func relaysOutboundAndInboundConnectionsAndReportsItsEnvironment() async throws {
        try await Self.withAgent { bound, clusterPort, localPort, _ in
            let tunnel = TunnelConfiguration(secret: Self.secret)
            // Outbound: the CLI asks the agent to dial a cluster address.
            let control = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[0], purpose: .control, configuration: tunnel).dialer()
            let outbound = try await Self.readAll(try await control.open(AgentContract.Target.cluster(host: "127.0.0.1", port: clusterPort).encoded), sending: "ping\n")
            #expect(outbound == "cluster says hi\nping\n")

            // The agent's environment, values quoted so that newlines and quotes survive.
            let environment = try await Self.readAll(try await control.open(AgentContract.Target.environment.encoded))
            #expect(try AgentContract.EnvironmentReport.decode(environment) == ["GREETING": "multi\nline \"quoted\"", "PORT": "8080"])

            // Inbound: a connection to the pod's port reaches the local process through the CLI.
            let carrier = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[1], purpose: .inbound, configuration: tunnel).listener()
            let serving = Task { try await Self.carry(carrier, to: localPort) }
            #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n")
            serving.cancel()
            await carrier.close()
        }
    }

    /// Foreign clients on the control and carrier ports: silent probes, garbage, a wrong secret, a
    /// replayed exchange, a proof for the other port. None gets a byte beyond the agent's challenge,
    /// none displaces the working carrier, and all but the probe are logged.
    @Test func foreignClientsGetNothingAndTheSessionKeepsWorking() async throws {
        try await Self.withAgent { bound, clusterPort, localPort, log in
            let tunnel = TunnelConfiguration(secret: Self.secret)
            let carrier = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[1], purpose: .inbound, configuration: tunnel).listener()
            let serving = Task { try await Self.carry(carrier, to: localPort) }
            #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n")

            // A genuine control handshake, recorded by a relay in between.
            let recorder = try await RecordingRelay.start(host: "127.0.0.1", port: bound[0])
            let control = try await PendingCarrier.connect(host: "127.0.0.1", port: recorder.port, purpose: .control, configuration: tunnel).dialer()
            _ = try await Self.readAll(try await control.open(AgentContract.Target.environment.encoded))
            let recorded = recorder.sentToAgent()
            // The wire format: the agent's challenge is magic (8) + nonce (32); the CLI answers with
            // magic + its nonce + its proof (72), then HTTP/2 follows.
            #expect(recorded.count > 72)
            let challengeSize = 40
            for port in [bound[0], bound[1]] {
                // The kubelet's TCP probe: connect and close.
                #expect(try await RawPeer.exchange(host: "127.0.0.1", port: port, sending: []).count == challengeSize)
                // Not a handshake at all (an HTTP request, the HTTP/2 preface of a tunnel without a secret).
                #expect(try await RawPeer.exchange(host: "127.0.0.1", port: port, sending: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).count == challengeSize)
                #expect(try await RawPeer.exchange(host: "127.0.0.1", port: port, sending: Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)).count == challengeSize)
                // The recorded proof, replayed on a new connection (a new challenge).
                #expect(try await RawPeer.exchange(host: "127.0.0.1", port: port, sending: recorded).count == challengeSize)
            }
            // A client that guessed the secret wrong; the right secret proven for the other port.
            for (secret, port, purpose) in [("guess", bound[0], TunnelHandshake.Purpose.control), ("guess", bound[1], .inbound), (Self.secret, bound[1], .control)] {
                let stranger = try await PendingCarrier.connect(host: "127.0.0.1", port: port, purpose: purpose, configuration: TunnelConfiguration(secret: secret))
                await #expect(throws: TunnelHandshakeError.self) { _ = try await stranger.dialer() }
            }

            // The session still works both ways, through the carrier it had.
            #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n")
            let outbound = try await Self.readAll(try await control.open(AgentContract.Target.cluster(host: "127.0.0.1", port: clusterPort).encoded), sending: "ping\n")
            #expect(outbound == "cluster says hi\nping\n")

            let refusals = log.lines.filter { $0.hasPrefix("refused a connection") }
            #expect(refusals.count == 9, "\(log.lines)")
            #expect(refusals.filter { $0.contains("not a kbridge handshake") }.count == 4)
            #expect(refusals.filter { $0.contains("did not prove it holds the session secret") }.count == 5)
            serving.cancel()
            await carrier.close()
        }
    }

    /// A CLI that is there answers the agent's pings: an idle carrier outlives many heartbeat
    /// timeouts. One that stops reading (a machine asleep behind a port-forward that stays open)
    /// is dropped, and the service's callers are then refused at once instead of hanging.
    @Test func aCarrierThatStopsAnsweringIsDroppedAndCallersAreRefusedAtOnce() async throws {
        // The timeout is many intervals long and the idle wait spans two of it: a machine loaded
        // by other tests (CI runs them in parallel on two cores) once went 2 s without answering.
        try await Self.withAgent(heartbeat: (.milliseconds(200), .seconds(5))) { bound, _, localPort, log in
            var tunnel = TunnelConfiguration(secret: Self.secret)
            // This CLI pings the agent only after the test: its pings would be a sign of life.
            tunnel.heartbeatInterval = .seconds(60)
            tunnel.heartbeatTimeout = .seconds(60)
            let carrier = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[1], purpose: .inbound, configuration: tunnel).listener()
            let serving = Task { try await Self.carry(carrier, to: localPort) }
            #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n")
            try await Task.sleep(for: .seconds(11))
            #expect(carrier.connection.isActive, "an idle carrier that answers pings stays")
            #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n")

            try await carrier.connection.setOption(ChannelOptions.autoRead, value: false).get()
            #expect(await Self.eventually { log.lines.contains { $0.contains("closed or stopped answering") } }, "\(log.lines)")
            // A caller now gets its connection closed, not a hang (bounded so that a hang fails the test).
            let caller = try await TunnelRelay.connect(host: "127.0.0.1", port: bound[2])
            let answer = try await Self.within(.seconds(30)) { (try? await Self.readAll(caller, sending: "request\n")) ?? "" }
            #expect(answer == "", "refused at once")
            serving.cancel()
            await carrier.close()
        }
    }

    /// Connections left silent hold the agent until the handshake's deadline: beyond the limit
    /// of handshakes under way new ones are closed at once and said so; once those go, the CLI's
    /// carrier is accepted as ever.
    @Test func silentConnectionsBeyondTheLimitAreClosedAtOnce() async throws {
        try await Self.withAgent(maximumPendingHandshakes: 3) { bound, _, localPort, log in
            var silent: [NIOAsyncChannel<ByteBuffer, ByteBuffer>] = []
            for _ in 0..<4 { silent.append(try await TunnelRelay.connect(host: "127.0.0.1", port: bound[1])) }
            #expect(await Self.eventually { log.lines.contains { $0.contains("3 handshakes are already under way") } }, "\(log.lines)")
            for connection in silent { try? await connection.channel.close() }

            // The agent learns of those closes on its own time: until then a carrier is still refused
            // at once, and the CLI dials again as it does after any refusal.
            var accepted: TunnelListener?
            for _ in 0..<100 where accepted == nil {
                accepted = try? await PendingCarrier.connect(host: "127.0.0.1", port: bound[1], purpose: .inbound, configuration: TunnelConfiguration(secret: Self.secret)).listener()
                if accepted == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let carrier = try #require(accepted, "\(log.lines)")
            let serving = Task { try await Self.carry(carrier, to: localPort) }
            #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n")
            serving.cancel()
            await carrier.close()
        }
    }

    /// Someone on the pod network holds every handshake slot with silent connections, and opens
    /// another each time one is taken back: the CLI (another peer) still gets a carrier, every time.
    @Test func aPeerHoldingEveryHandshakeSlotCannotKeepTheCLIOut() async throws {
        try await Self.withAgent(maximumPendingHandshakes: 8) { bound, _, localPort, log in
            var silent: [any Channel] = []
            func holdSlot() async throws {
                silent.append(try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .bind(to: try SocketAddress(ipAddress: "127.0.0.2", port: 0))
                    .connect(host: "127.0.0.1", port: bound[1]).get())
            }
            for _ in 0..<8 { try await holdSlot() }
            for round in 0..<20 {
                let carrier = try await PendingCarrier.connect(host: "127.0.0.1", port: bound[1], purpose: .inbound, configuration: TunnelConfiguration(secret: Self.secret)).listener()
                let serving = Task { try await Self.carry(carrier, to: localPort) }
                #expect(try await Self.callService(port: bound[2]) == "local process says hi\nrequest\n", "round \(round)")
                serving.cancel()
                await carrier.close()
                try await holdSlot()
            }
            #expect(log.lines.contains { $0.contains("from 127.0.0.2") && $0.contains("its peer holds the most of the 8 handshake slots") }, "\(log.lines)")
            for connection in silent { try? await connection.close() }
        }
    }

    private static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<300 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    private static func within<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The CLI checks the agent too: a listener that does not hold the secret is told nothing.
    @Test func theCLIRefusesAnAgentThatCannotProveTheSecret() async throws {
        let impostor = TunnelConfiguration(secret: "not-the-session")
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { PendingCarrier.begin($0, side: .agent, purpose: .control, configuration: impostor) }
        let port = try #require(server.channel.localAddress?.port)
        let accepted = Task {
            try await server.executeThenClose { pending in
                for try await carrier in pending { return try? await carrier.listener() }
                return nil
            }
        }
        let cli = try await PendingCarrier.connect(host: "127.0.0.1", port: port, purpose: .control, configuration: TunnelConfiguration(secret: Self.secret))
        await #expect(throws: TunnelHandshakeError.self) { _ = try await cli.dialer() }
        #expect(try await accepted.value == nil, "the impostor did not get an authenticated connection either")
    }
}

/// Lines the agent logged, collected across its tasks.
final class AgentLog: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}
