import Foundation

/// Finds and reads the kubeconfig the way kubectl does.
///
/// Order: an explicit `--kubeconfig` path; else every file in `KUBECONFIG` (merged, missing
/// files skipped); else `~/.kube/config`; else, inside a pod, the service account.
public struct KubeconfigLoader: Sendable {
    public var environment: [String: String]
    /// Where a pod's service account is mounted; replaceable for tests.
    public var serviceAccountDirectory: String

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = InClusterConfig.defaultDirectory
    ) {
        self.environment = environment
        self.serviceAccountDirectory = serviceAccountDirectory
    }

    /// Reads the merged kubeconfig, or nil when there is none (so the caller may try in-cluster).
    public func load(explicitPath: String? = nil) throws(KubeconfigError) -> Kubeconfig? {
        if let explicitPath {
            guard FileManager.default.fileExists(atPath: explicitPath) else { throw .fileNotFound(path: explicitPath) }
            return try read(explicitPath)
        }
        if let variable = environment["KUBECONFIG"], !variable.isEmpty {
            var merged: Kubeconfig?
            for path in variable.split(separator: ":").map(String.init) where FileManager.default.fileExists(atPath: path) {
                let config = try read(path)
                if merged == nil { merged = config } else { merged?.merge(config) }
            }
            return merged
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let defaultPath = "\(home)/.kube/config"
        if FileManager.default.fileExists(atPath: defaultPath) {
            return try read(defaultPath)
        }
        return nil
    }

    /// Resolves the connection for a context (the current one when `context` is nil).
    ///
    /// With no kubeconfig at all, falls back to the pod's service account when running in a cluster.
    public func connection(explicitPath: String? = nil, context: String? = nil, namespace: String? = nil) throws(KubeconfigError) -> ClusterConnection {
        if let config = try load(explicitPath: explicitPath) {
            var connection = try config.connection(context: context)
            if let namespace { connection.namespace = namespace }
            return connection
        }
        let inCluster = InClusterConfig(environment: environment, directory: serviceAccountDirectory)
        if context == nil, var connection = try inCluster.connection() {
            if let namespace { connection.namespace = namespace }
            return connection
        }
        throw .noConfiguration
    }

    private func read(_ path: String) throws(KubeconfigError) -> Kubeconfig {
        let text: String
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .malformed(path: path, detail: "cannot read it: \(error.localizedDescription)")
        }
        guard let decoded = String(data: data, encoding: .utf8) else { throw .malformed(path: path, detail: "it is not text (not UTF-8)") }
        text = decoded
        return try Kubeconfig.parse(text, source: path, directory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }
}

extension Kubeconfig {
    /// Resolves a context into everything needed to talk to its cluster.
    public func connection(context requested: String? = nil) throws(KubeconfigError) -> ClusterConnection {
        guard let contextName = requested ?? currentContext else { throw .noCurrentContext(sources: sources) }
        guard let context = contexts[contextName] else {
            throw .contextNotFound(name: contextName, available: Array(contexts.keys), sources: sources)
        }
        guard let cluster = clusters[context.cluster] else { throw .clusterNotFound(name: context.cluster, context: contextName) }
        guard let user = users[context.user] else { throw .userNotFound(name: context.user, context: contextName) }
        guard let server = URL(string: cluster.server), let scheme = server.scheme, ["http", "https"].contains(scheme), server.host != nil else {
            throw .invalidServer(server: cluster.server)
        }

        var tls = ClusterConnection.TLS()
        tls.insecureSkipVerify = cluster.insecureSkipTLSVerify ?? false
        tls.serverName = cluster.tlsServerName
        tls.certificateAuthorityPEM = try pemBytes(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority)
        if let certificate = try pemBytes(data: user.clientCertificateData, file: user.clientCertificate),
            let key = try pemBytes(data: user.clientKeyData, file: user.clientKey)
        {
            tls.clientIdentity = .init(certificatePEM: certificate, keyPEM: key)
        }

        let authentication: ClusterConnection.Authentication
        if let exec = user.exec {
            authentication = .exec(exec)
        } else if let token = user.token, !token.isEmpty {
            authentication = .bearerToken(token)
        } else if let tokenFile = user.tokenFile {
            authentication = .tokenFile(tokenFile)
        } else if let username = user.username, let password = user.password {
            authentication = .basic(username: username, password: password)
        } else {
            authentication = .none
        }
        return ClusterConnection(
            server: server, tls: tls, authentication: authentication,
            namespace: context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            contextName: contextName, userName: context.user
        )
    }

    private func pemBytes(data: String?, file: String?) throws(KubeconfigError) -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw .malformed(path: sources.joined(separator: ":"), detail: "a *-data field is not valid base64")
            }
            return Array(decoded)
        }
        if let file {
            do {
                return Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw .unreadableCredential(path: file, detail: error.localizedDescription)
            }
        }
        return nil
    }
}
