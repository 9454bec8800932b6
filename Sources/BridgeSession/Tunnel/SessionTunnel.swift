import BridgeTunnel
import KubernetesClient
import NIOCore

/// The CLI's end of the tunnel: two port-forwards to the agent pod through the API server, with
/// HTTP/2 directly on each. On the control connection the CLI opens streams (outbound connections,
/// the environment); on the inbound connection the agent opens one stream per connection that
/// reached the container's ports, and the CLI connects it to the local process.
public struct SessionTunnel: Sendable {
    public let control: TunnelDialer
    public let inbound: TunnelListener

    /// Opens both connections and proves the session secret on each (`TunnelHandshake`); an agent
    /// that cannot prove it back is not the session's.
    public static func open(client: KubernetesClient, pod: String, namespace: String, ports: AgentPorts, secret: String) async throws(SessionError) -> SessionTunnel {
        let configuration = TunnelConfiguration(secret: secret)
        let control = try await authenticated(client: client, pod: pod, namespace: namespace, port: ports.control, purpose: .control, configuration: configuration) {
            try await $0.dialer()
        }
        do {
            let inbound = try await authenticated(client: client, pod: pod, namespace: namespace, port: ports.inbound, purpose: .inbound, configuration: configuration) {
                try await $0.listener()
            }
            return SessionTunnel(control: control, inbound: inbound)
        } catch {
            await control.close()
            throw error
        }
    }

    private static func authenticated<End>(
        client: KubernetesClient, pod: String, namespace: String, port: Int, purpose: TunnelHandshake.Purpose, configuration: TunnelConfiguration,
        _ end: (PendingCarrier) async throws -> End
    ) async throws(SessionError) -> End {
        let pending: PendingCarrier
        do {
            pending = try await client.portForwardChannel(pod: pod, namespace: namespace, port: port, on: RelayEventLoop.shared) { channel in
                PendingCarrier.begin(channel, side: .cli, purpose: purpose, configuration: configuration)
            }
        } catch {
            throw .cluster(error)
        }
        do {
            return try await end(pending)
        } catch let error as TunnelHandshakeError where error == .wrongProof || error == .notAHandshake {
            throw .agentNotAuthenticated(pod: pod, port: port, reason: error.description)
        } catch let error as TunnelHandshakeError {
            // Nothing listening yet (an agent restarting): the port-forward closes at once.
            throw .tunnelLost(detail: "the agent in pod \(pod) did not answer on port \(port): it \(error)")
        } catch {
            throw .tunnelLost(detail: "the \(purpose.rawValue) connection to the agent in pod \(pod) failed: \(error)")
        }
    }

    /// The agent's environment: what the app saw in the pod, service variables included.
    public func environment() async throws(SessionError) -> [String: String] {
        do {
            let text = try await control.open(AgentContract.Target.environment.encoded).executeThenClose { inbound, outbound in
                outbound.finish()
                var text = ""
                for try await bytes in inbound { text += String(buffer: bytes) }
                return text
            }
            return try AgentContract.EnvironmentReport.decode(text)
        } catch let error as AgentContract.ReportError {
            throw .tunnelLost(detail: "the agent's environment report has an unreadable value for \(error.variable)")
        } catch {
            throw .tunnelLost(detail: "the agent did not report its environment: \(error)")
        }
    }

    /// The files the container sees under `path` (a mount path), as the agent reads them; at
    /// most `limit` bytes of archive.
    public func files(under path: String, limit: Int) async throws(SessionError) -> [FileArchive.Entry] {
        do {
            let bytes = try await control.open(AgentContract.Target.files(path: path).encoded).executeThenClose { inbound, outbound in
                outbound.finish()
                var bytes: [UInt8] = []
                for try await buffer in inbound {
                    bytes += buffer.readableBytesView
                    if bytes.count > limit { throw FilesTooLarge() }
                }
                return bytes
            }
            return try FileArchive.decode(bytes)
        } catch is FilesTooLarge {
            throw .filesNotDownloaded(path: path, reason: "more than \(limit / (1 << 20)) MiB")
        } catch let error as FileArchive.Failure {
            throw .filesNotDownloaded(path: path, reason: error.description)
        } catch {
            throw .tunnelLost(detail: "the agent did not send the files under \(path): \(error)")
        }
    }

    private struct FilesTooLarge: Error {}

    /// A connection to `host:port` as seen from inside the cluster, held for a relay.
    public func dial(host: String, port: Int) async throws -> HeldConnection {
        try await control.openHeld(AgentContract.Target.cluster(host: host, port: port).encoded)
    }

    /// Connects every inbound stream (`inbound:PORT`) to `localhost:portMap[PORT]` (the same port
    /// when unmapped) until the inbound connection closes. The local connection is made before
    /// the stream is accepted, so protocols where the server speaks first work, and a local port
    /// nobody listens on makes the agent close the cluster's connection at once.
    public func serveInbound(portMap: [Int: Int], onConnection: @escaping @Sendable (_ remote: Int, _ local: Int, _ connected: Bool) -> Void) async {
        try? await inbound.serve { request in
            guard case .inbound(let remote) = AgentContract.Target(encoded: request.target) else {
                await request.refuse(status: "400")
                return
            }
            let local = portMap[remote] ?? remote
            guard let connection = await Self.connectLocally(port: local, on: request.connection.channel.eventLoop) else {
                onConnection(remote, local, false)
                await request.refuse(status: "502")
                return
            }
            onConnection(remote, local, true)
            await request.accept()
            await TunnelRelay.join(request.connection, connection)
        }
    }

    /// `localhost` as a program may bind it: IPv4 first, then IPv6.
    static func connectLocally(port: Int, on eventLoop: any EventLoop) async -> HeldConnection? {
        for host in ["127.0.0.1", "::1"] {
            if let connection = try? await TunnelRelay.connect(host: host, port: port, on: eventLoop) { return connection }
        }
        return nil
    }

    /// Returns once either connection to the agent has closed.
    public func waitUntilLost() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await control.waitUntilClosed() }
            group.addTask { await inbound.waitUntilClosed() }
            await group.next()
            group.cancelAll()
        }
    }

    public func close() async {
        await control.close()
        await inbound.close()
    }

    /// Starts closing both connections without waiting (from a cancellation handler).
    func closeAtOnce() {
        control.connection.close(promise: nil)
        inbound.connection.close(promise: nil)
    }
}
