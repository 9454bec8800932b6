import Isolation
import KubernetesClient

/// What a session takes over: the workload, its container, and the ports the agent must answer
/// on in that container's place.
public struct TakeoverTarget: Sendable {
    /// The service whose traffic comes to this machine; nil for a pod or workload no Service
    /// fronts (`--pod`, `--workload`): it gets its environment, files and names, no traffic.
    public var service: Service?
    public var workload: WorkloadReference
    public var container: String
    /// Every port the container answers on: its declared ports and the service's target ports
    /// (none without a service: nothing is redirected).
    public var containerPorts: [Int]
    /// The target port of the service's first port: the one connected to `--local-port` (0 without a service).
    public var primaryPort: Int
    /// The container's mounts and the pod's volumes, as a pod of the workload has them.
    public var volumeMounts: [VolumeMount] = []
    public var volumes: [Volume] = []
    /// What of the app's container the agent keeps (`KubernetesLocalProcessConfig.yaml`'s `enableFeatures`).
    public var kept: Set<AgentContainer.Kept> = []
}

/// Finds the workload behind a service: service selector → pods → their controller
/// (a Deployment through its ReplicaSet, a StatefulSet, or the pod itself).
public struct TargetResolver: Sendable {
    let client: KubernetesClient

    public init(client: KubernetesClient) {
        self.client = client
    }

    public func resolve(service name: String, namespace: String, container wanted: String?) async throws(SessionError) -> TakeoverTarget {
        let service: Service
        do {
            // A missing namespace is told apart by the client from the 404 itself; no cluster-scoped read needed.
            service = try await client.get(Service.self, name: name, namespace: namespace)
        } catch .namespaceNotFound(let missing) {
            throw .cluster(.namespaceNotFound(missing))
        } catch let error where error.isNotFound {
            let available = (try? await client.list(Service.self, namespace: namespace).compactMap(\.metadata.name).sorted()) ?? []
            throw .serviceNotFound(service: name, namespace: namespace, available: available)
        } catch {
            throw .cluster(error)
        }
        if service.spec.type == "ExternalName" {
            throw .externalNameService(service: name, namespace: namespace, externalName: service.spec.externalName ?? "")
        }
        // A service isolation points at its routers is resolved by its own selector, kept while it does.
        guard let selector = RoutePlan.originalSelector(of: service), !selector.isEmpty else { throw .serviceWithoutSelector(service: name, namespace: namespace) }
        let selectorText = ListOptions.labelSelector(matching: selector)
        let pods: [Pod]
        do {
            pods = try await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: selectorText))
                .filter { $0.metadata.deletionTimestamp == nil }
                .sorted { ($0.metadata.creationTimestamp ?? "") < ($1.metadata.creationTimestamp ?? "") }
        } catch {
            throw .cluster(error)
        }
        guard let pod = pods.first else { throw .serviceWithoutPods(service: name, namespace: namespace, selector: selectorText) }
        let podName = pod.metadata.nameOrEmpty
        let workload = try await owner(of: pod, namespace: namespace)
        // Every selected pod must belong to that workload: redirecting one of several would leave
        // part of the service's traffic on the others. (Pods of one controller are asked once.)
        var workloads = [workload]
        var seenControllers: Set<String> = [pod.metadata.ownerReferences?.first { $0.controller == true }.map { "\($0.kind)/\($0.name)" } ?? "Pod/\(podName)"]
        for other in pods.dropFirst() {
            let controller = other.metadata.ownerReferences?.first { $0.controller == true }.map { "\($0.kind)/\($0.name)" } ?? "Pod/\(other.metadata.nameOrEmpty)"
            guard seenControllers.insert(controller).inserted else { continue }
            let owner = try await self.owner(of: other, namespace: namespace)
            if !workloads.contains(owner) { workloads.append(owner) }
        }
        guard workloads.count == 1 else {
            throw .severalWorkloads(service: name, namespace: namespace, workloads: workloads.map(\.description))
        }

        let containers = pod.spec.containers
        let index: Int
        if let wanted {
            guard let found = containers.firstIndex(where: { $0.name == wanted }) else {
                throw .containerNotFound(container: wanted, pod: podName, available: containers.map(\.name))
            }
            index = found
        } else if containers.count == 1 {
            index = 0
        } else if let first = service.spec.ports?.first, let found = containers.firstIndex(where: { container in
            // The container that declares the port the service sends its traffic to.
            guard let target = Self.targetPort(of: first, in: container) else { return false }
            return (container.ports ?? []).contains { $0.containerPort == target }
        }) {
            index = found
        } else {
            throw .ambiguousContainer(pod: podName, available: containers.map(\.name))
        }
        let container = containers[index]
        let targets = (service.spec.ports ?? []).compactMap { Self.targetPort(of: $0, in: container) }
        let declared = (container.ports ?? []).filter { ($0.protocol ?? "TCP") == "TCP" }.map(\.containerPort)
        let ports = Array(Set(targets + declared)).sorted()
        guard let primary = targets.first ?? declared.first else {
            throw .serviceWithoutPods(service: name, namespace: namespace, selector: selectorText)
        }
        return TakeoverTarget(
            service: service, workload: workload, container: container.name,
            containerPorts: ports, primaryPort: primary, volumeMounts: container.volumeMounts ?? [], volumes: pod.spec.volumes ?? []
        )
    }

    /// A pod that no Service fronts: its workload (its controller, or itself), without traffic.
    public func resolve(pod name: String, namespace: String, container wanted: String?) async throws(SessionError) -> TakeoverTarget {
        let pod: Pod
        do {
            pod = try await client.get(Pod.self, name: name, namespace: namespace)
        } catch .namespaceNotFound(let missing) {
            throw .cluster(.namespaceNotFound(missing))
        } catch let error where error.isNotFound {
            let available = (try? await client.list(Pod.self, namespace: namespace).compactMap(\.metadata.name).sorted()) ?? []
            throw .targetNotFound(kind: "pod", name: name, namespace: namespace, available: available)
        } catch {
            throw .cluster(error)
        }
        return try withoutService(try await owner(of: pod, namespace: namespace), spec: pod.spec, shown: name, container: wanted)
    }

    /// A Deployment or StatefulSet that no Service fronts, without traffic.
    public func resolve(workload: WorkloadReference, container wanted: String?) async throws(SessionError) -> TakeoverTarget {
        if workload.kind == .pod { return try await resolve(pod: workload.name, namespace: workload.namespace, container: wanted) }
        var spec: PodSpec
        do throws(KubernetesError) {
            let workloadSpec = workload.kind == .deployment
                ? try await client.get(Deployment.self, name: workload.name, namespace: workload.namespace).spec
                : try await client.get(StatefulSet.self, name: workload.name, namespace: workload.namespace).spec
            spec = workloadSpec.template.spec
            // A running pod has what admission adds to the template (the service-account token's
            // volume): its volumes and mounts, the template's containers.
            let pods = try await client.list(Pod.self, namespace: workload.namespace, options: ListOptions(labelSelector: workloadSpec.selector.queryString))
            if let pod = pods.first(where: { $0.metadata.deletionTimestamp == nil }) {
                spec.volumes = pod.spec.volumes
                spec.containers = spec.containers.map { container in
                    var container = container
                    container.volumeMounts = pod.spec.containers.first { $0.name == container.name }?.volumeMounts ?? container.volumeMounts
                    return container
                }
            }
        } catch .namespaceNotFound(let missing) {
            throw .cluster(.namespaceNotFound(missing))
        } catch let error where error.isNotFound {
            let names: [String]
            switch workload.kind {
            case .deployment: names = (try? await client.list(Deployment.self, namespace: workload.namespace).compactMap(\.metadata.name)) ?? []
            default: names = (try? await client.list(StatefulSet.self, namespace: workload.namespace).compactMap(\.metadata.name)) ?? []
            }
            throw .targetNotFound(kind: workload.kind.rawValue.lowercased(), name: workload.name, namespace: workload.namespace, available: names.sorted())
        } catch {
            throw .cluster(error)
        }
        return try withoutService(workload, spec: spec, shown: workload.name, container: wanted)
    }

    private func withoutService(_ workload: WorkloadReference, spec: PodSpec, shown: String, container wanted: String?) throws(SessionError) -> TakeoverTarget {
        let containers = spec.containers
        let index: Int
        if let wanted {
            guard let found = containers.firstIndex(where: { $0.name == wanted }) else {
                throw .containerNotFound(container: wanted, pod: shown, available: containers.map(\.name))
            }
            index = found
        } else if containers.count == 1 {
            index = 0
        } else {
            throw .ambiguousContainer(pod: shown, available: containers.map(\.name))
        }
        let container = containers[index]
        return TakeoverTarget(
            service: nil, workload: workload, container: container.name, containerPorts: [], primaryPort: 0,
            volumeMounts: container.volumeMounts ?? [], volumes: spec.volumes ?? []
        )
    }

    /// The port number a service port reaches in `container` (a named target port resolved
    /// against the container's ports), or nil when the container does not have it.
    static func targetPort(of port: ServicePort, in container: Container) -> Int? {
        switch port.targetPort {
        case .int(let number): return number
        case .string(let portName): return container.ports?.first { $0.name == portName }?.containerPort
        case nil: return port.port
        }
    }

    private func owner(of pod: Pod, namespace: String) async throws(SessionError) -> WorkloadReference {
        let podName = pod.metadata.nameOrEmpty
        guard let controller = pod.metadata.ownerReferences?.first(where: { $0.controller == true }) else {
            return WorkloadReference(kind: .pod, name: podName, namespace: namespace)
        }
        switch controller.kind {
        case "StatefulSet":
            return WorkloadReference(kind: .statefulSet, name: controller.name, namespace: namespace)
        case "ReplicaSet":
            let replicaSet: ReplicaSet
            do {
                replicaSet = try await client.get(ReplicaSet.self, name: controller.name, namespace: namespace)
            } catch {
                throw .cluster(error)
            }
            guard let deployment = replicaSet.metadata.ownerReferences?.first(where: { $0.controller == true && $0.kind == "Deployment" }) else {
                throw .unsupportedOwner(pod: podName, kind: "ReplicaSet", name: controller.name)
            }
            return WorkloadReference(kind: .deployment, name: deployment.name, namespace: namespace)
        default:
            throw .unsupportedOwner(pod: podName, kind: controller.kind, name: controller.name)
        }
    }
}
