/// Why a kubeconfig could not give a usable connection.
public enum KubeconfigError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case malformed(path: String, detail: String)
    case noConfiguration
    case noCurrentContext(sources: [String])
    case contextNotFound(name: String, available: [String], sources: [String])
    case clusterNotFound(name: String, context: String)
    case userNotFound(name: String, context: String)
    case unreadableCredential(path: String, detail: String)
    case invalidServer(server: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "kubeconfig \(path) does not exist"
        case .malformed(let path, let detail):
            return "kubeconfig \(path) is not valid: \(detail)"
        case .noConfiguration:
            return "no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"
        case .noCurrentContext(let sources):
            return "kubeconfig \(sources.joined(separator: ":")) has no current-context: pass --context NAME"
        case .contextNotFound(let name, let available, let sources):
            let choices = available.isEmpty ? "it defines none" : "available: \(available.sorted().joined(separator: ", "))"
            return "context \"\(name)\" not found in kubeconfig \(sources.joined(separator: ":")) (\(choices))"
        case .clusterNotFound(let name, let context):
            return "context \"\(context)\" refers to cluster \"\(name)\", which the kubeconfig does not define"
        case .userNotFound(let name, let context):
            return "context \"\(context)\" refers to user \"\(name)\", which the kubeconfig does not define"
        case .unreadableCredential(let path, let detail):
            return "cannot read \(path) named in the kubeconfig: \(detail)"
        case .invalidServer(let server):
            return "cluster server \"\(server)\" is not an http(s) URL"
        }
    }
}
