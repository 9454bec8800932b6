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

    public static func open(client: KubernetesClient, pod: String, namespace: String, ports: AgentPorts, token: String) async throws(SessionError) -> SessionTunnel {
        let configuration = TunnelConfiguration(token: token)
        let control: TunnelDialer
        do {
            control = try await client.portForwardChannel(pod: pod, namespace: namespace, port: ports.control) { channel in
                TunnelDialer.configure(channel, configuration: configuration)
            }
        } catch {
            throw .cluster(error)
        }
        do {
            let inbound = try await client.portForwardChannel(pod: pod, namespace: namespace, port: ports.inbound) { channel in
                TunnelListener.configure(channel, configuration: configuration)
            }
            return SessionTunnel(control: control, inbound: inbound)
        } catch {
            await control.close()
            throw .cluster(error)
        }
    }

    /// The agent's environment: what the app saw in the pod, service variables included.
    public func environment() async throws(SessionError) -> [String: String] {
        do {
            let text = try await control.open(BridgeAgent.environmentTarget).executeThenClose { inbound, outbound in
                outbound.finish()
                var text = ""
                for try await bytes in inbound { text += String(buffer: bytes) }
                return text
            }
            return try AgentEnvironmentReport.parse(text)
        } catch let error as SessionError {
            throw error
        } catch {
            throw .tunnelLost(detail: "the agent did not report its environment: \(error)")
        }
    }

    /// A connection to `host:port` as seen from inside the cluster.
    public func dial(host: String, port: Int) async throws -> TunnelStream {
        try await control.open("\(host):\(port)")
    }

    /// Connects every inbound stream (`inbound:PORT`) to `localhost:portMap[PORT]` (the same port
    /// when unmapped) until the inbound connection closes. The local connection is made before
    /// the stream is accepted, so protocols where the server speaks first work, and a local port
    /// nobody listens on makes the agent close the cluster's connection at once.
    public func serveInbound(portMap: [Int: Int], onConnection: @escaping @Sendable (_ remote: Int, _ local: Int, _ connected: Bool) -> Void) async {
        try? await inbound.serve { request in
            guard request.target.hasPrefix("inbound:"), let remote = Int(request.target.dropFirst("inbound:".count)) else {
                await request.refuse(status: "400")
                return
            }
            let local = portMap[remote] ?? remote
            guard let connection = await Self.connectLocally(port: local) else {
                onConnection(remote, local, false)
                await request.refuse(status: "502")
                return
            }
            onConnection(remote, local, true)
            await request.accept()
            await TunnelRelay.splice(request.stream, connection)
        }
    }

    /// `localhost` as a program may bind it: IPv4 first, then IPv6.
    static func connectLocally(port: Int) async -> TunnelRelay.Connection? {
        for host in ["127.0.0.1", "::1"] {
            if let connection = try? await TunnelRelay.connect(host: host, port: port) { return connection }
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
}
