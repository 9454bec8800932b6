import KubernetesClient

/// A resource the sandbox's API server serves, with what discovery says about it.
struct ServedResource: Sendable {
    var type: ResourceType
    var singularName: String
    var shortNames: [String] = []
    var verbs: [String] = ServedResource.allVerbs
    var subresources: [String] = []
    var categories: [String] = []
    /// Whether updates bump `metadata.generation` when the spec changes.
    var tracksGeneration = false

    static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
}

/// Every resource the sandbox serves. What is not here answers 404, as on a server without that API.
enum ServedResources {
    static let all: [ServedResource] = [
        ServedResource(type: .namespaces, singularName: "namespace", shortNames: ["ns"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], subresources: ["status"]),
        ServedResource(type: .nodes, singularName: "node", shortNames: ["no"], subresources: ["status"]),
        ServedResource(type: .pods, singularName: "pod", shortNames: ["po"], subresources: ["status", "log", "portforward", "exec", "attach", "binding"], categories: ["all"]),
        ServedResource(type: .services, singularName: "service", shortNames: ["svc"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], subresources: ["status"], categories: ["all"]),
        ServedResource(type: .endpoints, singularName: "endpoints", shortNames: ["ep"]),
        ServedResource(type: .endpointSlices, singularName: "endpointslice"),
        ServedResource(type: .configMaps, singularName: "configmap", shortNames: ["cm"]),
        ServedResource(type: .secrets, singularName: "secret"),
        ServedResource(type: .serviceAccounts, singularName: "serviceaccount", shortNames: ["sa"], subresources: ["token"]),
        ServedResource(type: .events, singularName: "event", shortNames: ["ev"]),
        ServedResource(type: .deployments, singularName: "deployment", shortNames: ["deploy"], subresources: ["status", "scale"], categories: ["all"], tracksGeneration: true),
        ServedResource(type: .replicaSets, singularName: "replicaset", shortNames: ["rs"], subresources: ["status", "scale"], categories: ["all"], tracksGeneration: true),
        ServedResource(type: .statefulSets, singularName: "statefulset", shortNames: ["sts"], subresources: ["status", "scale"], categories: ["all"], tracksGeneration: true),
        ServedResource(type: .ingresses, singularName: "ingress", shortNames: ["ing"], subresources: ["status"], tracksGeneration: true),
        ServedResource(type: .jobs, singularName: "job", subresources: ["status"], categories: ["all"], tracksGeneration: true),
        ServedResource(type: .leases, singularName: "lease"),
        ServedResource(type: .roles, singularName: "role"),
        ServedResource(type: .roleBindings, singularName: "rolebinding"),
    ]

    /// Looks a resource up by group, version and plural name.
    static func find(group: String, version: String, name: String) -> ServedResource? {
        all.first { $0.type.group == group && $0.type.version == version && $0.type.name == name }
    }

    static func find(_ type: ResourceType) -> ServedResource? {
        all.first { $0.type == type }
    }

    /// The group versions served, core first.
    static var groupVersions: [(group: String, version: String)] {
        var seen: [(String, String)] = []
        for resource in all where !seen.contains(where: { $0 == (resource.type.group, resource.type.version) }) {
            seen.append((resource.type.group, resource.type.version))
        }
        return seen
    }
}
