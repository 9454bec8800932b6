import Foundation
import KubernetesClient

/// Gives each namespace its `default` service account and `kube-root-ca.crt`, and empties a
/// namespace being deleted before removing it.
struct NamespaceController: Controller {
    let caPEM: String

    /// Namespaced kinds emptied when their namespace goes, dependents before owners.
    private static let contents: [ResourceType] = [
        .deployments, .statefulSets, .jobs, .replicaSets, .pods, .services, .endpoints, .endpointSlices, .configMaps, .secrets,
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

/// Deletes objects whose owners are gone, and finishes foreground and orphan deletions.
struct GarbageCollector: Controller {
    private static let kinds: [ResourceType] = [
        .deployments, .replicaSets, .statefulSets, .jobs, .pods, .services, .endpoints, .endpointSlices, .configMaps, .secrets,
        .serviceAccounts, .ingresses, .leases, .events, .roles, .roleBindings,
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
