import BridgeTunnel

/// What a session's guard gives back when the session's machine goes away.
public enum GuardedHold: Sendable, Equatable {
    /// A workload that runs the agent in place of the app's container; the digest is the
    /// SHA-256 of the original the session saved, checked before it is applied.
    case takeover(WorkloadReference, originalDigest: String)
    /// A copy of the workload's pod that runs the agent (isolation mode), in the guard's namespace.
    case clone(pod: String)

    /// The session's part the give-back names for it.
    var holding: SessionLifecycle.Holding {
        switch self {
        case .takeover: return .takeover
        case .clone: return .clone
        }
    }

    /// In words, for the person and the guard's log.
    public var description: String {
        switch self {
        case .takeover(let workload, _): return workload.description
        case .clone(let pod): return "the session's copy, pod \(pod)"
        }
    }
}

/// The guard's command line, written by `SessionGuard` into its Job, passed on by
/// `kbridge-agent guard` and read by `kbridge-guard`:
/// `guard --session ID --ttl 30 --kind Deployment --name api --original-digest SHA256` for a
/// take-over, `guard --session ID --ttl 30 --clone POD` for a copy. The namespace is the guard
/// pod's own; the digest is what it checks the saved original against before applying it (its
/// arguments cannot change once it runs).
public struct GuardArguments: Sendable, Equatable {
    public static let command = AgentContract.guardCommand

    public var session: String
    public var ttl: Duration
    /// What it gives back; a take-over's workload has no namespace here (`hold(namespace:)`).
    var held: GuardedHold

    public init(session: String, hold: GuardedHold, ttl: Duration) {
        self.session = session
        self.ttl = ttl
        if case .takeover(let workload, let digest) = hold {
            self.held = .takeover(WorkloadReference(kind: workload.kind, name: workload.name, namespace: ""), originalDigest: digest)
        } else {
            self.held = hold
        }
    }

    /// What the guard gives back, in `namespace` (its pod's).
    public func hold(namespace: String) -> GuardedHold {
        guard case .takeover(let workload, let digest) = held else { return held }
        return .takeover(WorkloadReference(kind: workload.kind, name: workload.name, namespace: namespace), originalDigest: digest)
    }

    public var encoded: [String] {
        var arguments = [Self.command, "--session", session, "--ttl", String(ttl.components.seconds)]
        switch held {
        case .takeover(let workload, let digest): arguments += ["--kind", workload.kind.rawValue, "--name", workload.name, "--original-digest", digest]
        case .clone(let pod): arguments += ["--clone", pod]
        }
        return arguments
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
            guard ["--session", "--kind", "--name", "--ttl", "--original-digest", "--clone"].contains(flag) else { throw Invalid(message: "unknown argument \(flag)") }
            guard index + 1 < arguments.count else { throw Invalid(message: "\(flag) needs a value") }
            values[flag] = arguments[index + 1]
            index += 2
        }
        guard let session = values["--session"], !session.isEmpty else { throw Invalid(message: "--session is required") }
        guard let seconds = values["--ttl"].flatMap(Int64.init), seconds > 0 else { throw Invalid(message: "--ttl must be a number of seconds above 0") }
        if let pod = values["--clone"] {
            guard !pod.isEmpty, values["--kind"] == nil, values["--name"] == nil, values["--original-digest"] == nil else {
                throw Invalid(message: "--clone names a pod, and goes without --kind, --name and --original-digest")
            }
            return GuardArguments(session: session, hold: .clone(pod: pod), ttl: .seconds(seconds))
        }
        guard let kind = values["--kind"].flatMap(WorkloadReference.Kind.init(rawValue:)) else {
            throw Invalid(message: "--kind must be Deployment, StatefulSet or Pod")
        }
        guard let name = values["--name"], !name.isEmpty else { throw Invalid(message: "--name is required") }
        guard let digest = values["--original-digest"], digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw Invalid(message: "--original-digest must be a SHA-256 in hex")
        }
        return GuardArguments(session: session, hold: .takeover(WorkloadReference(kind: kind, name: name, namespace: ""), originalDigest: digest), ttl: .seconds(seconds))
    }
}
