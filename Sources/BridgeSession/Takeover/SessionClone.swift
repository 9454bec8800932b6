import Foundation
import Isolation
import KubernetesClient

/// Isolation mode's copy of a workload's pod: the pod template (or the bare Pod) with the app's
/// container replaced by the agent, as a take-over would replace it, created as a Pod of its
/// own beside the original pods, which keep serving everyone. The workload is not touched.
///
/// The copy carries none of the template's labels (the service's selector would send it
/// everyone's requests), only the session's and the seeds' routing names: the label
/// `routing.visualstudio.io/route-from=SERVICE` and the annotations
/// `routing.visualstudio.io/route-on-header=kubernetes-route-as=NAME` and
/// `routing.visualstudio.io/debugged-container-name=CONTAINER`, which the routing manager
/// reads. It gets the session secret from the session's Secret, created first; giving it back
/// deletes both.
public struct SessionClone: Sendable {
    let client: KubernetesClient

    public init(client: KubernetesClient) {
        self.client = client
    }

    /// A copy read and built, not yet created.
    public struct Prepared: Sendable {
        public let name: String
        let pod: JSONValue
        let ports: AgentPorts
        /// Volumes the template's containers mount that only a StatefulSet's claim templates give:
        /// empty in the copy.
        public let emptiedVolumes: [String]
    }

    /// The copy's name for `service`, routing name `routeAs`, and the session.
    public static func podName(service: String, routeAs: String, session: String) -> String {
        RoutingNames.clonePod(of: service, for: routeAs, session: session)
    }

    /// Reads the workload and builds its copy; changes nothing.
    public func prepare(_ target: TakeoverTarget, session: SessionIdentity, image: String, routeAs: String) async throws(SessionError) -> Prepared {
        let workload = target.workload
        let object: JSONValue
        do {
            object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
        } catch {
            throw .cluster(error)
        }
        guard var spec = workload.kind == .pod ? object["spec"] : object[path: "spec", "template", "spec"],
              var containers = spec["containers"]?.arrayValue,
              let index = containers.firstIndex(where: { $0["name"]?.stringValue == target.container })
        else {
            throw .changedMeanwhile(workload: workload.description)
        }
        let ports = AgentPorts.avoiding(target.containerPorts)
        containers[index] = AgentContainer.build(
            from: containers[index], podSecurity: spec["securityContext"], image: image, ports: ports, servicePorts: target.containerPorts,
            secretName: session.secretName, keeping: target.kept
        )
        spec["containers"] = .array(containers)
        // Where the pod ran, and how a bare pod was scheduled, is the scheduler's to decide anew.
        spec["nodeName"] = nil
        var volumes = spec["volumes"]?.arrayValue ?? []
        let declared = Set(volumes.compactMap { $0["name"]?.stringValue })
        let mounted = Set(((spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? []))
            .flatMap { $0["volumeMounts"]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue })
        let emptied = mounted.subtracting(declared).sorted()
        for name in emptied { volumes.append(["name": .string(name), "emptyDir": [:]]) }
        if !volumes.isEmpty { spec["volumes"] = .array(volumes) }
        let service = target.service?.metadata.nameOrEmpty ?? ""
        let name = Self.podName(service: service, routeAs: routeAs, session: session.id)
        let pod: JSONValue = [
            "metadata": [
                "name": .string(name),
                "labels": [
                    ClusterNames.sessionLabel: .string(session.id), RoutingNames.routeFromLabel: .string(service), ClusterNames.managedByLabel: "kbridge",
                ],
                "annotations": [
                    RoutingNames.routeOnHeaderAnnotation: .string(RoutingNames.routeOnHeader(routeAs)),
                    RoutingNames.debuggedContainerAnnotation: .string(target.container),
                    ClusterNames.machineAnnotation: .string(ProcessInfo.processInfo.hostName),
                ],
            ],
            "spec": spec,
        ]
        return Prepared(name: name, pod: pod, ports: ports, emptiedVolumes: emptied)
    }

    /// Creates the session's Secret, then the copy.
    public func apply(_ prepared: Prepared, target: TakeoverTarget, session: SessionIdentity) async throws(SessionError) -> TakenOver {
        let namespace = target.workload.namespace
        try await WorkloadTakeover(client: client).createSecret(session: session, original: nil, namespace: namespace, owner: nil)
        do {
            _ = try await client.createRaw(.pods, prepared.pod, namespace: namespace)
        } catch {
            await WorkloadTakeover(client: client).deleteSecret(session: session.id, namespace: namespace)
            throw .cluster(error)
        }
        return TakenOver(workload: target.workload, agentPorts: prepared.ports, scaledFrom: nil, originalDigest: "", clonePod: prepared.name)
    }

    /// Deletes the copies and the session's Secret; read back: each copy is gone or on its way out.
    public func remove(_ pods: [String], session: String, namespace: String) async throws(SessionError) {
        for pod in pods {
            let left: JSONValue
            do {
                try await client.delete(.pods, name: pod, namespace: namespace)
                left = try await client.getRaw(.pods, name: pod, namespace: namespace)
            } catch let error where error.isNotFound {
                continue
            } catch {
                throw .cluster(error)
            }
            guard left[path: "metadata", "deletionTimestamp"] != nil else {
                throw .restoreFailed(workload: "pod \(pod)", detail: "it was deleted but is still there, not being deleted")
            }
        }
        do {
            try await client.delete(.secrets, name: ClusterNames.session(session), namespace: namespace)
        } catch let error where error.isNotFound {
        } catch {
            throw .cluster(error)
        }
    }
}
