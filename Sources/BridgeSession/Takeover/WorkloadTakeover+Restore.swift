import KubernetesClient

/// What a restore did beyond putting kbridge's changes back.
public struct Restored: Sendable, Equatable {
    /// Changes others made during the session that were kept (`replicas changed to 3 during the session: kept`).
    public var kept: [String] = []

    public init(kept: [String] = []) {
        self.kept = kept
    }
}

/// What a restore knows of the original its session saved, to tell it from one someone else
/// wrote since (the annotation and the Secret can be written by others than the session).
public enum OriginalCheck: Sendable, Equatable {
    /// Its SHA-256, as the session's CLI, guard and Lease remember it.
    case digest(String)
    /// Nothing (a session whose Lease is gone). A Deployment's or StatefulSet's saved original is
    /// applied (whoever could write it could edit the workload itself), but a bare Pod is not
    /// created from a Secret without `force`: whoever may write Secrets could have written it.
    case unknown
}

extension WorkloadTakeover {
    /// Gives back what session `session` changed in the workload, and deletes the session's Secret.
    ///
    /// Only kbridge's own changes are undone (the container, the session label, the replica count
    /// it lowered); what others changed meanwhile is kept and named in the answer. When someone
    /// changed the replaced container itself, nothing is touched and `restoreConflict` says how to
    /// finish: `force` then puts back the whole original. The original comes from the workload's
    /// annotation or, when that is gone (a bare Pod between delete and create, or an annotation
    /// someone removed), from the Secret. Success is claimed only after reading the workload back.
    public func restore(_ workload: WorkloadReference, session: String, force: Bool = false, check: OriginalCheck = .unknown) async throws(SessionError) -> Restored {
        for _ in 0..<3 {
            guard let restored = try await restoreOnce(workload, session: session, force: force, check: check) else { continue }
            await deleteSecret(session: session, namespace: workload.namespace)
            return restored
        }
        throw .restoreFailed(workload: workload.description, detail: "it kept changing while kbridge was restoring it")
    }

    /// One attempt; nil when the workload changed between reading and writing it.
    private func restoreOnce(_ workload: WorkloadReference, session: String, force: Bool, check: OriginalCheck) async throws(SessionError) -> Restored? {
        let failed = { (error: KubernetesError) in SessionError.restoreFailed(workload: workload.description, detail: error.description) }
        // Only "not found" means there is no Secret: any other failure must not be taken for it
        // (the Secret may hold the only copy of a bare Pod, deleted with it on success).
        let secret: JSONValue?
        do {
            secret = try await client.getRaw(.secrets, name: ClusterNames.session(session), namespace: workload.namespace)
        } catch {
            guard error.isNotFound else { throw failed(error) }
            secret = nil
        }
        let secretText = secret.flatMap(SavedOriginal.secretText)
        let fromSecret = secretText.flatMap(SavedOriginal.decode).flatMap { $0.session == session ? $0 : nil }
        let secretName = "Secret \(ClusterNames.session(session))"
        var found: JSONValue?
        do {
            found = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
        } catch {
            guard error.isNotFound else { throw failed(error) }
            found = nil
        }
        if workload.kind == .pod, fromSecret?.pod != nil, found?[path: "metadata", "deletionTimestamp"] != nil {
            // A bare Pod on its way out (the take-over deleted it, or its agent pod, and stopped
            // there): once gone it exists only in the Secret, from which it is created again.
            do { try await waitUntilGone(pod: workload.name, namespace: workload.namespace) } catch { throw failed(error) }
            found = nil
        }
        guard let object = found else {
            // A bare Pod deleted for the take-over and not yet replaced: the Secret holds it.
            if workload.kind == .pod, let pod = fromSecret?.pod {
                try Self.vouch(for: secretText, in: secretName, check: check, force: force, workload: workload, session: session)
                if check == .unknown, !force {
                    throw .restoreFailed(
                        workload: workload.description,
                        detail: "it exists only in \(secretName), and nothing of its session vouches for that Secret (its Lease is gone; anyone who may write Secrets in namespace \"\(workload.namespace)\" could have written it): check the Secret, then `kbridge disconnect --service SERVICE --session \(session) --force` creates the pod from it"
                    )
                }
                do { _ = try await client.createRaw(.pods, pod, namespace: workload.namespace) } catch { throw failed(error) }
                try await verify(workload, session: session, expecting: fromSecret)
            }
            return Restored()
        }
        let annotated = SavedOriginal.inAnnotation(of: object)
        if let annotated, annotated.session != session { return Restored() }  // another session's now: ours is over
        // Given back already (by a restore that was interrupted before deleting the Secret): the
        // Secret's original must not be applied again over what the workload is now.
        if annotated == nil, Self.carriesSession(object, kind: workload.kind) != session { return Restored() }
        guard let saved = annotated ?? fromSecret else {
            throw .restoreFailed(
                workload: workload.description,
                detail: "it still runs the agent of session \(session), but the original kbridge saved (annotation \(ClusterNames.originalAnnotation) and Secret \(ClusterNames.session(session))) is gone; put it back yourself (e.g. kubectl rollout undo)"
            )
        }
        if annotated != nil {
            try Self.vouch(for: SavedOriginal.annotationText(of: object), in: "the annotation \(ClusterNames.originalAnnotation)", check: check, force: force, workload: workload, session: session)
        } else {
            try Self.vouch(for: secretText, in: secretName, check: check, force: force, workload: workload, session: session)
        }
        switch workload.kind {
        case .deployment, .statefulSet:
            let merge = try Self.merge(object, saved: saved, force: force, workload: workload.description)
            do {
                _ = try await client.patchRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace, .json(merge.operations))
            } catch {
                guard error.isInvalid || error.isConflict else { throw failed(error) }
                return nil  // changed between read and patch: read again
            }
            try await verify(workload, session: session, expecting: saved)
            return Restored(kept: merge.kept)
        case .pod:
            guard Self.carriesSession(object, kind: .pod) == session, let pod = saved.pod else { return Restored() }
            do { try await replacePod(named: workload.name, namespace: workload.namespace, with: pod) } catch { throw failed(error) }
            try await verify(workload, session: session, expecting: saved)
            return Restored()
        }
    }

    /// Refuses a saved original whose text is not the one the session saved (unless forced).
    private static func vouch(
        for text: String?, in source: String, check: OriginalCheck, force: Bool, workload: WorkloadReference, session: String
    ) throws(SessionError) {
        guard !force, case .digest(let expected) = check else { return }
        guard let text, SavedOriginal.digest(of: text) == expected else {
            throw .restoreFailed(
                workload: workload.description,
                detail: "the original in \(source) is not the one session \(session) saved (someone changed it during the session), so nothing was applied: check it, then `kbridge disconnect --force` applies it as it is"
            )
        }
    }

    /// The session whose label the workload's pods (or the bare pod) carry.
    static func carriesSession(_ object: JSONValue, kind: WorkloadReference.Kind) -> String? {
        let labels = kind == .pod ? object[path: "metadata", "labels"] : object[path: "spec", "template", "metadata", "labels"]
        return labels?[ClusterNames.sessionLabel]?.stringValue
    }

    /// The JSON patch that undoes kbridge's changes to a Deployment or StatefulSet and keeps
    /// everyone else's; guarded by the resourceVersion it was computed from.
    static func merge(_ object: JSONValue, saved: SavedOriginal, force: Bool, workload: String) throws(SessionError) -> (operations: [JSONPatchOperation], kept: [String]) {
        var operations: [JSONPatchOperation] = [.test("/metadata/resourceVersion", object[path: "metadata", "resourceVersion"] ?? .null)]
        var kept: [String] = []
        let current = object[path: "spec", "template"] ?? [:]
        let currentReplicas = object[path: "spec", "replicas"]?.intValue
        if force || saved.agent == nil || saved.container == nil {
            if let template = saved.template { operations.append(.replace("/spec/template", template)) }
        } else {
            let containers = current[path: "spec", "containers"]?.arrayValue ?? []
            guard let index = containers.firstIndex(where: { $0["name"]?.stringValue == saved.container }), let original = saved.originalContainer else {
                throw .restoreConflict(workload: workload, detail: "its container \"\(saved.container ?? "")\" was removed")
            }
            if let agent = saved.agent, !containers[index].contains(agent) {
                throw .restoreConflict(workload: workload, detail: "its container \"\(saved.container ?? "")\", which runs the agent, was edited (\(Self.differences(containers[index], from: agent)))")
            }
            operations.append(.replace("/spec/template/spec/containers/\(index)", original))
            let label = "/spec/template/metadata/labels/\(JSONPatchOperation.escape(ClusterNames.sessionLabel))"
            if let originalLabel = saved.template?[path: "metadata", "labels", ClusterNames.sessionLabel] {
                operations.append(.replace(label, originalLabel))
            } else if current[path: "metadata", "labels", ClusterNames.sessionLabel] != nil {
                operations.append(.remove(label))
            }
            var otherChanges = current
            otherChanges[path: "spec", "containers"] = nil
            var savedRest = saved.template ?? [:]
            savedRest[path: "spec", "containers"] = nil
            otherChanges[path: "metadata", "labels", ClusterNames.sessionLabel] = nil
            savedRest[path: "metadata", "labels", ClusterNames.sessionLabel] = nil
            let otherContainers = containers.enumerated().filter { $0.offset != index }.map(\.element)
            let savedOthers = (saved.template?[path: "spec", "containers"]?.arrayValue ?? []).filter { $0["name"]?.stringValue != saved.container }
            if otherChanges != savedRest || otherContainers != savedOthers {
                kept.append("other changes to the pod template during the session: kept")
            }
        }
        // Replicas: the count someone asked for during the session (held at one meanwhile:
        // `ReplicaHold`), else the count kbridge lowered, unless someone changed it since.
        let requestedPath = "/metadata/annotations/\(JSONPatchOperation.escape(ClusterNames.requestedReplicasAnnotation))"
        if let requested = object[path: "metadata", "annotations", ClusterNames.requestedReplicasAnnotation]?.stringValue.flatMap(Int.init) {
            operations.append(.add("/spec/replicas", .integer(Int64(requested))))
            operations.append(.remove(requestedPath))
            kept.append("replicas set to \(requested) during the session (held at 1 while redirected): now \(requested)")
        } else if saved.scaled, let replicas = saved.replicas {
            if currentReplicas == 1 {
                operations.append(.replace("/spec/replicas", .integer(Int64(replicas))))
            } else if currentReplicas != replicas {
                kept.append("replicas changed to \(currentReplicas.map(String.init) ?? "none") during the session: kept (it had \(replicas) before)")
            }
        }
        let annotation = "/metadata/annotations/\(JSONPatchOperation.escape(ClusterNames.originalAnnotation))"
        if object[path: "metadata", "annotations", ClusterNames.originalAnnotation] != nil { operations.append(.remove(annotation)) }
        kept += metadataChanges(object, saved: saved)
        return (operations, kept)
    }

    /// Annotations that change with kbridge's own take-over and give-back, not others' doing.
    private static let ownAnnotations: Set<String> = [
        ClusterNames.originalAnnotation, ClusterNames.requestedReplicasAnnotation, "deployment.kubernetes.io/revision",
    ]

    /// What others changed in the workload's own labels and annotations during the session, kept
    /// (kbridge never writes them back), named key by key.
    static func metadataChanges(_ object: JSONValue, saved: SavedOriginal) -> [String] {
        var changes: [String] = []
        for (field, savedValues, ignored) in [("label", saved.labels, Set<String>()), ("annotation", saved.annotations, ownAnnotations)] {
            guard let before = savedValues?.objectValue else { continue }  // saved by an older kbridge
            let now = field == "label" ? object[path: "metadata", "labels"]?.objectValue ?? [:] : SavedOriginal.comparable(object[path: "metadata", "annotations"]).objectValue ?? [:]
            for key in Set(before.keys).union(now.keys).subtracting(ignored).sorted() {
                switch (before[key]?.stringValue, now[key]?.stringValue) {
                case (nil, let added?): changes.append(added.hasPrefix("sha256:") ? "\(field) \(key) added during the session: kept" : "\(field) \(key)=\(added.prefix(60)) added during the session: kept")
                case (_?, nil): changes.append("\(field) \(key) removed during the session: kept removed")
                case (let old?, let new?) where old != new:
                    changes.append(new.hasPrefix("sha256:") ? "\(field) \(key) changed during the session: kept" : "\(field) \(key) changed during the session to \(new.prefix(60)): kept")
                default: break
                }
            }
        }
        return changes
    }

    /// The top-level fields of `container` that differ from what `expected` set.
    static func differences(_ container: JSONValue, from expected: JSONValue) -> String {
        let keys = Set((container.objectValue ?? [:]).keys).union((expected.objectValue ?? [:]).keys).sorted()
        let changed = keys.filter { key in
            guard let wanted = expected[key] else { return false }
            return !(container[key]?.contains(wanted) ?? false)
        }
        return changed.isEmpty ? "changed" : "\(changed.joined(separator: ", ")) changed"
    }

    /// Reads the workload back: the replaced container is the original again and nothing of the session is left.
    private func verify(_ workload: WorkloadReference, session: String, expecting saved: SavedOriginal?) async throws(SessionError) {
        let object: JSONValue
        do {
            object = try await client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
        } catch {
            throw .restoreFailed(workload: workload.description, detail: "cannot read it back after restoring: \(error)")
        }
        let spec = workload.kind == .pod ? object["spec"] : object[path: "spec", "template", "spec"]
        let container = spec?["containers"]?.arrayValue?.first { $0["name"]?.stringValue == saved?.container }
        var problems: [String] = []
        if let original = saved?.originalContainer, !(container?.contains(original) ?? false) { problems.append("its container \"\(saved?.container ?? "")\" is not the original") }
        if Self.carriesSession(object, kind: workload.kind) == session { problems.append("it still carries the session's label") }
        if SavedOriginal.inAnnotation(of: object)?.session == session { problems.append("it still carries the annotation \(ClusterNames.originalAnnotation)") }
        guard problems.isEmpty else {
            throw .restoreFailed(workload: workload.description, detail: "read back after restoring: \(problems.joined(separator: "; "))")
        }
    }
}
