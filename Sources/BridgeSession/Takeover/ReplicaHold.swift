import KubernetesClient

/// Keeps a taken-over Deployment or StatefulSet at one replica while the session lasts: every
/// request must reach the one agent pod that carries the tunnel (a second agent pod would answer
/// nothing). A scale during the session is held at one, said, and remembered on the workload
/// (`ClusterNames.requestedReplicasAnnotation`), so that whoever gives the workload back (the
/// session, `disconnect`, `clean`, the guard) gives it the count that was asked for.
struct ReplicaHold: Sendable {
    let client: KubernetesClient
    let workload: WorkloadReference
    let session: String

    /// Holds the workload at one replica if someone scaled it; what was held (the count asked
    /// for), or nil when nothing had to be done.
    func hold() async throws(KubernetesError) -> Int? {
        guard workload.kind != .pod else { return nil }
        // A controller writing the workload's status between the read and the patch fails the
        // patch's test: read again, a few times.
        for _ in 0..<5 {
            let object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
            guard WorkloadTakeover.carriesSession(object, kind: workload.kind) == session,
                  let replicas = object[path: "spec", "replicas"]?.intValue, replicas > 1 else { return nil }
            let annotation = "/metadata/annotations/\(JSONPatchOperation.escape(ClusterNames.requestedReplicasAnnotation))"
            let operations: [JSONPatchOperation] = [
                .test("/metadata/resourceVersion", object[path: "metadata", "resourceVersion"] ?? .null),
                .replace("/spec/replicas", .integer(1)),
                .add(annotation, .string(String(replicas))),
            ]
            do {
                _ = try await client.patchRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace, .json(operations))
                return replicas
            } catch where error.isInvalid || error.isConflict {
                continue
            }
        }
        return nil  // changed at every try: looked at again next time
    }
}
