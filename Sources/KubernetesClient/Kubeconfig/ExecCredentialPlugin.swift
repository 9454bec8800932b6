import Foundation

/// Credentials returned by an exec plugin (`client.authentication.k8s.io/v1` or `v1beta1`).
public struct ExecCredential: Sendable, Equatable {
    public var token: String?
    public var clientIdentity: ClusterConnection.TLS.ClientIdentity?
    /// When the plugin said the credential stops working; nil means "until the server rejects it".
    public var expiration: Date?

    public init(token: String? = nil, clientIdentity: ClusterConnection.TLS.ClientIdentity? = nil, expiration: Date? = nil) {
        self.token = token
        self.clientIdentity = clientIdentity
        self.expiration = expiration
    }
}

/// Runs a kubeconfig exec plugin and caches what it returns until it expires.
public actor ExecCredentialPlugin {
    public enum Failure: Error, CustomStringConvertible {
        case notFound(command: String)
        case failed(command: String, status: Int32, stderr: String)
        case invalidOutput(command: String, detail: String)

        public var description: String {
            switch self {
            case .notFound(let command):
                return "exec credential plugin \"\(command)\" not found: install it or fix users[].user.exec.command in the kubeconfig"
            case .failed(let command, let status, let stderr):
                let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                return "exec credential plugin \"\(command)\" exited with status \(status)\(detail.isEmpty ? "" : ": \(detail)")"
            case .invalidOutput(let command, let detail):
                return "exec credential plugin \"\(command)\" printed no valid ExecCredential: \(detail)"
            }
        }
    }

    private let config: Kubeconfig.ExecConfig
    private let environment: [String: String]
    private var cached: ExecCredential?

    public init(config: Kubeconfig.ExecConfig, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.environment = environment
    }

    /// The current credential, running the plugin when there is none or it has expired.
    public func credential(now: Date = Date()) async throws -> ExecCredential {
        if let cached, cached.expiration.map({ $0 > now.addingTimeInterval(10) }) ?? true {
            return cached
        }
        let fresh = try await run()
        cached = fresh
        return fresh
    }

    /// Forgets the cached credential, e.g. after the server answered 401.
    public func invalidate() {
        cached = nil
    }

    private func run() async throws -> ExecCredential {
        guard let executable = resolveExecutable() else { throw Failure.notFound(command: config.command) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = config.args ?? []
        var env = environment
        for variable in config.env ?? [] { env[variable.name] = variable.value }
        env["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(config.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: Failure.notFound(command: config.command))
            }
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0 else { throw Failure.failed(command: config.command, status: status, stderr: errors) }
        return try parse(output)
    }

    private func parse(_ output: Data) throws -> ExecCredential {
        let document: JSONValue
        do {
            document = try JSONValue.parse(output)
        } catch {
            throw Failure.invalidOutput(command: config.command, detail: "not JSON")
        }
        guard document["kind"]?.stringValue == "ExecCredential", let status = document["status"] else {
            throw Failure.invalidOutput(command: config.command, detail: "expected kind ExecCredential with a status")
        }
        var credential = ExecCredential()
        credential.token = status["token"]?.stringValue
        if let certificate = status["clientCertificateData"]?.stringValue, let key = status["clientKeyData"]?.stringValue {
            credential.clientIdentity = .init(certificatePEM: Array(certificate.utf8), keyPEM: Array(key.utf8))
        }
        if let expiration = status["expirationTimestamp"]?.stringValue {
            credential.expiration = Timestamp.parse(expiration)
        }
        guard credential.token != nil || credential.clientIdentity != nil else {
            throw Failure.invalidOutput(command: config.command, detail: "status has neither token nor clientCertificateData/clientKeyData")
        }
        return credential
    }

    private func resolveExecutable() -> String? {
        if config.command.contains("/") {
            return FileManager.default.isExecutableFile(atPath: config.command) ? config.command : nil
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(config.command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
