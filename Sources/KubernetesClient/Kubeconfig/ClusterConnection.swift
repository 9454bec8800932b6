import Foundation

/// Everything needed to reach one cluster as one user: the resolved form of a kubeconfig context.
public struct ClusterConnection: Sendable, Equatable {
    public struct TLS: Sendable, Equatable {
        public struct ClientIdentity: Sendable, Equatable {
            public var certificatePEM: [UInt8]
            public var keyPEM: [UInt8]

            public init(certificatePEM: [UInt8], keyPEM: [UInt8]) {
                self.certificatePEM = certificatePEM
                self.keyPEM = keyPEM
            }
        }
        public var certificateAuthorityPEM: [UInt8]?
        public var insecureSkipVerify = false
        public var serverName: String?
        public var clientIdentity: ClientIdentity?

        public init() {}
    }

    public enum Authentication: Sendable, Equatable {
        case none
        case bearerToken(String)
        /// A token re-read from this file, as kubectl does, so rotated tokens keep working.
        case tokenFile(String)
        case basic(username: String, password: String)
        case exec(Kubeconfig.ExecConfig)
    }

    public var server: URL
    public var tls: TLS
    public var authentication: Authentication
    /// The namespace of the context (or the one given on the command line); `default` if none.
    public var namespace: String
    public var contextName: String
    public var userName: String

    public init(
        server: URL, tls: TLS = TLS(), authentication: Authentication = .none, namespace: String = "default",
        contextName: String = "", userName: String = ""
    ) {
        self.server = server
        self.tls = tls
        self.authentication = authentication
        self.namespace = namespace
        self.contextName = contextName
        self.userName = userName
    }

    /// `https://host:port` without a trailing slash, for messages and request URLs.
    public var serverDescription: String {
        var text = server.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
