/// A session's name and secret: the name labels what it changes in the cluster and on this
/// machine; the token is checked on every tunnel stream.
public struct SessionIdentity: Sendable, Hashable, Codable {
    public var id: String
    public var token: String

    public init(id: String, token: String) {
        self.id = id
        self.token = token
    }

    /// A fresh session: an 8-character id and a 128-bit token.
    public static func generate() -> SessionIdentity {
        var generator = SystemRandomNumberGenerator()
        let id = String(UInt32.random(in: .min ... .max, using: &generator), radix: 16)
        let token = (0..<2).map { _ in String(UInt64.random(in: .min ... .max, using: &generator), radix: 16) }.joined()
        return SessionIdentity(id: String(repeating: "0", count: 8 - id.count) + id, token: token)
    }

    /// The per-session Secret that hands the token to the agent.
    public var secretName: String { "kbridge-session-\(id)" }
}

/// The names kbridge writes into the cluster.
public enum ClusterNames {
    /// On the workload: the original template (or pod) and replica count, as JSON.
    public static let originalAnnotation = "kbridge.dev/original"
    /// On the agent pod and the session's Secret: the session id.
    public static let sessionLabel = "kbridge.dev/session"
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// The Secret key that holds the session token.
    public static let tokenKey = "token"
    /// The agent container's variable that receives the token.
    public static let tokenVariable = "KBRIDGE_SESSION_TOKEN"
}
