import Foundation
import Yams

/// The contents of one or more kubeconfig files, merged the way kubectl merges them.
///
/// Paths inside a file (certificate files, token files, exec commands) are made absolute
/// against that file's directory when it is read, so a merged config can be used from anywhere.
public struct Kubeconfig: Sendable, Equatable {
    public struct Cluster: Codable, Sendable, Equatable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }

        public init(server: String, certificateAuthorityData: String? = nil, insecureSkipTLSVerify: Bool? = nil) {
            self.server = server
            self.certificateAuthorityData = certificateAuthorityData
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
        }
    }

    public struct User: Codable, Sendable, Equatable {
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var token: String?
        public var tokenFile: String?
        public var username: String?
        public var password: String?
        public var exec: ExecConfig?

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case token
            case tokenFile
            case username
            case password
            case exec
        }

        public init(
            clientCertificateData: String? = nil, clientKeyData: String? = nil, token: String? = nil,
            tokenFile: String? = nil, exec: ExecConfig? = nil
        ) {
            self.clientCertificateData = clientCertificateData
            self.clientKeyData = clientKeyData
            self.token = token
            self.tokenFile = tokenFile
            self.exec = exec
        }
    }

    /// `users[].user.exec`: a credential plugin (client.authentication.k8s.io).
    public struct ExecConfig: Codable, Sendable, Equatable {
        public struct EnvVar: Codable, Sendable, Equatable {
            public var name: String
            public var value: String
        }
        public var apiVersion: String
        public var command: String
        public var args: [String]?
        public var env: [EnvVar]?
        public var interactiveMode: String?
        public var provideClusterInfo: Bool?

        public init(apiVersion: String, command: String, args: [String]? = nil, env: [EnvVar]? = nil) {
            self.apiVersion = apiVersion
            self.command = command
            self.args = args
            self.env = env
        }
    }

    public struct Context: Codable, Sendable, Equatable {
        public var cluster: String
        public var user: String
        public var namespace: String?

        public init(cluster: String, user: String, namespace: String? = nil) {
            self.cluster = cluster
            self.user = user
            self.namespace = namespace
        }
    }

    public var clusters: [String: Cluster] = [:]
    public var users: [String: User] = [:]
    public var contexts: [String: Context] = [:]
    public var currentContext: String?
    /// The files this config was read from, for messages.
    public var sources: [String] = []

    public init() {}
}

// MARK: - Reading and writing

extension Kubeconfig {
    private struct Named<Value: Codable>: Codable {
        var name: String
        var value: Value?

        enum CodingKeys: String, CodingKey { case name, cluster, user, context }

        init(name: String, value: Value, key: CodingKeys) {
            self.name = name
            self.value = value
            self.key = key
        }

        private var key: CodingKeys = .cluster

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            for key in [CodingKeys.cluster, .user, .context] where container.contains(key) {
                value = try container.decode(Value.self, forKey: key)
                self.key = key
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encodeIfPresent(value, forKey: key)
        }
    }

    private struct File: Codable {
        var apiVersion: String? = "v1"
        var kind: String? = "Config"
        var clusters: [Named<Cluster>]?
        var users: [Named<User>]?
        var contexts: [Named<Context>]?
        var currentContext: String?

        enum CodingKeys: String, CodingKey {
            case apiVersion, kind, clusters, users, contexts
            case currentContext = "current-context"
        }
    }

    /// Parses one kubeconfig document. Relative paths are resolved against `directory`.
    public static func parse(_ text: String, source: String, directory: String?) throws(KubeconfigError) -> Kubeconfig {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch {
            throw .malformed(path: source, detail: YAMLProblem.describe(error))
        }
        var config = Kubeconfig()
        config.sources = [source]
        config.currentContext = file.currentContext.flatMap { $0.isEmpty ? nil : $0 }
        for entry in file.clusters ?? [] {
            guard var cluster = entry.value else { continue }
            cluster.certificateAuthority = cluster.certificateAuthority.map { absolute($0, in: directory) }
            if config.clusters[entry.name] == nil { config.clusters[entry.name] = cluster }
        }
        for entry in file.users ?? [] {
            var user = entry.value ?? User()
            user.clientCertificate = user.clientCertificate.map { absolute($0, in: directory) }
            user.clientKey = user.clientKey.map { absolute($0, in: directory) }
            user.tokenFile = user.tokenFile.map { absolute($0, in: directory) }
            if var exec = user.exec, exec.command.contains("/") {
                exec.command = absolute(exec.command, in: directory)
                user.exec = exec
            }
            if config.users[entry.name] == nil { config.users[entry.name] = user }
        }
        for entry in file.contexts ?? [] {
            guard let context = entry.value else { continue }
            if config.contexts[entry.name] == nil { config.contexts[entry.name] = context }
        }
        return config
    }

    /// Adds what `other` defines and this config does not: the first file to set a name wins, as in kubectl.
    public mutating func merge(_ other: Kubeconfig) {
        clusters.merge(other.clusters) { mine, _ in mine }
        users.merge(other.users) { mine, _ in mine }
        contexts.merge(other.contexts) { mine, _ in mine }
        if currentContext == nil { currentContext = other.currentContext }
        sources += other.sources
    }

    /// The YAML text of this config, as `kubectl config view --raw` would print it.
    public func yaml() throws -> String {
        let file = File(
            clusters: clusters.sorted { $0.key < $1.key }.map { Named(name: $0.key, value: $0.value, key: .cluster) },
            users: users.sorted { $0.key < $1.key }.map { Named(name: $0.key, value: $0.value, key: .user) },
            contexts: contexts.sorted { $0.key < $1.key }.map { Named(name: $0.key, value: $0.value, key: .context) },
            currentContext: currentContext
        )
        return try YAMLEncoder().encode(file)
    }

    private static func absolute(_ path: String, in directory: String?) -> String {
        guard !path.hasPrefix("/"), let directory else { return path }
        return URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }
}

extension Kubeconfig.User {
    public init() {}
}
