import Foundation
import KubernetesClient

/// What a take-over changed, to be given back.
public struct TakenOver: Sendable, Codable {
    public var workload: WorkloadReference
    public var agentPorts: AgentPorts
    /// The replica count before the session, when kbridge scaled the workload down to one.
    public var scaledFrom: Int?
    /// The SHA-256 of the original saved (`OriginalCheck`).
    public var originalDigest: String
    /// Isolation mode: the copy of the workload's pod that runs the agent (the workload is untouched).
    public var clonePod: String? = nil
}

/// Replaces a workload's container by the agent and puts it back.
///
/// The original is saved in the cluster before anything changes: in the session's Secret
/// (created first), then in the annotation `kbridge.dev/original` of the workload.
/// Deployments and StatefulSets are patched in place: a JSON patch that first *tests* the
/// container and replica count it read (so a concurrent change fails instead of being
/// overwritten), adds the annotation, labels the template with the session, swaps the container
/// and scales to one replica. A bare Pod cannot be edited that way: it is deleted and created
/// again with the agent, and the reverse on restore; between the two the original exists only in
/// the Secret, which is where a restore finds it. Restoring needs nothing but the workload and
/// the session id, so any later `kbridge` can do it (`WorkloadTakeover+Restore.swift`).
public struct WorkloadTakeover: Sendable {
    let client: KubernetesClient
    /// How long a pod may take to go away when a bare pod is recreated (its grace period, then
    /// the kubelet's own pace: a real node under load was seen taking over a minute).
    var podDeletionTimeout: Duration = .seconds(180)

    public init(client: KubernetesClient) {
        self.client = client
    }

    /// The session that holds the workload now, if any.
    public func holder(of workload: WorkloadReference) async throws(SessionError) -> String? {
        do {
            let object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
            return SavedOriginal.inAnnotation(of: object)?.session ?? Self.carriesSession(object, kind: workload.kind)
        } catch {
            throw .cluster(error)
        }
    }

    /// A take-over read and decided, not yet applied: what it will save, and that text's digest
    /// (which the session's guard and Lease keep, so that a restore can tell it from one someone
    /// else wrote into the annotation or the Secret since).
    public struct Prepared: Sendable {
        let object: JSONValue
        let saved: SavedOriginal
        let ports: AgentPorts
        public var originalDigest: String { saved.digest }
    }

    /// Reads the workload and decides the take-over; changes nothing.
    public func prepare(_ target: TakeoverTarget, session: SessionIdentity, image: String) async throws(SessionError) -> Prepared {
        let workload = target.workload
        let object: JSONValue
        do {
            object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
        } catch {
            throw .cluster(error)
        }
        if let holder = SavedOriginal.inAnnotation(of: object)?.session ?? Self.carriesSession(object, kind: workload.kind) {
            throw .alreadyTakenOver(workload: workload.description, service: target.service?.metadata.nameOrEmpty ?? "", session: holder)
        }
        let ports = AgentPorts.avoiding(target.containerPorts)
        let saved = try SavedOriginal.of(object, target: target, session: session, image: image, ports: ports)
        return Prepared(object: object, saved: saved, ports: ports)
    }

    /// Saves the original (the session's Secret, then the annotation) and puts the agent in place.
    public func apply(_ prepared: Prepared, target: TakeoverTarget, session: SessionIdentity) async throws(SessionError) -> TakenOver {
        let workload = target.workload
        let (object, saved, ports) = (prepared.object, prepared.saved, prepared.ports)
        try await createSecret(session: session, original: saved.encoded, namespace: workload.namespace, owner: workload.kind == .pod ? nil : object)
        do {
            switch workload.kind {
            case .deployment, .statefulSet:
                try await patchTemplate(object, target: target, saved: saved)
                return TakenOver(workload: workload, agentPorts: ports, scaledFrom: saved.scaled ? saved.replicas : nil, originalDigest: saved.digest)
            case .pod:
                try await recreatePod(target: target, saved: saved)
                return TakenOver(workload: workload, agentPorts: ports, scaledFrom: nil, originalDigest: saved.digest)
            }
        } catch {
            // The Secret goes only if the original is in place: for a bare Pod that could not be
            // put back, it is the only copy (a later restore or `kbridge clean` creates it from there).
            var originalInPlace = true
            if workload.kind == .pod {
                let pod = try? await client.getRaw(.pods, name: workload.name, namespace: workload.namespace)
                originalInPlace = pod != nil && pod?[path: "metadata", "deletionTimestamp"] == nil
            }
            if originalInPlace { await deleteSecret(session: session.id, namespace: workload.namespace) }
            throw error
        }
    }

    /// `prepare` then `apply`.
    public func takeOver(_ target: TakeoverTarget, session: SessionIdentity, image: String) async throws(SessionError) -> TakenOver {
        try await apply(try await prepare(target, session: session, image: image), target: target, session: session)
    }

    // MARK: Deployments and StatefulSets

    private func patchTemplate(_ object: JSONValue, target: TakeoverTarget, saved: SavedOriginal) async throws(SessionError) {
        let workload = target.workload
        guard let template = saved.template, let index = saved.index(in: template[path: "spec", "containers"]),
              let container = template[path: "spec", "containers"]?[index], let agent = saved.agent
        else {
            throw .changedMeanwhile(workload: workload.description)
        }
        var operations: [JSONPatchOperation] = [.test("/spec/template/spec/containers/\(index)", container)]
        if let replicas = saved.replicas { operations.append(.test("/spec/replicas", .integer(Int64(replicas)))) }
        operations += Self.addAnnotation(saved, to: object)
        if template[path: "metadata", "labels"] == nil {
            operations.append(.add("/spec/template/metadata/labels", [ClusterNames.sessionLabel: .string(saved.session)]))
        } else {
            operations.append(.add("/spec/template/metadata/labels/\(JSONPatchOperation.escape(ClusterNames.sessionLabel))", .string(saved.session)))
        }
        operations.append(.replace("/spec/template/spec/containers/\(index)", agent))
        if saved.scaled { operations.append(.replace("/spec/replicas", 1)) }
        do {
            _ = try await client.patchRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace, .json(operations))
        } catch let error where error.isInvalid || error.isConflict {
            throw .changedMeanwhile(workload: workload.description)
        } catch {
            throw .cluster(error)
        }
    }

    // MARK: Bare pods

    private func recreatePod(target: TakeoverTarget, saved: SavedOriginal) async throws(SessionError) {
        let workload = target.workload
        guard let original = saved.pod, let agent = saved.agent, var containers = original[path: "spec", "containers"]?.arrayValue,
              let index = saved.index(in: original[path: "spec", "containers"])
        else {
            throw .changedMeanwhile(workload: workload.description)
        }
        containers[index] = agent
        var agentPod = original
        var spec = original["spec"]?.objectValue ?? [:]
        spec["containers"] = .array(containers)
        agentPod["spec"] = .object(spec)
        var metadata = original["metadata"]?.objectValue ?? [:]
        var labels = metadata["labels"]?.objectValue ?? [:]
        labels[ClusterNames.sessionLabel] = .string(saved.session)
        metadata["labels"] = .object(labels)
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        annotations[ClusterNames.originalAnnotation] = .string(saved.encoded)
        metadata["annotations"] = .object(annotations)
        agentPod["metadata"] = .object(metadata)
        do {
            try await replacePod(named: workload.name, namespace: workload.namespace, with: agentPod)
        } catch {
            // Put the original back if the agent pod could not be created (once the pod is gone).
            try? await waitUntilGone(pod: workload.name, namespace: workload.namespace)
            _ = try? await client.createRaw(.pods, original, namespace: workload.namespace)
            throw .cluster(error)
        }
    }

    func replacePod(named name: String, namespace: String, with replacement: JSONValue) async throws(KubernetesError) {
        do {
            try await client.delete(.pods, name: name, namespace: namespace)
        } catch let error where !error.isNotFound {
            throw error
        } catch {}
        try await waitUntilGone(pod: name, namespace: namespace)
        _ = try await client.createRaw(.pods, replacement, namespace: namespace)
    }

    /// Waits (up to `podDeletionTimeout`) for a deleted pod to be gone.
    func waitUntilGone(pod name: String, namespace: String) async throws(KubernetesError) {
        let deadline = ContinuousClock.now + podDeletionTimeout
        while ContinuousClock.now < deadline {
            do {
                _ = try await client.getRaw(.pods, name: name, namespace: namespace)
            } catch let error where error.isNotFound {
                return
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    // MARK: Annotation and Secret

    private static func addAnnotation(_ saved: SavedOriginal, to object: JSONValue) -> [JSONPatchOperation] {
        let text = JSONValue.string(saved.encoded)
        if object[path: "metadata", "annotations"] == nil {
            return [.add("/metadata/annotations", [ClusterNames.originalAnnotation: text])]
        }
        return [.add("/metadata/annotations/\(JSONPatchOperation.escape(ClusterNames.originalAnnotation))", text)]
    }

    /// The session's Secret: the secret the agent gets, and the original of a take-over (the only
    /// copy of a bare Pod while it is being replaced).
    func createSecret(session: SessionIdentity, original: String?, namespace: String, owner: JSONValue?) async throws(SessionError) {
        var metadata: [String: JSONValue] = [
            "name": .string(session.secretName),
            "labels": [ClusterNames.sessionLabel: .string(session.id), ClusterNames.managedByLabel: "kbridge"],
        ]
        if let owner, let uid = owner[path: "metadata", "uid"], let kind = owner["kind"], let apiVersion = owner["apiVersion"], let name = owner[path: "metadata", "name"] {
            // Garbage-collected with the workload if that is deleted during the session.
            metadata["ownerReferences"] = [["apiVersion": apiVersion, "kind": kind, "name": name, "uid": uid]]
        }
        var data: JSONValue = [ClusterNames.secretKey: .string(session.secret)]
        if let original { data[ClusterNames.originalKey] = .string(original) }
        do {
            _ = try await client.createRaw(.secrets, ["metadata": .object(metadata), "type": "Opaque", "stringData": data], namespace: namespace)
        } catch {
            throw .cluster(error)
        }
    }

    func deleteSecret(session: String, namespace: String) async {
        try? await client.delete(.secrets, name: ClusterNames.session(session), namespace: namespace)
    }
}
