import BridgeTunnel

/// Whatever dials cluster addresses for the local listeners: one tunnel, or the session's
/// tunnel across reconnections.
public protocol ClusterDialer: Sendable {
    func dial(host: String, port: Int) async throws -> HeldConnection
}

extension SessionTunnel: ClusterDialer {}

/// The session's current tunnel, replaced when the CLI reconnects to the agent. Connections
/// opened while it is down wait a moment for it to come back, then fail (the local process sees
/// a closed connection, as it would for a service that restarts).
public actor TunnelSupervisor: ClusterDialer {
    private var current: SessionTunnel?
    /// How long a new connection waits for a tunnel that is being re-established.
    let patience: Duration

    public init(_ tunnel: SessionTunnel, patience: Duration = .seconds(10)) {
        current = tunnel
        self.patience = patience
    }

    /// The tunnel was lost: new connections wait for `replace`.
    func lost() {
        current = nil
    }

    func replace(_ tunnel: SessionTunnel) {
        current = tunnel
    }

    public func dial(host: String, port: Int) async throws -> HeldConnection {
        let deadline = ContinuousClock.now + patience
        while current == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard let tunnel = current else { throw SessionError.tunnelLost(detail: "the connection to the agent is being re-established") }
        return try await tunnel.dial(host: host, port: port)
    }

    func close() async {
        await current?.close()
        current = nil
    }
}
