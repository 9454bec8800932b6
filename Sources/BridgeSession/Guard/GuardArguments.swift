import BridgeTunnel

/// The guard's command line, written by `SessionGuard` into its Job, passed on by
/// `kbridge-agent guard` and read by `kbridge-guard`: `guard --session ID --kind Deployment --name api --ttl 30
/// --original-digest SHA256`. The namespace is the guard pod's own; the digest is what it checks
/// the saved original against before applying it (its arguments cannot change once it runs).
public struct GuardArguments: Sendable, Equatable {
    public static let command = AgentContract.guardCommand

    public var session: String
    public var kind: WorkloadReference.Kind
    public var name: String
    public var ttl: Duration
    public var originalDigest: String

    public init(session: String, workload: WorkloadReference, ttl: Duration, originalDigest: String) {
        self.session = session
        self.kind = workload.kind
        self.name = workload.name
        self.ttl = ttl
        self.originalDigest = originalDigest
    }

    public func workload(namespace: String) -> WorkloadReference {
        WorkloadReference(kind: kind, name: name, namespace: namespace)
    }

    public var encoded: [String] {
        [Self.command, "--session", session, "--kind", kind.rawValue, "--name", name, "--ttl", String(ttl.components.seconds), "--original-digest", originalDigest]
    }

    public struct Invalid: Error, Equatable {
        public var message: String
    }

    /// Parses the arguments after `guard`.
    public static func parse(_ arguments: [String]) throws(Invalid) -> GuardArguments {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            guard ["--session", "--kind", "--name", "--ttl", "--original-digest"].contains(flag) else { throw Invalid(message: "unknown argument \(flag)") }
            guard index + 1 < arguments.count else { throw Invalid(message: "\(flag) needs a value") }
            values[flag] = arguments[index + 1]
            index += 2
        }
        guard let session = values["--session"], !session.isEmpty else { throw Invalid(message: "--session is required") }
        guard let kind = values["--kind"].flatMap(WorkloadReference.Kind.init(rawValue:)) else {
            throw Invalid(message: "--kind must be Deployment, StatefulSet or Pod")
        }
        guard let name = values["--name"], !name.isEmpty else { throw Invalid(message: "--name is required") }
        guard let seconds = values["--ttl"].flatMap(Int64.init), seconds > 0 else { throw Invalid(message: "--ttl must be a number of seconds above 0") }
        guard let digest = values["--original-digest"], digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw Invalid(message: "--original-digest must be a SHA-256 in hex")
        }
        return GuardArguments(session: session, workload: WorkloadReference(kind: kind, name: name, namespace: ""), ttl: .seconds(seconds), originalDigest: digest)
    }
}
