import KubernetesClient

/// What a session tells the person (or the IDE) driving it.
public struct SessionEvent: Sendable {
    public enum Kind: String, Sendable {
        /// A step under way ("waiting for the agent pod").
        case progress
        /// Something the person should know that does not stop the session.
        case warning
        /// The session is up: traffic flows.
        case connected
        /// A connection from the cluster reached (or could not reach) the local port.
        case inbound
        /// Everything was given back.
        case restored
    }

    public var kind: Kind
    public var message: String
    public var fields: [String: JSONValue]

    public init(_ kind: Kind, _ message: String, fields: [String: JSONValue] = [:]) {
        self.kind = kind
        self.message = message
        self.fields = fields
    }
}
