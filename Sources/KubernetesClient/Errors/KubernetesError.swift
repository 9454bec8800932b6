import Foundation

/// What a request was doing, so that an error can say it in a person's words.
public struct RequestSummary: Sendable, Hashable {
    public var verb: String
    public var resource: ResourceType?
    public var name: String?
    public var namespace: String?
    public var subresource: String?
    public var server: String

    public init(verb: String, resource: ResourceType?, name: String? = nil, namespace: String? = nil, subresource: String? = nil, server: String) {
        self.verb = verb
        self.resource = resource
        self.name = name
        self.namespace = namespace
        self.subresource = subresource
        self.server = server
    }
}

/// Every way a call to the Kubernetes API can fail, each printed as one line a person can act on.
public enum KubernetesError: Error, CustomStringConvertible, Sendable {
    /// The server answered with a `Status` error.
    case api(APIStatus, RequestSummary)
    /// A namespaced request named a namespace that does not exist.
    case namespaceNotFound(String)
    /// No connection to the server could be made.
    case unreachable(server: String, reason: String)
    /// The kubeconfig could not be used.
    case configuration(KubeconfigError)
    /// The credentials could not be obtained (exec plugin, token file).
    case credentials(String)
    /// The server answered something that is not the Kubernetes API.
    case unexpectedResponse(status: Int, detail: String, RequestSummary)
    /// An object could not be turned into a request body.
    case unencodable(String)
    /// A watch was asked to resume from a version the server no longer has (410 Gone).
    case expired(RequestSummary)
    /// A port-forward to a pod could not be opened, for `reason`.
    case portForward(pod: String, namespace: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .api(let status, let context):
            return Self.describe(status, context)
        case .namespaceNotFound(let namespace):
            return "namespace \"\(namespace)\" not found: check -n/--namespace or the context's namespace"
        case .unreachable(let server, let reason):
            return "cannot reach \(server): \(reason)"
        case .configuration(let error):
            return error.description
        case .credentials(let detail):
            return detail
        case .unexpectedResponse(let status, let detail, let context):
            return "\(context.server) answered \(status) to \(context.verb) \(context.resource?.qualifiedName ?? "request"): \(detail)"
        case .unencodable(let detail):
            return detail
        case .portForward(let pod, let namespace, let port, let reason):
            return "port-forward to port \(port) of pod \"\(pod)\" in namespace \"\(namespace)\" failed: \(reason)"
        case .expired(let context):
            return "the watch on \(context.resource?.qualifiedName ?? "resources") expired (410 Gone); list again"
        }
    }

    /// The HTTP status code the server sent, if this error came from it.
    public var statusCode: Int? {
        switch self {
        case .api(let status, _): return status.code
        case .expired: return 410
        case .namespaceNotFound: return 404
        default: return nil
        }
    }

    public var reason: String? {
        if case .api(let status, _) = self { return status.reason }
        return nil
    }

    public var isNotFound: Bool { statusCode == 404 }
    public var isConflict: Bool { reason == "Conflict" }
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    public var isForbidden: Bool { statusCode == 403 }
    public var isUnauthorized: Bool { statusCode == 401 }
    public var isGone: Bool { statusCode == 410 }
    /// A failed JSON-patch `test`, or any other 422.
    public var isInvalid: Bool { statusCode == 422 }

    private static func describe(_ status: APIStatus, _ context: RequestSummary) -> String {
        let kind = context.resource.map { $0.kind.lowercased() } ?? "object"
        let place = context.namespace.map { " in namespace \"\($0)\"" } ?? ""
        switch status.reason {
        case "NotFound" where context.name != nil && context.subresource == nil:
            return "\(kind) \"\(context.name ?? "")\" not found\(place)"
        case "AlreadyExists":
            return "\(kind) \"\(status.details?.name ?? context.name ?? "")\" already exists\(place)"
        case "Forbidden":
            let who = status.message.flatMap(userInMessage) ?? "you"
            let what = context.resource.map { [$0.qualifiedName, context.subresource].compactMap { $0 }.joined(separator: "/") } ?? "this"
            guard let namespace = context.namespace else {
                return "forbidden: \(who) cannot \(context.verb) \(what) (ask a cluster admin for a ClusterRole that allows it)"
            }
            // RBAC answers before existence: a namespace nobody gave you access to may not exist at
            // all, and a namespace-scoped user cannot find out. Reads come first, so say it there.
            guard ["get", "list", "watch"].contains(context.verb) else {
                return "forbidden: \(who) cannot \(context.verb) \(what) in namespace \"\(namespace)\" (ask a cluster admin for a Role that allows it)"
            }
            return "forbidden: \(who) cannot \(context.verb) \(what) in namespace \"\(namespace)\": either the namespace does not exist or you have no access to it there (check -n/--namespace, or ask a cluster admin for a Role)"
        case "Unauthorized":
            return "\(context.server) rejected the credentials (401 Unauthorized): the token or client certificate of the current context is wrong or expired"
        case "Conflict":
            return "\(kind) \"\(context.name ?? "")\"\(place) was changed by someone else meanwhile (409 Conflict): \(status.message ?? "")"
        default:
            return status.message ?? "\(context.verb) \(kind) failed with \(status.code) \(status.reason ?? "")"
        }
    }

    private static func userInMessage(_ message: String) -> String? {
        guard let range = message.range(of: "User \"") else { return nil }
        let rest = message[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return "user \"\(rest[..<end])\""
    }
}
