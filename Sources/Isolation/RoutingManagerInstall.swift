import KubernetesClient

/// The routing manager of a namespace: `routingmanager-deployment` (`kbridge-agent
/// routing-manager`) with its ServiceAccount, Role and RoleBinding, and `routingmanager-service`,
/// all labelled `routing.visualstudio.io/component=routingmanager`. It stays when sessions end,
/// as the seeds' does; `kbridge clean --routing` removes it.
///
/// Its Role is what a pass of `RoutingReconciler` needs and no more: read pods (the copies),
/// and read, create, patch and delete services, deployments and ingresses (the routed services,
/// the routers and the duplicated ingresses, whose names it cannot know beforehand).
public struct RoutingManagerInstall: Sendable {
    let client: KubernetesClient
    public let namespace: String

    public init(client: KubernetesClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    public static let containerName = "routingmanager"

    /// The manager's objects, in the order they are created.
    func objects(image: String) -> [(ResourceType, JSONValue)] {
        let labels: JSONValue = [RoutingNames.componentLabel: .string(RoutingNames.Component.routingManager.rawValue), RoutingNames.managedByLabel: "kbridge"]
        func metadata(_ name: String) -> JSONValue { ["name": .string(name), "labels": labels] }
        let account = RoutingNames.managerAccount
        let selector: JSONValue = [RoutingNames.componentLabel: .string(RoutingNames.Component.routingManager.rawValue)]
        return [
            (.serviceAccounts, ["metadata": metadata(account)]),
            (.roles, ["metadata": metadata(account), "rules": .array(Self.rules)]),
            (.roleBindings, [
                "metadata": metadata(account),
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(account)],
                "subjects": [["kind": "ServiceAccount", "name": .string(account), "namespace": .string(namespace)]],
            ]),
            (.deployments, [
                "metadata": metadata(RoutingNames.managerDeployment),
                "spec": [
                    "replicas": 1,
                    "selector": ["matchLabels": selector],
                    "template": [
                        "metadata": ["labels": labels],
                        "spec": [
                            "serviceAccountName": .string(account),
                            "automountServiceAccountToken": true,
                            "terminationGracePeriodSeconds": 5,
                            "containers": [[
                                "name": .string(Self.containerName), "image": .string(image), "imagePullPolicy": "IfNotPresent",
                                "args": .array(RoutingManagerArguments(image: image).encoded.map { .string($0) }),
                                "ports": [["name": "health", "containerPort": .integer(Int64(RoutingManagerHealth.port)), "protocol": "TCP"]],
                                "readinessProbe": ["httpGet": ["path": .string(RoutingManagerHealth.path), "port": "health"], "periodSeconds": 1],
                                "resources": ["requests": ["cpu": "10m", "memory": "32Mi"]],
                                "securityContext": ["runAsNonRoot": true, "runAsUser": 65532, "allowPrivilegeEscalation": false],
                            ]],
                        ],
                    ],
                ],
            ]),
            (.services, [
                "metadata": metadata(RoutingNames.managerService),
                "spec": [
                    "type": "ClusterIP", "selector": selector,
                    "ports": [["name": "health", "port": 80, "targetPort": "health", "protocol": "TCP"]],
                ],
            ]),
        ]
    }

    static let rules: [JSONValue] = [
        ["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]],
        ["apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch", "create", "patch", "delete"]],
        ["apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "create", "patch", "delete"]],
        ["apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["get", "list", "watch", "create", "patch", "delete"]],
    ]

    /// Creates what of the routing manager is missing; what it created, in words. A part of that
    /// name that is not the routing manager's is an error (`notTheManagers`).
    public func ensure(image: String) async throws(RoutingManagerError) -> [String] {
        var created: [String] = []
        for (type, object) in objects(image: image) {
            let name = object[path: "metadata", "name"]?.stringValue ?? ""
            let what = "\(type.kind.lowercased()) \(name)"
            do {
                _ = try await client.createRaw(type, object, namespace: namespace)
                created.append(what)
            } catch let error where error.isAlreadyExists {
                let existing: JSONValue
                do {
                    existing = try await client.getRaw(type, name: name, namespace: namespace)
                } catch {
                    throw .cluster(error)
                }
                guard existing[path: "metadata", "labels", RoutingNames.componentLabel]?.stringValue == RoutingNames.Component.routingManager.rawValue else {
                    throw .notTheManagers(what)
                }
            } catch let error where error.statusCode == 403 {
                throw .notPermitted(creating: what, detail: error.description)
            } catch {
                throw .cluster(error)
            }
        }
        return created
    }

    /// Removes the routing manager and what it made: its Deployment first (so that no pass of
    /// it runs after the last one here), then a pass as if no copy routed (every routed service
    /// gets its own selector back, routers, clone services and duplicated ingresses go), read
    /// back: while a service still points at its routers, the manager's other objects stay
    /// (for another try). Objects of its names that are not its own stay. Idempotent.
    public func remove() async throws(KubernetesError) -> RoutingReconciler.Outcome {
        var removal = RoutingReconciler.Outcome()
        try await delete(.deployments, RoutingNames.managerDeployment, into: &removal)
        let pass = try await RoutingReconciler(client: client, namespace: namespace, image: "", log: { _ in }).reconcile(withoutCopies: true)
        removal.changes += pass.changes
        removal.problems += pass.problems
        let stillRouted = try await client.listRaw(.services, namespace: namespace).items.filter(RoutingReconciler.isRouted)
        guard stillRouted.isEmpty else {
            let names = stillRouted.map { RoutingReconciler.name(of: $0) }.joined(separator: ", ")
            removal.problems.append("service\(stillRouted.count == 1 ? "" : "s") \(names) still point\(stillRouted.count == 1 ? "s" : "") at \(stillRouted.count == 1 ? "its" : "their") routers or keep\(stillRouted.count == 1 ? "s" : "") a saved selector: the rest of the routing manager stays for another `kbridge clean --routing`")
            return removal
        }
        for (type, object) in objects(image: "").reversed() where type != .deployments {
            try await delete(type, object[path: "metadata", "name"]?.stringValue ?? "", into: &removal)
        }
        return removal
    }

    private func delete(_ type: ResourceType, _ name: String, into removal: inout RoutingReconciler.Outcome) async throws(KubernetesError) {
        do {
            let existing = try await client.getRaw(type, name: name, namespace: namespace)
            guard existing[path: "metadata", "labels", RoutingNames.componentLabel]?.stringValue == RoutingNames.Component.routingManager.rawValue else { return }
            try await client.delete(type, name: name, namespace: namespace, propagation: .background)
            removal.changes.append("deleted \(type.kind.lowercased()) \(name)")
        } catch let error where error.isNotFound {
            return
        }
    }

    /// The copies that route from a service of the namespace now (pods being deleted left out): pod → routing name.
    public func liveCopies() async throws(KubernetesError) -> [(pod: String, service: String, routeAs: String)] {
        let pods = try await client.listRaw(.pods, namespace: namespace, options: ListOptions(labelSelector: RoutingNames.routeFromLabel)).items
        return pods.filter { $0[path: "metadata", "deletionTimestamp"] == nil }.compactMap { pod in
            guard let name = pod[path: "metadata", "name"]?.stringValue, let service = pod[path: "metadata", "labels", RoutingNames.routeFromLabel]?.stringValue,
                  let header = pod[path: "metadata", "annotations", RoutingNames.routeOnHeaderAnnotation]?.stringValue,
                  let routeAs = RoutingNames.routingName(inRouteOnHeader: header) else { return nil }
            return (name, service, routeAs)
        }
    }
}

/// Why the routing manager could not be installed.
public enum RoutingManagerError: Error, CustomStringConvertible, Sendable {
    case notPermitted(creating: String, detail: String)
    case notTheManagers(String)
    case cluster(KubernetesError)

    public var description: String {
        switch self {
        case .notPermitted(let what, let detail):
            return "you may not create the routing manager's \(what), which isolation needs in this namespace (\(detail)); ask for that permission, or connect without --isolate"
        case .notTheManagers(let what):
            return "\(what) exists and is not kbridge's routing manager (it lacks \(RoutingNames.componentLabel)=\(RoutingNames.Component.routingManager.rawValue)): rename or remove it to isolate in this namespace"
        case .cluster(let error):
            return error.description
        }
    }
}
