import Foundation
import NIOSSL

/// Turns a `ClusterConnection` into what each request needs: a TLS configuration and an
/// `Authorization` header, running exec plugins and re-reading token files as needed.
actor CredentialSource {
    struct Prepared: Sendable {
        var tls: TLSConfiguration?
        var authorization: String?
    }

    private let connection: ClusterConnection
    private let plugin: ExecCredentialPlugin?
    private var staticTLS: TLSConfiguration?
    private var pluginIdentity: ClusterConnection.TLS.ClientIdentity?
    private var pluginTLS: TLSConfiguration?

    init(connection: ClusterConnection, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.connection = connection
        if case .exec(let config) = connection.authentication {
            plugin = ExecCredentialPlugin(config: config, environment: environment)
        } else {
            plugin = nil
        }
    }

    /// Credentials for the next request.
    func prepare() async throws(KubernetesError) -> Prepared {
        var authorization: String?
        var identity = connection.tls.clientIdentity
        switch connection.authentication {
        case .none:
            break
        case .bearerToken(let token):
            authorization = "Bearer \(token)"
        case .tokenFile(let path):
            do {
                let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                authorization = "Bearer \(token)"
            } catch {
                throw .configuration(.unreadableCredential(path: path, detail: error.localizedDescription))
            }
        case .basic(let username, let password):
            authorization = "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .exec(let config):
            guard let plugin else { throw .credentials("exec credential plugin \"\(config.command)\" was not set up") }
            do {
                let credential = try await plugin.credential()
                if let token = credential.token { authorization = "Bearer \(token)" }
                if let pluginIdentity = credential.clientIdentity { identity = pluginIdentity }
            } catch {
                throw .credentials(String(describing: error))
            }
        }
        guard connection.server.scheme == "https" else { return Prepared(tls: nil, authorization: authorization) }
        return Prepared(tls: try tlsConfiguration(identity: identity), authorization: authorization)
    }

    /// Called after a 401: an exec plugin's cached credential is dropped so the next request runs it again.
    func rejected() async {
        await plugin?.invalidate()
    }

    private func tlsConfiguration(identity: ClusterConnection.TLS.ClientIdentity?) throws(KubernetesError) -> TLSConfiguration {
        if identity == connection.tls.clientIdentity, let staticTLS { return staticTLS }
        if let identity, identity == pluginIdentity, let pluginTLS { return pluginTLS }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let authority = connection.tls.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(authority))
            }
            if let identity {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(identity.certificatePEM).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: identity.keyPEM, format: .pem))
            }
        } catch {
            throw .credentials("the certificate or key of context \"\(connection.contextName)\" is not valid PEM: \(error)")
        }
        if connection.tls.insecureSkipVerify { tls.certificateVerification = .none }
        if identity == connection.tls.clientIdentity {
            staticTLS = tls
        } else {
            pluginIdentity = identity
            pluginTLS = tls
        }
        return tls
    }
}
