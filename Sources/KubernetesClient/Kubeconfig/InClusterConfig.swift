import Foundation

/// The connection a pod gets from its service account: `KUBERNETES_SERVICE_HOST`/`PORT`,
/// the mounted token (re-read on use) and CA, and the pod's namespace.
public struct InClusterConfig: Sendable {
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var environment: [String: String]
    public var directory: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, directory: String = InClusterConfig.defaultDirectory) {
        self.environment = environment
        self.directory = directory
    }

    /// The in-cluster connection, or nil when not running in a pod.
    public func connection() throws(KubeconfigError) -> ClusterConnection? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"],
            FileManager.default.fileExists(atPath: "\(directory)/token")
        else { return nil }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else { throw .invalidServer(server: "\(host):\(port)") }
        var tls = ClusterConnection.TLS()
        if let ca = FileManager.default.contents(atPath: "\(directory)/ca.crt") {
            tls.certificateAuthorityPEM = Array(ca)
        }
        let namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return ClusterConnection(
            server: server, tls: tls, authentication: .tokenFile("\(directory)/token"),
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            contextName: "in-cluster", userName: "serviceaccount"
        )
    }
}
