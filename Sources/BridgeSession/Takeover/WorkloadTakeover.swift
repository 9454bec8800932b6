import Foundation
import KubernetesClient

/// What a take-over changed, to be given back.
public struct TakenOver: Sendable, Codable {
    public var workload: WorkloadReference
    public var agentPorts: AgentPorts
    /// The replica count before the session, when kbridge scaled the workload down to one.
    public var scaledFrom: Int?
}

/// Replaces a workload's container by the agent and puts it back.
///
/// Deployments and StatefulSets are patched in place: a JSON patch that first *tests* the
/// container and replica count it read (so a concurrent change fails instead of being
/// overwritten), saves the original pod template and replica count in the annotation
/// `kbridge.dev/original`, labels the template with the session, swaps the container and
/// scales to one replica. A bare Pod cannot be edited that way: it is deleted and created again
/// with the agent (the original kept in the same annotation), and the reverse on restore.
/// Restoring needs nothing but the workload and the session id, so any later `kbridge` can do it.
public struct WorkloadTakeover: Sendable {
    let client: KubernetesClient
    /// How long a pod may take to go away when a bare pod is recreated.
    var podDeletionTimeout: Duration = .seconds(60)

    public init(client: KubernetesClient) {
        self.client = client
    }

    /// The annotation's content.
    struct Original: Codable, Equatable {
        var session: String
        var replicas: Int?
        var template: JSONValue?
        var pod: JSONValue?
    }

    public func takeOver(_ target: TakeoverTarget, session: SessionIdentity, image: String) async throws(SessionError) -> TakenOver {
        let workload = target.workload
        let object: JSONValue
        do {
            object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
        } catch {
            throw .cluster(error)
        }
        if let existing = Self.original(in: object) { throw .alreadyTakenOver(workload: workload.description, session: existing.session) }
        let ports = AgentPorts.avoiding(target.containerPorts)
        try await createSecret(session: session, namespace: workload.namespace, owner: workload.kind == .pod ? nil : object)
        do {
            switch workload.kind {
            case .deployment, .statefulSet:
                let scaledFrom = try await patchTemplate(object, target: target, session: session, image: image, ports: ports)
                return TakenOver(workload: workload, agentPorts: ports, scaledFrom: scaledFrom)
            case .pod:
                try await recreatePod(object, target: target, session: session, image: image, ports: ports)
                return TakenOver(workload: workload, agentPorts: ports, scaledFrom: nil)
            }
        } catch {
            await deleteSecret(session: session.id, namespace: workload.namespace)
            throw error
        }
    }

    /// Puts the workload back as the annotation of `session` recorded it, and deletes the
    /// session's Secret. Does nothing when the workload carries no annotation of this session.
    public func restore(_ workload: WorkloadReference, session: String) async throws(SessionError) {
        for _ in 0..<3 {
            let object: JSONValue
            do {
                object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
            } catch let error where error.isNotFound {
                await deleteSecret(session: session, namespace: workload.namespace)
                return
            } catch {
                throw .restoreFailed(workload: workload.description, detail: error.description)
            }
            guard let original = Self.original(in: object), original.session == session else {
                await deleteSecret(session: session, namespace: workload.namespace)
                return
            }
            do {
                switch workload.kind {
                case .deployment, .statefulSet: try await restoreTemplate(object, original: original, workload: workload)
                case .pod: try await restorePod(original: original, workload: workload)
                }
                await deleteSecret(session: session, namespace: workload.namespace)
                return
            } catch let error where error.isInvalid || error.isConflict {
                continue  // changed between read and patch: read again
            } catch {
                throw .restoreFailed(workload: workload.description, detail: error.description)
            }
        }
        throw .restoreFailed(workload: workload.description, detail: "it kept changing while kbridge was restoring it")
    }

    // MARK: Deployments and StatefulSets

    private func patchTemplate(_ object: JSONValue, target: TakeoverTarget, session: SessionIdentity, image: String, ports: AgentPorts) async throws(SessionError) -> Int? {
        let workload = target.workload
        let index = target.containerIndex
        guard let template = object[path: "spec", "template"], let container = template[path: "spec", "containers"]?[index],
              container["name"]?.stringValue == target.container else {
            throw .changedMeanwhile(workload: workload.description)
        }
        let replicas = object[path: "spec", "replicas"]?.intValue
        let saved = Original(session: session.id, replicas: replicas, template: template)
        let agent = AgentContainer.build(from: container, image: image, ports: ports, servicePorts: target.containerPorts, secretName: session.secretName)

        var operations: [JSONPatchOperation] = [.test("/spec/template/spec/containers/\(index)", container)]
        if let replicas { operations.append(.test("/spec/replicas", .integer(Int64(replicas)))) }
        operations += Self.addAnnotation(saved, to: object)
        if template[path: "metadata", "labels"] == nil {
            operations.append(.add("/spec/template/metadata/labels", [ClusterNames.sessionLabel: .string(session.id)]))
        } else {
            operations.append(.add("/spec/template/metadata/labels/\(JSONPatchOperation.escape(ClusterNames.sessionLabel))", .string(session.id)))
        }
        operations.append(.replace("/spec/template/spec/containers/\(index)", agent))
        let scaledFrom = (replicas ?? 1) > 1 ? replicas : nil
        if scaledFrom != nil { operations.append(.replace("/spec/replicas", 1)) }
        do {
            _ = try await client.patchRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace, .json(operations))
        } catch let error where error.isInvalid || error.isConflict {
            throw .changedMeanwhile(workload: workload.description)
        } catch {
            throw .cluster(error)
        }
        return scaledFrom
    }

    private func restoreTemplate(_ object: JSONValue, original: Original, workload: WorkloadReference) async throws(KubernetesError) {
        guard let template = original.template else { return }
        let annotation = "/metadata/annotations/\(JSONPatchOperation.escape(ClusterNames.originalAnnotation))"
        var operations: [JSONPatchOperation] = [
            .test(annotation, object[path: "metadata", "annotations", ClusterNames.originalAnnotation] ?? .null),
            .replace("/spec/template", template),
        ]
        if let replicas = original.replicas { operations.append(.add("/spec/replicas", .integer(Int64(replicas)))) }
        operations.append(.remove(annotation))
        _ = try await client.patchRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace, .json(operations))
    }

    // MARK: Bare pods

    private func recreatePod(_ object: JSONValue, target: TakeoverTarget, session: SessionIdentity, image: String, ports: AgentPorts) async throws(SessionError) {
        let workload = target.workload
        let original = Self.recreatable(object)
        guard let container = original[path: "spec", "containers"]?[target.containerIndex], container["name"]?.stringValue == target.container,
              var containers = original[path: "spec", "containers"]?.arrayValue else {
            throw .changedMeanwhile(workload: workload.description)
        }
        containers[target.containerIndex] = AgentContainer.build(from: container, image: image, ports: ports, servicePorts: target.containerPorts, secretName: session.secretName)
        var agentPod = original
        var spec = original["spec"]?.objectValue ?? [:]
        spec["containers"] = .array(containers)
        agentPod["spec"] = .object(spec)
        var metadata = original["metadata"]?.objectValue ?? [:]
        var labels = metadata["labels"]?.objectValue ?? [:]
        labels[ClusterNames.sessionLabel] = .string(session.id)
        metadata["labels"] = .object(labels)
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        annotations[ClusterNames.originalAnnotation] = .string(Self.encode(Original(session: session.id, pod: original)))
        metadata["annotations"] = .object(annotations)
        agentPod["metadata"] = .object(metadata)
        do {
            try await replacePod(named: workload.name, namespace: workload.namespace, with: agentPod)
        } catch {
            // Put the original back if the agent pod could not be created.
            _ = try? await client.createRaw(.pods, original, namespace: workload.namespace)
            throw .cluster(error)
        }
    }

    private func restorePod(original: Original, workload: WorkloadReference) async throws(KubernetesError) {
        guard let pod = original.pod else { return }
        try await replacePod(named: workload.name, namespace: workload.namespace, with: pod)
    }

    private func replacePod(named name: String, namespace: String, with replacement: JSONValue) async throws(KubernetesError) {
        do {
            try await client.delete(.pods, name: name, namespace: namespace)
        } catch let error where !error.isNotFound {
            throw error
        } catch {}
        let deadline = ContinuousClock.now + podDeletionTimeout
        while ContinuousClock.now < deadline {
            do {
                _ = try await client.getRaw(.pods, name: name, namespace: namespace)
            } catch let error where error.isNotFound {
                break
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        _ = try await client.createRaw(.pods, replacement, namespace: namespace)
    }

    /// A pod as it can be created again: without status and the fields the server sets.
    static func recreatable(_ pod: JSONValue) -> JSONValue {
        var copy = pod
        copy["status"] = nil
        var metadata = pod["metadata"]?.objectValue ?? [:]
        for field in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            metadata[field] = nil
        }
        copy["metadata"] = .object(metadata)
        return copy
    }

    // MARK: Annotation and Secret

    static func original(in object: JSONValue) -> Original? {
        guard let text = object[path: "metadata", "annotations", ClusterNames.originalAnnotation]?.stringValue,
              let value = try? JSONValue.parse(text) else { return nil }
        return try? value.decode(as: Original.self)
    }

    static func encode(_ original: Original) -> String {
        (try? JSONValue(encoding: original))?.jsonString ?? "{}"
    }

    private static func addAnnotation(_ original: Original, to object: JSONValue) -> [JSONPatchOperation] {
        let text = JSONValue.string(encode(original))
        if object[path: "metadata", "annotations"] == nil {
            return [.add("/metadata/annotations", [ClusterNames.originalAnnotation: text])]
        }
        return [.add("/metadata/annotations/\(JSONPatchOperation.escape(ClusterNames.originalAnnotation))", text)]
    }

    private func createSecret(session: SessionIdentity, namespace: String, owner: JSONValue?) async throws(SessionError) {
        var metadata: [String: JSONValue] = [
            "name": .string(session.secretName),
            "labels": [ClusterNames.sessionLabel: .string(session.id), ClusterNames.managedByLabel: "kbridge"],
        ]
        if let owner, let uid = owner[path: "metadata", "uid"], let kind = owner["kind"], let apiVersion = owner["apiVersion"], let name = owner[path: "metadata", "name"] {
            // Garbage-collected with the workload if that is deleted during the session.
            metadata["ownerReferences"] = [["apiVersion": apiVersion, "kind": kind, "name": name, "uid": uid]]
        }
        do {
            _ = try await client.createRaw(.secrets, ["metadata": .object(metadata), "type": "Opaque", "stringData": [ClusterNames.secretKey: .string(session.secret)]], namespace: namespace)
        } catch {
            throw .cluster(error)
        }
    }

    private func deleteSecret(session: String, namespace: String) async {
        try? await client.delete(.secrets, name: "kbridge-session-\(session)", namespace: namespace)
    }
}
