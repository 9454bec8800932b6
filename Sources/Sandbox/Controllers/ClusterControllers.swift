import Foundation
import KubernetesClient

/// Gives each namespace its `default` service account and `kube-root-ca.crt`, and empties a
/// namespace being deleted before removing it.
struct NamespaceController: Controller {
    let caPEM: String

    /// Namespaced kinds emptied when their namespace goes, dependents before owners.
    private static let contents: [ResourceType] = [
        .deployments, .statefulSets, .jobs, .replicaSets, .pods, .services, .endpoints, .configMaps, .secrets,
        .serviceAccounts, .events, .ingresses, .leases, .roles, .roleBindings,
    ]

    func reconcile(_ context: ControllerContext) async {
        for namespace in await context.store.all(.namespaces) {
            let name = namespace.name
            if namespace.isTerminating {
                var remaining = 0
                for type in Self.contents {
                    for object in await context.store.all(type, namespace: name) {
                        remaining += 1
                        if !object.isTerminating { await context.delete(type, object) }
                    }
                }
                if remaining == 0 { _ = try? await context.store.delete(.namespaces, namespace: nil, name: name) }
                continue
            }
            if await context.store.find(.serviceAccounts, namespace: name, name: "default") == nil {
                await context.create(.serviceAccounts, namespace: name, ["metadata": ["name": "default"]])
            }
            if await context.store.find(.configMaps, namespace: name, name: "kube-root-ca.crt") == nil {
                await context.create(.configMaps, namespace: name, ["metadata": ["name": "kube-root-ca.crt"], "data": ["ca.crt": .string(caPEM)]])
            }
        }
    }
}

/// Gives each node a pod range (`spec.podCIDR`) from the cluster's, as kube-controller-manager's
/// node IPAM does. Kubelets take their pod IPs from it.
struct NodeIPAMController: Controller {
    let podCIDRs: [String]

    func reconcile(_ context: ControllerContext) async {
        let nodes = await context.store.all(.nodes)
        var taken = Set(nodes.compactMap { $0[path: "spec", "podCIDR"]?.stringValue })
        for node in nodes where node[path: "spec", "podCIDR"] == nil {
            guard let free = podCIDRs.first(where: { !taken.contains($0) }) else { return }
            taken.insert(free)
            var assigned = node
            if assigned["spec"] == nil { assigned["spec"] = .object([:]) }
            assigned["spec"]?["podCIDR"] = .string(free)
            assigned["spec"]?["podCIDRs"] = [.string(free)]
            await context.update(.nodes, assigned)
        }
    }
}

/// Binds pending pods to a ready node.
struct Scheduler: Controller {
    func reconcile(_ context: ControllerContext) async {
        let nodes = await context.store.all(.nodes).filter { node in
            node[path: "spec", "unschedulable"]?.boolValue != true
                && (node[path: "status", "conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
        }
        var next = 0
        for pod in await context.store.all(.pods) where pod[path: "spec", "nodeName"] == nil && !pod.isTerminating {
            var conditions = pod[path: "status", "conditions"]?.arrayValue ?? []
            conditions.removeAll { $0["type"]?.stringValue == "PodScheduled" }
            var scheduled = pod
            if nodes.isEmpty {
                let message = "0/\(await context.store.all(.nodes).count) nodes are available: no node is ready."
                if (pod[path: "status", "conditions"]?.arrayValue ?? []).contains(where: { $0["message"]?.stringValue == message }) { continue }
                conditions.append(["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message), "lastProbeTime": .null, "lastTransitionTime": .string(Timestamp.format(Date()))])
            } else {
                scheduled["spec"]?["nodeName"] = .string(nodes[next % nodes.count].name)
                next += 1
                conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(Timestamp.format(Date()))])
            }
            scheduled["status"]?["conditions"] = .array(conditions)
            await context.update(.pods, scheduled)
        }
    }
}

/// Service → Endpoints: the IPs of the pods its selector matches, ready ones in `addresses`,
/// the others in `notReadyAddresses`, with named target ports resolved per pod.
struct EndpointsController: Controller {
    func reconcile(_ context: ControllerContext) async {
        for service in await context.store.all(.services) {
            guard let selectorLabels = service[path: "spec", "selector"]?.objectValue, !selectorLabels.isEmpty else { continue }
            let selector = LabelSelector(labels: selectorLabels.compactMapValues(\.stringValue))
            let pods = await context.store.all(.pods, namespace: service.namespace).filter {
                selector.matches(object: $0) && !$0.isTerminating && $0[path: "status", "podIP"]?.stringValue != nil && $0.podPhase != "Succeeded" && $0.podPhase != "Failed"
            }
            let servicePorts = service[path: "spec", "ports"]?.arrayValue ?? []
            var subsets: [[JSONValue]: (ready: [JSONValue], notReady: [JSONValue])] = [:]
            for pod in pods {
                let ports: [JSONValue] = servicePorts.compactMap { port in
                    guard let number = Self.resolve(port["targetPort"] ?? port["port"] ?? .null, in: pod) else { return nil }
                    var endpointPort: [String: JSONValue] = ["port": .integer(Int64(number)), "protocol": port["protocol"] ?? "TCP"]
                    if let name = port["name"] { endpointPort["name"] = name }
                    return .object(endpointPort)
                }
                let address: JSONValue = [
                    "ip": pod[path: "status", "podIP"] ?? "", "nodeName": pod[path: "spec", "nodeName"] ?? .null,
                    "targetRef": ["kind": "Pod", "namespace": .string(pod.namespace ?? ""), "name": .string(pod.name), "uid": .string(pod.uid), "resourceVersion": pod[path: "metadata", "resourceVersion"] ?? ""],
                ]
                if pod.isPodReady { subsets[ports, default: ([], [])].ready.append(address) } else { subsets[ports, default: ([], [])].notReady.append(address) }
            }
            let subsetValues: [JSONValue] = subsets.sorted { $0.key.jsonKey < $1.key.jsonKey }.map { ports, addresses in
                var subset: [String: JSONValue] = ["ports": .array(ports)]
                let byIP = { (lhs: JSONValue, rhs: JSONValue) in (lhs["ip"]?.stringValue ?? "") < (rhs["ip"]?.stringValue ?? "") }
                if !addresses.ready.isEmpty { subset["addresses"] = .array(addresses.ready.sorted(by: byIP)) }
                if !addresses.notReady.isEmpty { subset["notReadyAddresses"] = .array(addresses.notReady.sorted(by: byIP)) }
                return .object(subset)
            }
            await write(service, subsets: subsetValues, context)
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
            await context.update(.endpoints, existing)
        } else {
            var endpoints: JSONValue = ["metadata": ["name": .string(service.name), "labels": .object(labels)]]
            if !subsets.isEmpty { endpoints["subsets"] = .array(subsets) }
            await context.create(.endpoints, namespace: service.namespace, endpoints)
        }
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
}

private extension Array where Element == JSONValue {
    var jsonKey: String { JSONValue.array(self).jsonString }
}

/// Deletes objects whose owners are gone, and finishes foreground and orphan deletions.
struct GarbageCollector: Controller {
    private static let kinds: [ResourceType] = [
        .deployments, .replicaSets, .statefulSets, .jobs, .pods, .services, .endpoints, .configMaps, .secrets, .serviceAccounts,
        .ingresses, .leases, .events, .roles, .roleBindings,
    ]

    func reconcile(_ context: ControllerContext) async {
        var everything: [(ResourceType, JSONValue)] = []
        for type in Self.kinds { everything += await context.store.all(type).map { (type, $0) } }
        let owners = Dictionary(everything.map { ($0.1.uid, $0) }, uniquingKeysWith: { first, _ in first })

        for (type, object) in everything {
            guard let references = object[path: "metadata", "ownerReferences"]?.arrayValue, !references.isEmpty else { continue }
            let living = references.filter { reference in
                guard let owner = owners[reference["uid"]?.stringValue ?? ""]?.1 else { return false }
                let finalizers = owner[path: "metadata", "finalizers"]?.arrayValue ?? []
                return !finalizers.contains("orphan")
            }
            let orphaning = references.filter { reference in
                (owners[reference["uid"]?.stringValue ?? ""]?.1[path: "metadata", "finalizers"]?.arrayValue ?? []).contains("orphan")
            }
            if !orphaning.isEmpty {
                var released = object
                released["metadata"]?["ownerReferences"] = living.isEmpty ? nil : .array(living)
                await context.update(type, released)
                continue
            }
            let foreground = references.contains { reference in
                (owners[reference["uid"]?.stringValue ?? ""]?.1[path: "metadata", "finalizers"]?.arrayValue ?? []).contains("foregroundDeletion")
            }
            if (living.isEmpty || foreground) && !object.isTerminating {
                await context.delete(type, object)
            }
        }

        for (type, owner) in everything where owner.isTerminating {
            let finalizers = owner[path: "metadata", "finalizers"]?.arrayValue ?? []
            let pending = everything.contains { _, dependent in
                (dependent[path: "metadata", "ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == owner.uid }
            }
            guard !pending, finalizers.contains("orphan") || finalizers.contains("foregroundDeletion") else { continue }
            var finished = owner
            finished["metadata"]?["finalizers"] = .array(finalizers.filter { $0 != "orphan" && $0 != "foregroundDeletion" })
            await context.update(type, finished)
        }
    }
}
