import KubernetesClient

/// The object kbridge takes over for a service: the controller of its pods, or the pod itself.
public struct WorkloadReference: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case deployment = "Deployment"
        case statefulSet = "StatefulSet"
        case pod = "Pod"

        public var resourceType: ResourceType {
            switch self {
            case .deployment: return .deployments
            case .statefulSet: return .statefulSets
            case .pod: return .pods
            }
        }
    }

    public var kind: Kind
    public var name: String
    public var namespace: String

    public init(kind: Kind, name: String, namespace: String) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }

    public var description: String { "\(kind.rawValue.lowercased()) \"\(name)\" in namespace \"\(namespace)\"" }
}
