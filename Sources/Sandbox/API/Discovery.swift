import KubernetesClient

/// The discovery documents (`/version`, `/api`, `/apis`, group versions) and the OpenAPI v3
/// index kubectl reads before it validates and applies manifests.
enum Discovery {
    static let version: JSONValue = [
        "major": "1", "minor": "20", "gitVersion": "v1.20.2-kbridge-sandbox", "gitCommit": "kbridge-sandbox",
        "gitTreeState": "clean", "buildDate": "2026-11-22T00:00:00Z", "goVersion": "swift", "compiler": "swiftc", "platform": "linux/amd64",
    ]

    static func coreVersions(serverAddress: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    static var groupList: JSONValue {
        var groups: [String: [String]] = [:]
        var order: [String] = []
        for (group, version) in ServedResources.groupVersions where !group.isEmpty {
            if groups[group] == nil { order.append(group) }
            groups[group, default: []].append(version)
        }
        return [
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(order.map { group in
                let versions = groups[group] ?? []
                let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
                return ["name": .string(group), "versions": .array(entries), "preferredVersion": entries.first ?? .null]
            }),
        ]
    }

    static func group(_ name: String) -> JSONValue? {
        guard let groupEntry = groupList["groups"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }) else { return nil }
        var document = groupEntry
        document["kind"] = "APIGroup"
        document["apiVersion"] = "v1"
        return document
    }

    /// `APIResourceList` of one group version, subresources included (`pods/log`).
    static func resourceList(group: String, version: String) -> JSONValue? {
        let resources = ServedResources.all.filter { $0.type.group == group && $0.type.version == version }
        guard !resources.isEmpty else { return nil }
        var entries: [JSONValue] = []
        for resource in resources {
            var entry: JSONValue = [
                "name": .string(resource.type.name), "singularName": .string(resource.singularName),
                "namespaced": .bool(resource.type.namespaced), "kind": .string(resource.type.kind),
                "verbs": .array(resource.verbs.map { .string($0) }),
            ]
            if !resource.shortNames.isEmpty { entry["shortNames"] = .array(resource.shortNames.map { .string($0) }) }
            if !resource.categories.isEmpty { entry["categories"] = .array(resource.categories.map { .string($0) }) }
            entries.append(entry)
            for subresource in resource.subresources {
                let (kind, verbs, subGroup, subVersion) = describe(subresource, of: resource)
                var subEntry: JSONValue = [
                    "name": .string("\(resource.type.name)/\(subresource)"), "singularName": "",
                    "namespaced": .bool(resource.type.namespaced), "kind": .string(kind), "verbs": .array(verbs.map { .string($0) }),
                ]
                if let subGroup { subEntry["group"] = .string(subGroup) }
                if let subVersion { subEntry["version"] = .string(subVersion) }
                entries.append(subEntry)
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(entries)]
    }

    private static func describe(_ subresource: String, of resource: ServedResource) -> (String, [String], String?, String?) {
        switch subresource {
        case "status": return (resource.type.kind, ["get", "patch", "update"], nil, nil)
        case "scale": return ("Scale", ["get", "patch", "update"], "autoscaling", "v1")
        case "log": return ("Pod", ["get"], nil, nil)
        case "portforward": return ("PodPortForwardOptions", ["create", "get"], nil, nil)
        case "exec": return ("PodExecOptions", ["create", "get"], nil, nil)
        case "attach": return ("PodAttachOptions", ["create", "get"], nil, nil)
        case "binding": return ("Binding", ["create"], nil, nil)
        case "token": return ("TokenRequest", ["create"], "authentication.k8s.io", "v1")
        default: return (resource.type.kind, ["get"], nil, nil)
        }
    }

    // MARK: OpenAPI v3

    /// `/openapi/v3`: one entry per group version.
    static var openAPIIndex: JSONValue {
        var paths: [String: JSONValue] = [:]
        for (group, version) in ServedResources.groupVersions {
            let key = group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=sandbox")]
        }
        return ["paths": .object(paths)]
    }

    /// `/openapi/v3/apis/{group}/{version}`: the paths of each resource with their GVK and the
    /// `fieldValidation` parameter, which tells kubectl that this server validates fields itself.
    static func openAPIDocument(group: String, version: String) -> JSONValue? {
        let resources = ServedResources.all.filter { $0.type.group == group && $0.type.version == version }
        guard !resources.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        for resource in resources {
            let gvk: JSONValue = ["group": .string(group), "version": .string(version), "kind": .string(resource.type.kind)]
            let parameters: JSONValue = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "dryRun", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            let response: JSONValue = ["200": ["description": "OK"]]
            let operation: JSONValue = ["x-kubernetes-group-version-kind": gvk, "parameters": parameters, "responses": response]
            let path = resource.type.namespaced
                ? "\(resource.type.groupVersionPath)/namespaces/{namespace}/\(resource.type.name)/{name}"
                : "\(resource.type.groupVersionPath)/\(resource.type.name)/{name}"
            paths[path] = ["get": operation, "put": operation, "patch": operation, "delete": operation]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": "v1.20.2-kbridge-sandbox"],
            "paths": .object(paths),
            "components": ["schemas": .object([:])],
        ]
    }
}
