/// Identifies a kind of Kubernetes object and where it lives in the API.
public struct ResourceType: Hashable, Sendable, CustomStringConvertible {
    /// API group; empty for the core group.
    public let group: String
    public let version: String
    /// Plural, lower-case resource name as it appears in paths (`deployments`).
    public let name: String
    public let kind: String
    public let namespaced: Bool

    public init(group: String, version: String, name: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.name = name
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `apps/v1`, or `v1` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// How `kubectl` names it in messages: `deployments.apps`, or `services` for the core group.
    public var qualifiedName: String { group.isEmpty ? name : "\(name).\(group)" }

    /// The path prefix of this group version: `/api/v1` or `/apis/apps/v1`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The collection path, in a namespace when the resource is namespaced.
    public func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace {
            return "\(groupVersionPath)/namespaces/\(namespace)/\(name)"
        }
        return "\(groupVersionPath)/\(name)"
    }

    /// The path of one object, optionally of one of its subresources.
    public func objectPath(name objectName: String, namespace: String?, subresource: String? = nil) -> String {
        let base = "\(collectionPath(namespace: namespace))/\(objectName)"
        return subresource.map { "\(base)/\($0)" } ?? base
    }

    public var description: String { qualifiedName }
}

extension ResourceType {
    public static let namespaces = ResourceType(group: "", version: "v1", name: "namespaces", kind: "Namespace", namespaced: false)
    public static let nodes = ResourceType(group: "", version: "v1", name: "nodes", kind: "Node", namespaced: false)
    public static let pods = ResourceType(group: "", version: "v1", name: "pods", kind: "Pod", namespaced: true)
    public static let services = ResourceType(group: "", version: "v1", name: "services", kind: "Service", namespaced: true)
    public static let endpoints = ResourceType(group: "", version: "v1", name: "endpoints", kind: "Endpoints", namespaced: true)
    public static let configMaps = ResourceType(group: "", version: "v1", name: "configmaps", kind: "ConfigMap", namespaced: true)
    public static let secrets = ResourceType(group: "", version: "v1", name: "secrets", kind: "Secret", namespaced: true)
    public static let serviceAccounts = ResourceType(group: "", version: "v1", name: "serviceaccounts", kind: "ServiceAccount", namespaced: true)
    public static let events = ResourceType(group: "", version: "v1", name: "events", kind: "Event", namespaced: true)
    public static let deployments = ResourceType(group: "apps", version: "v1", name: "deployments", kind: "Deployment", namespaced: true)
    public static let replicaSets = ResourceType(group: "apps", version: "v1", name: "replicasets", kind: "ReplicaSet", namespaced: true)
    public static let statefulSets = ResourceType(group: "apps", version: "v1", name: "statefulsets", kind: "StatefulSet", namespaced: true)
    public static let ingresses = ResourceType(group: "networking.k8s.io", version: "v1", name: "ingresses", kind: "Ingress", namespaced: true)
    public static let jobs = ResourceType(group: "batch", version: "v1", name: "jobs", kind: "Job", namespaced: true)
    public static let leases = ResourceType(group: "coordination.k8s.io", version: "v1", name: "leases", kind: "Lease", namespaced: true)
    public static let roles = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", name: "roles", kind: "Role", namespaced: true)
    public static let roleBindings = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", name: "rolebindings", kind: "RoleBinding", namespaced: true)
}

extension ResourceType {
    /// EndpointSlices as servers since 1.21 serve them.
    public static let endpointSlices = ResourceType(group: "discovery.k8s.io", version: "v1", name: "endpointslices", kind: "EndpointSlice", namespaced: true)
    /// EndpointSlices as 1.17–1.24 serve them (the only version of 1.20).
    public static let endpointSlicesV1beta1 = ResourceType(group: "discovery.k8s.io", version: "v1beta1", name: "endpointslices", kind: "EndpointSlice", namespaced: true)
}
