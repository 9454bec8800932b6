import KubernetesClient

/// The pods behind a service, as both endpoints controllers see them: those its selector
/// matches that have an IP and are not terminating or finished, with the service's target
/// ports resolved on each (a named target port can differ from pod to pod).
struct ServiceBackends {
    struct Backend {
        var pod: JSONValue
        var ready: Bool
    }

    /// Backends grouped by their resolved ports (`[{name, port, protocol}]`), in a stable order.
    var groups: [(ports: [JSONValue], backends: [Backend])]

    init?(service: JSONValue, store: ObjectStore) async {
        guard let selectorLabels = service[path: "spec", "selector"]?.objectValue, !selectorLabels.isEmpty else { return nil }
        let selector = LabelSelector(labels: selectorLabels.compactMapValues(\.stringValue))
        let pods = await store.all(.pods, namespace: service.namespace).filter {
            selector.matches(object: $0) && !$0.isTerminating && $0[path: "status", "podIP"]?.stringValue != nil && $0.podPhase != "Succeeded" && $0.podPhase != "Failed"
        }
        let servicePorts = service[path: "spec", "ports"]?.arrayValue ?? []
        var byPorts: [String: (ports: [JSONValue], backends: [Backend])] = [:]
        for pod in pods.sorted(by: { ($0[path: "status", "podIP"]?.stringValue ?? "") < ($1[path: "status", "podIP"]?.stringValue ?? "") }) {
            let ports: [JSONValue] = servicePorts.compactMap { port in
                guard let number = Self.resolve(port["targetPort"] ?? port["port"] ?? .null, in: pod) else { return nil }
                var endpointPort: [String: JSONValue] = ["port": .integer(Int64(number)), "protocol": port["protocol"] ?? "TCP"]
                if let name = port["name"] { endpointPort["name"] = name }
                return .object(endpointPort)
            }
            let key = JSONValue.array(ports).jsonString
            byPorts[key, default: (ports, [])].backends.append(Backend(pod: pod, ready: pod.isPodReady))
        }
        groups = byPorts.sorted { $0.key < $1.key }.map(\.value)
    }

    /// A service's target port on one pod: a number, or a container port looked up by name.
    static func resolve(_ target: JSONValue, in pod: JSONValue) -> Int? {
        if let number = target.intValue { return number }
        guard let name = target.stringValue else { return nil }
        if let number = Int(name) { return number }
        for container in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] where port["name"]?.stringValue == name {
                return port["containerPort"]?.intValue
            }
        }
        return nil
    }

    static func targetReference(_ pod: JSONValue) -> JSONValue {
        ["kind": "Pod", "namespace": .string(pod.namespace ?? ""), "name": .string(pod.name), "uid": .string(pod.uid), "resourceVersion": pod[path: "metadata", "resourceVersion"] ?? ""]
    }
}

/// Service → Endpoints: ready pod IPs in `addresses`, the others in `notReadyAddresses`.
///
/// Written through the API with its validation, as kube-controller-manager does: addresses a
/// real API server refuses in Endpoints (the sandbox's loopback pod IPs among them) leave the
/// service without an Endpoints object, exactly as on a real cluster. Clients read
/// EndpointSlices, which accept them.
struct EndpointsController: Controller {
    func reconcile(_ context: ControllerContext) async {
        for service in await context.store.all(.services) {
            guard let backends = await ServiceBackends(service: service, store: context.store) else { continue }
            let subsets: [JSONValue] = backends.groups.map { group in
                var subset: [String: JSONValue] = ["ports": .array(group.ports)]
                let addresses = { (ready: Bool) -> [JSONValue] in
                    group.backends.filter { $0.ready == ready }.map { backend in
                        ["ip": backend.pod[path: "status", "podIP"] ?? "", "nodeName": backend.pod[path: "spec", "nodeName"] ?? .null, "targetRef": ServiceBackends.targetReference(backend.pod)]
                    }
                }
                if !addresses(true).isEmpty { subset["addresses"] = .array(addresses(true)) }
                if !addresses(false).isEmpty { subset["notReadyAddresses"] = .array(addresses(false)) }
                return .object(subset)
            }
            await write(service, subsets: subsets, context)
        }
        for endpoints in await context.store.all(.endpoints) where endpoints[path: "metadata", "labels", "endpoints.kbridge.dev/managed-by"] != nil {
            if await context.store.find(.services, namespace: endpoints.namespace, name: endpoints.name) == nil {
                await context.delete(.endpoints, endpoints)
            }
        }
    }

    private func write(_ service: JSONValue, subsets: [JSONValue], _ context: ControllerContext) async {
        var labels = service[path: "metadata", "labels"]?.objectValue ?? [:]
        labels["endpoints.kbridge.dev/managed-by"] = "endpoint-controller"
        if var existing = await context.store.find(.endpoints, namespace: service.namespace, name: service.name) {
            let wanted: JSONValue = subsets.isEmpty ? .null : .array(subsets)
            guard (existing["subsets"] ?? .null) != wanted || existing[path: "metadata", "labels"] != .object(labels) else { return }
            existing["subsets"] = subsets.isEmpty ? nil : .array(subsets)
            existing["metadata"]?["labels"] = .object(labels)
            await context.updateValidated(.endpoints, existing)
        } else {
            var endpoints: JSONValue = ["metadata": ["name": .string(service.name), "labels": .object(labels)]]
            if !subsets.isEmpty { endpoints["subsets"] = .array(subsets) }
            await context.create(.endpoints, namespace: service.namespace, endpoints)
        }
    }
}

/// Service → EndpointSlices (discovery.k8s.io/v1), as kube-controller-manager writes them: one
/// slice per set of resolved ports, labelled with the service's name, owned by the service,
/// each endpoint with its `ready`/`serving`/`terminating` conditions.
struct EndpointSliceController: Controller {
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let managedBy = "endpointslice-controller.k8s.io"

    func reconcile(_ context: ControllerContext) async {
        let slices = await context.store.all(.endpointSlices).filter { $0[path: "metadata", "labels", Self.managedByLabel]?.stringValue == Self.managedBy }
        for service in await context.store.all(.services) {
            let own = slices.filter { $0.namespace == service.namespace && $0[path: "metadata", "labels", EndpointSlice.serviceNameLabel]?.stringValue == service.name }
            guard let backends = await ServiceBackends(service: service, store: context.store) else {
                for slice in own { await context.delete(.endpointSlices, slice) }
                continue
            }
            var wanted: [(ports: JSONValue, endpoints: JSONValue)] = backends.groups.map { group in
                let endpoints: [JSONValue] = group.backends.map { backend in
                    [
                        "addresses": [backend.pod[path: "status", "podIP"] ?? ""],
                        "conditions": ["ready": .bool(backend.ready), "serving": .bool(backend.ready), "terminating": false],
                        "targetRef": ServiceBackends.targetReference(backend.pod),
                        "nodeName": backend.pod[path: "spec", "nodeName"] ?? .null,
                    ]
                }
                return (.array(group.ports), .array(endpoints))
            }
            // A service without pods keeps one empty slice, as on a real cluster.
            if wanted.isEmpty { wanted = [(.null, .null)] }
            var unused = own
            for (ports, endpoints) in wanted {
                if let index = unused.firstIndex(where: { ($0["ports"] ?? .null) == ports }) {
                    var slice = unused.remove(at: index)
                    guard (slice["endpoints"] ?? .null) != endpoints else { continue }
                    slice["endpoints"] = endpoints == .null ? nil : endpoints
                    await context.updateValidated(.endpointSlices, slice)
                } else {
                    await context.create(.endpointSlices, namespace: service.namespace, newSlice(for: service, ports: ports, endpoints: endpoints))
                }
            }
            for slice in unused { await context.delete(.endpointSlices, slice) }
        }
    }

    private func newSlice(for service: JSONValue, ports: JSONValue, endpoints: JSONValue) -> JSONValue {
        var labels = service[path: "metadata", "labels"]?.objectValue ?? [:]
        labels[Self.managedByLabel] = .string(Self.managedBy)
        labels[EndpointSlice.serviceNameLabel] = .string(service.name)
        var slice: JSONValue = [
            "metadata": [
                "generateName": .string("\(service.name)-"), "labels": .object(labels),
                "ownerReferences": [[
                    "apiVersion": "v1", "kind": "Service", "name": .string(service.name), "uid": .string(service.uid),
                    "controller": true, "blockOwnerDeletion": true,
                ]],
            ],
            "addressType": "IPv4",
        ]
        if ports != .null { slice["ports"] = ports }
        if endpoints != .null { slice["endpoints"] = endpoints }
        return slice
    }
}
