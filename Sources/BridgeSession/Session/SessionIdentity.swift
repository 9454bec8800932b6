/// A session's name and secret: the name labels what it changes in the cluster and on this
/// machine; the secret is what the CLI and the agent prove to each other on every carrier
/// connection (`TunnelHandshake`).
public struct SessionIdentity: Sendable, Hashable, Codable {
    public var id: String
    public var secret: String

    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// A fresh session: an 8-character id and a 256-bit secret.
    public static func generate() -> SessionIdentity {
        var generator = SystemRandomNumberGenerator()
        let id = String(UInt32.random(in: .min ... .max, using: &generator), radix: 16)
        let secret = (0..<32).map { _ in
            let byte = String(UInt8.random(in: .min ... .max, using: &generator), radix: 16)
            return byte.count == 1 ? "0" + byte : byte
        }.joined()
        return SessionIdentity(id: String(repeating: "0", count: 8 - id.count) + id, secret: secret)
    }

    /// The per-session Secret that hands the secret to the agent.
    public var secretName: String { ClusterNames.session(id) }
}

/// The names kbridge writes into the cluster.
public enum ClusterNames {
    /// The name of a session's Secret and Lease.
    public static func session(_ id: String) -> String { "kbridge-session-\(id)" }
    /// On the workload: the original template (or pod) and replica count, as JSON.
    public static let originalAnnotation = "kbridge.dev/original"
    /// On the workload: the replica count someone asked for during the session, held at one
    /// while it is redirected (`ReplicaHold`) and given when the session ends.
    public static let requestedReplicasAnnotation = "kbridge.dev/replicas-requested"
    /// On the agent pod and the session's Secret: the session id.
    public static let sessionLabel = "kbridge.dev/session"
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// The Secret key that holds the session secret.
    public static let secretKey = "token"
    /// The Secret key that holds the original (as the annotation does).
    public static let originalKey = "original"
}
