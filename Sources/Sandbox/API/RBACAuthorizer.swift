import KubernetesClient

/// Decides whether a user may do a verb on a resource, as RBAC does: members of
/// `system:masters` and nodes may do anything; everyone else needs a RoleBinding in the
/// namespace to a Role, or to one of the built-in ClusterRoles `cluster-admin`, `admin`,
/// `edit` and `view`.
struct RBACAuthorizer: Sendable {
    let store: ObjectStore

    func allows(_ user: UserInfo, verb: String, type: ResourceType, subresource: String?, namespace: String?, name: String?) async -> Bool {
        if user.groups.contains("system:masters") || user.groups.contains("system:nodes") { return true }
        guard let namespace else { return false }
        let resource = subresource.map { "\(type.name)/\($0)" } ?? type.name
        for binding in await store.all(.roleBindings, namespace: namespace) where bindingNames(binding, user: user, namespace: namespace) {
            let roleRef = binding["roleRef"]
            let roleName = roleRef?["name"]?.stringValue ?? ""
            let rules: [JSONValue]
            if roleRef?["kind"]?.stringValue == "ClusterRole" {
                rules = Self.builtInClusterRoleRules(roleName)
            } else {
                rules = (await store.find(.roles, namespace: namespace, name: roleName))?["rules"]?.arrayValue ?? []
            }
            if rules.contains(where: { Self.rule($0, allows: verb, group: type.group, resource: resource, name: name) }) { return true }
        }
        return false
    }

    private func bindingNames(_ binding: JSONValue, user: UserInfo, namespace: String) -> Bool {
        (binding["subjects"]?.arrayValue ?? []).contains { subject in
            let name = subject["name"]?.stringValue ?? ""
            switch subject["kind"]?.stringValue {
            case "User": return name == user.name
            case "Group": return user.groups.contains(name)
            case "ServiceAccount":
                return user.name == "system:serviceaccount:\(subject["namespace"]?.stringValue ?? namespace):\(name)"
            default: return false
            }
        }
    }

    static func rule(_ rule: JSONValue, allows verb: String, group: String, resource: String, name: String?) -> Bool {
        func contains(_ field: String, _ value: String) -> Bool {
            let values = rule[field]?.arrayValue?.compactMap(\.stringValue) ?? []
            return values.contains("*") || values.contains(value)
        }
        guard contains("verbs", verb), contains("apiGroups", group), contains("resources", resource) else { return false }
        let names = rule["resourceNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return names.isEmpty || name.map(names.contains) ?? false
    }

    static func builtInClusterRoleRules(_ name: String) -> [JSONValue] {
        let read: JSONValue = ["get", "list", "watch"]
        switch name {
        case "cluster-admin":
            return [["apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]]]
        case "admin":
            // As on 1.20: the namespace's workloads and RBAC, but neither discovery.k8s.io
            // (EndpointSlices) nor coordination.k8s.io (Leases).
            return [
                ["apiGroups": ["", "apps", "batch", "networking.k8s.io"], "resources": ["*"], "verbs": ["*"]],
                ["apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["*"]],
            ]
        case "edit":
            return [
                ["apiGroups": ["", "apps", "batch", "networking.k8s.io"], "resources": ["*"], "verbs": ["*"]],
                ["apiGroups": ["rbac.authorization.k8s.io"], "resources": ["*"], "verbs": read],
            ]
        case "view":
            return [
                ["apiGroups": ["", "apps", "batch", "networking.k8s.io"], "resources": [
                    "pods", "pods/log", "services", "endpoints", "configmaps", "serviceaccounts", "events", "deployments",
                    "replicasets", "statefulsets", "jobs", "ingresses", "namespaces", "deployments/scale",
                ], "verbs": read],
            ]
        default:
            return []
        }
    }
}
