import Isolation
import KubernetesClient

/// A take-over found in the cluster, whatever this machine remembers.
public struct FoundTakeover: Sendable, Equatable {
    public var workload: WorkloadReference
    public var session: String
    /// The labels of the pods it runs (the pod template's, or the bare pod's): which services select it.
    var podLabels: [String: String]
}

/// Finds take-overs from the cluster side alone: workloads that carry kbridge's annotation or
/// session label, and bare Pods that exist only in a session's Secret (deleted for the take-over,
/// not yet replaced).
public struct TakeoverFinder: Sendable {
    let client: KubernetesClient

    public init(client: KubernetesClient) {
        self.client = client
    }

    /// Every take-over in `namespace` (nil: in every namespace).
    public func all(namespace: String?) async throws(SessionError) -> [FoundTakeover] {
        var found: [FoundTakeover] = []
        let everywhere = namespace == nil
        do {
            for kind in [WorkloadReference.Kind.deployment, .statefulSet, .pod] {
                for object in try await client.listRaw(kind.resourceType, namespace: namespace, allNamespaces: everywhere).items {
                    let namespace = object[path: "metadata", "namespace"]?.stringValue ?? namespace ?? ""
                    // A controller's pods are its take-over's, not take-overs of their own.
                    guard kind != .pod || object[path: "metadata", "ownerReferences"]?.arrayValue?.isEmpty ?? true else { continue }
                    // An isolated session's copy is not a take-over: its session's give-back deletes it (`ClusterCleanup`).
                    guard kind != .pod || object[path: "metadata", "labels", RoutingNames.routeFromLabel] == nil else { continue }
                    guard let name = object[path: "metadata", "name"]?.stringValue,
                          let session = SavedOriginal.inAnnotation(of: object)?.session ?? WorkloadTakeover.carriesSession(object, kind: kind) else { continue }
                    let labels = kind == .pod ? object[path: "metadata", "labels"] : object[path: "spec", "template", "metadata", "labels"]
                    found.append(FoundTakeover(workload: WorkloadReference(kind: kind, name: name, namespace: namespace), session: session, podLabels: Self.strings(labels)))
                }
            }
            let secrets = try await client.listRaw(.secrets, namespace: namespace, allNamespaces: everywhere, options: ListOptions(labelSelector: ClusterNames.sessionLabel)).items
            for secret in secrets {
                let namespace = secret[path: "metadata", "namespace"]?.stringValue ?? namespace ?? ""
                guard let saved = SavedOriginal.inSecret(secret), let pod = saved.pod, let name = pod[path: "metadata", "name"]?.stringValue,
                      !found.contains(where: { $0.workload == WorkloadReference(kind: .pod, name: name, namespace: namespace) }) else { continue }
                do {
                    _ = try await client.getRaw(.pods, name: name, namespace: namespace)
                } catch let error where error.isNotFound {
                    found.append(FoundTakeover(workload: WorkloadReference(kind: .pod, name: name, namespace: namespace), session: saved.session, podLabels: Self.strings(pod[path: "metadata", "labels"])))
                }
            }
        } catch {
            throw .cluster(error)
        }
        return found
    }

    /// The take-over of the workload behind `service`, if any.
    public func find(service name: String, namespace: String) async throws(SessionError) -> FoundTakeover? {
        let service: Service
        do {
            service = try await client.get(Service.self, name: name, namespace: namespace)
        } catch let error where error.isNotFound {
            let available = (try? await client.list(Service.self, namespace: namespace).compactMap(\.metadata.name).sorted()) ?? []
            throw .serviceNotFound(service: name, namespace: namespace, available: available)
        } catch {
            throw .cluster(error)
        }
        guard let selector = service.spec.selector, !selector.isEmpty else { return nil }
        return try await all(namespace: namespace).first { found in selector.allSatisfy { found.podLabels[$0.key] == $0.value } }
    }

    private static func strings(_ labels: JSONValue?) -> [String: String] {
        (labels?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}
