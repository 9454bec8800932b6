import KubernetesClient

/// A request path of the resource API, taken apart:
/// `/apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]`.
struct APIPath: Equatable {
    var resource: ServedResource
    var namespace: String?
    var name: String?
    var subresource: String?

    static func == (lhs: APIPath, rhs: APIPath) -> Bool {
        lhs.resource.type == rhs.resource.type && lhs.namespace == rhs.namespace && lhs.name == rhs.name && lhs.subresource == rhs.subresource
    }

    init(resource: ServedResource, namespace: String?, name: String? = nil, subresource: String? = nil) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
    }

    /// Parses a path; nil when it is not a resource path this server serves.
    init?(_ path: String) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let group: String
        let version: String
        if segments.first == "api", segments.count >= 2 {
            group = ""
            version = segments[1]
            segments.removeFirst(2)
        } else if segments.first == "apis", segments.count >= 3 {
            group = segments[1]
            version = segments[2]
            segments.removeFirst(3)
        } else {
            return nil
        }
        guard !segments.isEmpty else { return nil }
        if segments[0] == "namespaces", segments.count >= 3, let namespaced = ServedResources.find(group: group, version: version, name: segments[2]),
            namespaced.type.namespaced
        {
            resource = namespaced
            namespace = segments[1]
            segments.removeFirst(3)
        } else if let clusterScoped = ServedResources.find(group: group, version: version, name: segments[0]) {
            resource = clusterScoped
            segments.removeFirst(1)
        } else {
            return nil
        }
        guard segments.count <= 2 else { return nil }
        name = segments.first
        subresource = segments.count == 2 ? segments[1] : nil
        if let subresource, !resource.subresources.contains(subresource) { return nil }
    }
}
