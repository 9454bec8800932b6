import Foundation
import Testing

@testable import KubernetesClient

/// A folder for one test's files, removed afterwards.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-client-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

@Suite struct KubeconfigTests {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    private func config(users: String, current: String = "main", extraContexts: String = "") -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: \(current)
        clusters:
        - name: c
          cluster:
            server: https://127.0.0.1:6443
            certificate-authority-data: \(Data(pem.utf8).base64EncodedString())
        contexts:
        - name: main
          context: {cluster: c, user: u, namespace: team-a}
        \(extraContexts)
        users:
        - name: u
          user:
        \(users)
        """
    }

    @Test func readsClientCertificateAndKeyData() throws {
        let text = config(users: "    client-certificate-data: \(Data("CERT".utf8).base64EncodedString())\n    client-key-data: \(Data("KEY".utf8).base64EncodedString())")
        let connection = try Kubeconfig.parse(text, source: "test", directory: nil).connection()
        #expect(connection.server.absoluteString == "https://127.0.0.1:6443")
        #expect(connection.namespace == "team-a")
        #expect(connection.tls.certificateAuthorityPEM == Array(pem.utf8))
        #expect(connection.tls.clientIdentity == .init(certificatePEM: Array("CERT".utf8), keyPEM: Array("KEY".utf8)))
        #expect(connection.authentication == .none)
    }

    @Test func readsCertificateFilesRelativeToTheKubeconfig() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("certs/ca.crt", pem)
        try folder.write("certs/me.crt", "CERT")
        try folder.write("certs/me.key", "KEY")
        let path = try folder.write("config", """
            apiVersion: v1
            kind: Config
            current-context: main
            clusters:
            - name: c
              cluster: {server: "https://10.0.0.1", certificate-authority: certs/ca.crt}
            contexts:
            - name: main
              context: {cluster: c, user: u}
            users:
            - name: u
              user: {client-certificate: certs/me.crt, client-key: certs/me.key}
            """)
        let connection = try KubeconfigLoader(environment: [:]).connection(explicitPath: path)
        #expect(connection.tls.certificateAuthorityPEM == Array(pem.utf8))
        #expect(connection.tls.clientIdentity?.keyPEM == Array("KEY".utf8))
        #expect(connection.namespace == "default")
    }

    @Test func readsBearerToken() throws {
        let connection = try Kubeconfig.parse(config(users: "    token: abc123"), source: "t", directory: nil).connection()
        #expect(connection.authentication == .bearerToken("abc123"))
    }

    @Test func readsTokenFileEachTimeItIsUsed() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let tokenFile = try folder.write("token", "first\n")
        var connection = try Kubeconfig.parse(config(users: "    tokenFile: \(tokenFile)"), source: "t", directory: nil).connection()
        #expect(connection.authentication == .tokenFile(tokenFile))
        connection.server = URL(string: "http://127.0.0.1:6443")!
        let source = CredentialSource(connection: connection)
        #expect(try await source.prepare().authorization == "Bearer first")
        try folder.write("token", "rotated\n")
        #expect(try await source.prepare().authorization == "Bearer rotated")
    }

    @Test func readsInsecureSkipTLSVerify() throws {
        let text = """
            clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            users: [{name: u, user: {username: admin, password: secret}}]
            current-context: x
            """
        let connection = try Kubeconfig.parse(text, source: "t", directory: nil).connection()
        #expect(connection.tls.insecureSkipVerify)
        #expect(connection.authentication == .basic(username: "admin", password: "secret"))
    }

    @Test(arguments: ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
    func readsExecPluginOfEitherVersion(_ apiVersion: String) throws {
        let users = """
                exec:
                  apiVersion: \(apiVersion)
                  command: ./plugin
                  args: [--cluster, prod]
                  env: [{name: MODE, value: test}]
            """
        let connection = try Kubeconfig.parse(config(users: users), source: "t", directory: "/opt/kube").connection()
        guard case .exec(let exec) = connection.authentication else {
            Issue.record("expected an exec plugin, got \(connection.authentication)")
            return
        }
        #expect(exec.apiVersion == apiVersion)
        #expect(exec.command == "/opt/kube/plugin")
        #expect(exec.args == ["--cluster", "prod"])
        #expect(exec.env == [.init(name: "MODE", value: "test")])
    }

    @Test func mergesKubeconfigFilesFirstDefinitionWinning() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let first = try folder.write("one", """
            clusters: [{name: c, cluster: {server: "https://first:1"}}]
            contexts: [{name: a, context: {cluster: c, user: u}}]
            users: [{name: u, user: {token: one}}]
            """)
        let second = try folder.write("two", """
            current-context: b
            clusters: [{name: c, cluster: {server: "https://second:1"}}, {name: d, cluster: {server: "https://d:1"}}]
            contexts: [{name: b, context: {cluster: d, user: u, namespace: other}}]
            users: [{name: u, user: {token: two}}]
            """)
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first):/does/not/exist:\(second)"])
        let current = try loader.connection()
        #expect(current.contextName == "b")
        #expect(current.server.absoluteString == "https://d:1")
        #expect(current.authentication == .bearerToken("one"))
        #expect(try loader.connection(context: "a").server.absoluteString == "https://first:1")
        #expect(try loader.connection(context: "a", namespace: "override").namespace == "override")
    }

    @Test func fallsBackToInClusterServiceAccount() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("token", "pod-token")
        try folder.write("ca.crt", pem)
        try folder.write("namespace", "team-b\n")
        let loader = KubeconfigLoader(
            environment: ["HOME": folder.url.path, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: folder.url.path
        )
        let connection = try loader.connection()
        #expect(connection.server.absoluteString == "https://10.96.0.1:443")
        #expect(connection.namespace == "team-b")
        #expect(connection.authentication == .tokenFile("\(folder.url.path)/token"))
        #expect(connection.tls.certificateAuthorityPEM == Array(pem.utf8))
    }

    @Test func unknownContextNamesTheChoices() throws {
        let parsed = try Kubeconfig.parse(config(users: "    token: x"), source: "/home/me/.kube/config", directory: nil)
        #expect(throws: KubeconfigError.self) { try parsed.connection(context: "prod") }
        do {
            _ = try parsed.connection(context: "prod")
        } catch {
            #expect(error.description == "context \"prod\" not found in kubeconfig /home/me/.kube/config (available: main)")
        }
    }

    @Test func missingExplicitFileIsAnError() {
        #expect(throws: KubeconfigError.fileNotFound(path: "/nope/config")) {
            try KubeconfigLoader(environment: [:]).connection(explicitPath: "/nope/config")
        }
    }

    @Test func malformedFileSaysWhichFile() throws {
        #expect(throws: KubeconfigError.self) { try Kubeconfig.parse("clusters: [oops", source: "/tmp/bad", directory: nil) }
    }
}
