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
