import Foundation
import KubernetesClient

/// The sandbox's etcd: every object by resource type, one global revision counter that
/// becomes `resourceVersion`, a bounded history of changes to resume watches from, and the
/// watches themselves.
actor ObjectStore {
    struct Key: Hashable, Comparable {
        var namespace: String
        var name: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
        }
    }

    /// One change, as watches and controllers see it.
    struct Change: Sendable {
        var revision: Int
        var type: ResourceType
        var kind: WatchEvent<JSONValue>.Kind
        var object: JSONValue
        var previous: JSONValue?
    }

    /// What a watch wants to see.
    struct WatchFilter: Sendable {
        var type: ResourceType
        var namespace: String?
        var labels: LabelSelector = .everything
        var fields: FieldSelector = .everything

        func matches(_ object: JSONValue) -> Bool {
            if let namespace, object[path: "metadata", "namespace"]?.stringValue != namespace { return false }
            return labels.matches(object: object) && fields.matches(object)
        }

        /// The event this watch sees for a change, if any: objects entering or leaving the
        /// selection appear as ADDED or DELETED, as on a real server.
        func event(for change: Change) -> WatchEvent<JSONValue>? {
            guard change.type == type else { return nil }
            let now = matches(change.object)
            let before = change.previous.map(matches) ?? false
            switch change.kind {
            case .deleted: return now ? WatchEvent(type: .deleted, object: change.object) : nil
            case .added: return now ? WatchEvent(type: .added, object: change.object) : nil
            case .bookmark: return nil
            case .modified:
                if now && before { return WatchEvent(type: .modified, object: change.object) }
                if now { return WatchEvent(type: .added, object: change.object) }
                if before { return WatchEvent(type: .deleted, object: change.object) }
                return nil
            }
        }
    }

    private var objects: [ResourceType: [Key: JSONValue]] = [:]
    private(set) var revision = 1
    private var history: [Change] = []
    private let historyLimit: Int
    private var watches: [UUID: (filter: WatchFilter?, continuation: AsyncStream<Change>.Continuation)] = [:]

    /// - Parameter historyLimit: how many changes a watch can resume across before it gets `410 Gone`.
    init(historyLimit: Int = 5000) {
        self.historyLimit = historyLimit
    }

    // MARK: Reading

    func get(_ type: ResourceType, namespace: String?, name: String) throws(APIError) -> JSONValue {
        guard let object = objects[type]?[Key(namespace: namespace ?? "", name: name)] else { throw .notFound(type, name) }
        return object
    }

    func find(_ type: ResourceType, namespace: String?, name: String) -> JSONValue? {
        objects[type]?[Key(namespace: namespace ?? "", name: name)]
    }

    /// All objects of a type, optionally in one namespace, sorted by namespace and name.
    func all(_ type: ResourceType, namespace: String? = nil) -> [JSONValue] {
        (objects[type] ?? [:]).filter { namespace == nil || $0.key.namespace == namespace }.sorted { $0.key < $1.key }.map(\.value)
    }

    struct Page {
        var items: [JSONValue]
        var resourceVersion: String
        var continueToken: String?
        var remaining: Int?
    }

    func list(_ filter: WatchFilter, limit: Int?, continueToken: String?) throws(APIError) -> Page {
        var candidates = (objects[filter.type] ?? [:]).sorted { $0.key < $1.key }
        if let continueToken {
            guard let data = Data(base64Encoded: continueToken), let start = String(data: data, encoding: .utf8) else {
                throw .badRequest("continue key is not valid: illegal base64 data")
            }
            candidates = candidates.filter { "\($0.key.namespace)/\($0.key.name)" > start }
        }
        let matching = candidates.filter { filter.matches($0.value) }
        guard let limit, limit > 0, matching.count > limit else {
            return Page(items: matching.map(\.value), resourceVersion: String(revision))
        }
        let page = matching.prefix(limit)
        let last = page.last.map { "\($0.key.namespace)/\($0.key.name)" } ?? ""
        return Page(
            items: page.map(\.value), resourceVersion: String(revision),
            continueToken: Data(last.utf8).base64EncodedString(), remaining: matching.count - limit
        )
    }

    // MARK: Writing

    /// Stores a new object; fills `uid`, `resourceVersion`, `creationTimestamp` and `generation`.
    /// A dry run checks and fills all but `resourceVersion`, and stores nothing.
    func create(_ type: ResourceType, _ object: JSONValue, tracksGeneration: Bool, dryRun: Bool = false) throws(APIError) -> JSONValue {
        let key = Self.key(of: object)
        if objects[type]?[key] != nil { throw .alreadyExists(type, key.name) }
        var stored = object
        var metadata = stored["metadata"]?.objectValue ?? [:]
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(Timestamp.format(Date()))
        if tracksGeneration { metadata["generation"] = 1 }
        metadata["deletionTimestamp"] = nil
        if dryRun {
            stored["metadata"] = .object(metadata)
            return stored
        }
        revision += 1
        metadata["resourceVersion"] = .string(String(revision))
        stored["metadata"] = .object(metadata)
        objects[type, default: [:]][key] = stored
        record(Change(revision: revision, type: type, kind: .added, object: stored, previous: nil))
        return stored
    }

    /// Replaces an object. A `resourceVersion` in `object` must match the stored one (optimistic
    /// concurrency); without one the update is unconditional. An object being deleted whose last
    /// finalizer goes away is removed.
    func update(_ type: ResourceType, _ object: JSONValue, tracksGeneration: Bool, annotationsChangeGeneration: Bool = false) throws(APIError) -> JSONValue {
        let key = Self.key(of: object)
        guard let existing = objects[type]?[key] else { throw .notFound(type, key.name) }
        if let expected = object[path: "metadata", "resourceVersion"]?.stringValue, !expected.isEmpty,
            expected != existing[path: "metadata", "resourceVersion"]?.stringValue
        {
            throw .conflict(type, key.name)
        }
        var stored = object
        var metadata = stored["metadata"]?.objectValue ?? [:]
        for immutable in ["uid", "creationTimestamp", "namespace", "name"] { metadata[immutable] = existing[path: "metadata", immutable] }
        if existing[path: "metadata", "deletionTimestamp"] != nil {
            metadata["deletionTimestamp"] = existing[path: "metadata", "deletionTimestamp"]
            metadata["deletionGracePeriodSeconds"] = existing[path: "metadata", "deletionGracePeriodSeconds"]
        }
        if tracksGeneration {
            let generation = existing[path: "metadata", "generation"]?.intValue ?? 1
            let annotationsChanged = annotationsChangeGeneration && metadata["annotations"] != existing[path: "metadata", "annotations"]
            metadata["generation"] = .integer(Int64(stored["spec"] != existing["spec"] || annotationsChanged ? generation + 1 : generation))
        }
        metadata["resourceVersion"] = existing[path: "metadata", "resourceVersion"]
        stored["metadata"] = .object(metadata)
        if stored == existing { return existing }
        revision += 1
        metadata["resourceVersion"] = .string(String(revision))
        stored["metadata"] = .object(metadata)
        if metadata["deletionTimestamp"] != nil, (metadata["finalizers"]?.arrayValue ?? []).isEmpty {
            objects[type]?[key] = nil
            record(Change(revision: revision, type: type, kind: .deleted, object: stored, previous: existing))
            return stored
        }
        objects[type]?[key] = stored
        record(Change(revision: revision, type: type, kind: .modified, object: stored, previous: existing))
        return stored
    }

    /// Deletes an object now, or, when it has finalizers or `graceful` is set, marks it with a
    /// `deletionTimestamp` for whoever must finish the job (a controller, the kubelet).
    func delete(_ type: ResourceType, namespace: String?, name: String, graceful gracePeriodSeconds: Int? = nil, uid: String? = nil) throws(APIError) -> JSONValue {
        let key = Key(namespace: namespace ?? "", name: name)
        guard let existing = objects[type]?[key] else { throw .notFound(type, name) }
        if let uid, existing[path: "metadata", "uid"]?.stringValue != uid {
            throw APIError(code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(existing[path: "metadata", "uid"]?.stringValue ?? "")")
        }
        let finalizers = existing[path: "metadata", "finalizers"]?.arrayValue ?? []
        if !finalizers.isEmpty || (gracePeriodSeconds ?? 0) > 0 {
            if existing[path: "metadata", "deletionTimestamp"] != nil { return existing }
            var marked = existing
            var metadata = marked["metadata"]?.objectValue ?? [:]
            metadata["deletionTimestamp"] = .string(Timestamp.format(Date().addingTimeInterval(Double(gracePeriodSeconds ?? 0))))
            metadata["deletionGracePeriodSeconds"] = .integer(Int64(gracePeriodSeconds ?? 0))
            revision += 1
            metadata["resourceVersion"] = .string(String(revision))
            marked["metadata"] = .object(metadata)
            objects[type]?[key] = marked
            record(Change(revision: revision, type: type, kind: .modified, object: marked, previous: existing))
            return marked
        }
        revision += 1
        var removed = existing
        removed["metadata"]?["resourceVersion"] = .string(String(revision))
        objects[type]?[key] = nil
        record(Change(revision: revision, type: type, kind: .deleted, object: removed, previous: existing))
        return removed
    }

    // MARK: Watching

    /// Changes to objects matching `filter`, starting after `resourceVersion`.
    ///
    /// With no version (or "0"), the watch starts with an ADDED event for each object that exists.
    /// A version older than the kept history fails with `410 Gone`.
    func watch(_ filter: WatchFilter, from resourceVersion: String?) throws(APIError) -> AsyncStream<WatchEvent<JSONValue>> {
        let (changes, continuation) = AsyncStream<Change>.makeStream(bufferingPolicy: .unbounded)
        let initial: [WatchEvent<JSONValue>]
        if let resourceVersion, !resourceVersion.isEmpty, resourceVersion != "0" {
            guard let start = Int(resourceVersion) else { throw .badRequest("invalid resource version \"\(resourceVersion)\"") }
            if let oldest = history.first?.revision, start < oldest - 1 {
                throw .gone("too old resource version: \(start) (\(oldest - 1))")
            }
            initial = history.filter { $0.revision > start }.compactMap(filter.event)
        } else {
            initial = all(filter.type, namespace: filter.namespace).filter(filter.matches).map { WatchEvent(type: .added, object: $0) }
        }
        let id = UUID()
        watches[id] = (filter, continuation)
        continuation.onTermination = { _ in Task { await self.stopWatching(id) } }
        return AsyncStream { output in
            let task = Task {
                for event in initial { output.yield(event) }
                for await change in changes {
                    if let event = filter.event(for: change) { output.yield(event) }
                }
                output.finish()
            }
            output.onTermination = { _ in
                task.cancel()
                continuation.finish()
            }
        }
    }

    /// Every change to every object, for the controllers.
    func changes() -> AsyncStream<Change> {
        let (stream, continuation) = AsyncStream<Change>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        watches[id] = (nil, continuation)
        continuation.onTermination = { _ in Task { await self.stopWatching(id) } }
        return stream
    }

    /// Ends every watch, e.g. when the server stops.
    func closeAllWatches() {
        for watch in watches.values { watch.continuation.finish() }
        watches.removeAll()
    }

    private func stopWatching(_ id: UUID) {
        watches[id] = nil
    }

    private func record(_ change: Change) {
        history.append(change)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        for watch in watches.values where watch.filter.map({ $0.type == change.type }) ?? true {
            watch.continuation.yield(change)
        }
    }

    static func key(of object: JSONValue) -> Key {
        Key(namespace: object[path: "metadata", "namespace"]?.stringValue ?? "", name: object[path: "metadata", "name"]?.stringValue ?? "")
    }
}
