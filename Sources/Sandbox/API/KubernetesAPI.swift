import Foundation
import KubernetesClient
import NIOCore
import Synchronization

/// One request to the API, independent of the HTTP server that received it.
struct APIServerRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var accept: String?
    var contentType: String?
    var body: Data
    var user: UserInfo?
}

/// What the API answers.
enum APIServerResponse: Sendable {
    case json(JSONValue, status: Int)
    case empty(status: Int)
    case stream(AsyncStream<ByteBuffer>, contentType: String)

    static func error(_ error: APIError) -> APIServerResponse {
        .json((try? JSONValue(encoding: error.status)) ?? .null, status: error.status.code)
    }
}

/// The semantics of the Kubernetes API over the object store: verbs, subresources,
/// admission, graceful deletion, watches and server-side tables.
final class KubernetesAPI: Sendable {
    let store: ObjectStore
    let authenticator: Authenticator
    let authorizer: RBACAuthorizer
    let addresses: ClusterIPAllocator
    let kubelets: KubeletConnector
    /// `host:port` the server is reached at, for discovery; known once the server is bound.
    private let advertisedAddress = Mutex("")
    /// How often an idle watch with `allowWatchBookmarks` gets a BOOKMARK.
    let bookmarkInterval: Duration

    init(store: ObjectStore, authenticator: Authenticator, addresses: ClusterIPAllocator, kubelets: KubeletConnector, bookmarkInterval: Duration = .seconds(30)) {
        self.store = store
        self.authenticator = authenticator
        self.authorizer = RBACAuthorizer(store: store)
        self.addresses = addresses
        self.kubelets = kubelets
        self.bookmarkInterval = bookmarkInterval
    }

    func advertise(_ address: String) {
        advertisedAddress.withLock { $0 = address }
    }

    func handle(_ request: APIServerRequest) async -> APIServerResponse {
        do {
            return try await route(request)
        } catch {
            return .error(error)
        }
    }

    private func route(_ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let path = request.path.count > 1 && request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        switch path {
        case "/version": return .json(Discovery.version, status: 200)
        case "/healthz", "/readyz", "/livez": return .stream(AsyncStream { $0.yield(ByteBuffer(string: "ok")); $0.finish() }, contentType: "text/plain")
        default: break
        }
        guard let user = request.user else { throw .unauthorized }
        switch path {
        case "/api": return .json(Discovery.coreVersions(serverAddress: advertisedAddress.withLock { $0 }), status: 200)
        case "/apis": return .json(Discovery.groupList, status: 200)
        case "/openapi/v3": return .json(Discovery.openAPIIndex, status: 200)
        default: break
        }
        if let document = discoveryDocument(path) { return .json(document, status: 200) }
        guard let apiPath = APIPath(path) else { throw .pathNotFound() }
        let verb = Self.verb(method: request.method, path: apiPath, query: request.query)
        guard await authorizer.allows(user, verb: verb, type: apiPath.resource.type, subresource: apiPath.subresource, namespace: apiPath.namespace, name: apiPath.name) else {
            throw .forbidden(user: user.name, verb: verb, type: apiPath.resource.type, name: apiPath.name, namespace: apiPath.namespace)
        }
        return try await perform(verb, apiPath, request)
    }

    private func discoveryDocument(_ path: String) -> JSONValue? {
        let segments = path.split(separator: "/").map(String.init)
        switch segments.count {
        case 2 where segments[0] == "api": return Discovery.resourceList(group: "", version: segments[1])
        case 2 where segments[0] == "apis": return Discovery.group(segments[1])
        case 3 where segments[0] == "apis": return Discovery.resourceList(group: segments[1], version: segments[2])
        case 4 where segments[0] == "openapi" && segments[2] == "api": return Discovery.openAPIDocument(group: "", version: segments[3])
        case 5 where segments[0] == "openapi" && segments[2] == "apis": return Discovery.openAPIDocument(group: segments[3], version: segments[4])
        default: return nil
        }
    }

    static func verb(method: String, path: APIPath, query: [String: String]) -> String {
        switch method {
        case "GET", "HEAD":
            if path.name == nil { return ["true", "1"].contains(query["watch"] ?? "") ? "watch" : "list" }
            // A WebSocket opens with GET; these subresources authorize it as `create`, as kube-apiserver 1.30+ does.
            return ["portforward", "exec", "attach"].contains(path.subresource ?? "") ? "create" : "get"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return path.name == nil ? "deletecollection" : "delete"
        default: return method.lowercased()
        }
    }

    // MARK: Verbs

    private func perform(_ verb: String, _ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let type = path.resource.type
        switch (verb, path.subresource) {
        case ("list", nil):
            return try await list(path, request)
        case ("watch", nil):
            return try await watch(path, request)
        case ("get", nil), ("get", "status"):
            let object = try await store.get(type, namespace: path.namespace, name: path.name ?? "")
            if TableConverter.wantsTable(accept: request.accept) {
                return .json(TableConverter.table(for: type, objects: [object], resourceVersion: nil, includeObject: request.query["includeObject"]), status: 200)
            }
            return .json(object, status: 200)
        case ("create", nil):
            return .json(try await create(path, try decodeBody(request), dryRun: request.query["dryRun"] != nil), status: 201)
        case ("update", nil), ("update", "status"):
            return .json(try await replace(path, try decodeBody(request), dryRun: request.query["dryRun"] != nil), status: 200)
        case ("patch", nil), ("patch", "status"):
            return .json(try await patch(path, request), status: 200)
        case ("delete", nil):
            return try await delete(path, request)
        case ("deletecollection", nil):
            return try await deleteCollection(path, request)
        case ("get", "scale"), ("update", "scale"), ("patch", "scale"):
            return .json(try await scale(verb, path, request), status: 200)
        case ("get", "log"):
            return try await logs(path, request)
        case ("create", "token"):
            return .json(try await issueToken(path, try decodeBody(request)), status: 201)
        case ("create", "binding"):
            return .json(try await bind(path, try decodeBody(request)), status: 201)
        case ("create", "portforward"), ("create", "exec"), ("create", "attach"):
            // A streaming request that reached here was not upgraded: the pod or the container is
            // missing, or the request was not a WebSocket of a protocol served for it.
            let pod = try await store.get(.pods, namespace: path.namespace, name: path.name ?? "")
            if path.subresource != "portforward", APIServer.container(named: request.query["container"], in: pod) == nil {
                let names = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                if let name = request.query["container"], !name.isEmpty {
                    throw .badRequest("container \(name) is not valid for pod \(pod.name)")
                }
                throw .badRequest("a container name must be specified for pod \(pod.name), choose one of: [\(names.joined(separator: " "))]")
            }
            throw .badRequest("Upgrade request required")
        default:
            throw .methodNotAllowed()
        }
    }

    private func decodeBody(_ request: APIServerRequest) throws(APIError) -> JSONValue {
        if request.contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == KubernetesProtobufDecoder.mediaType {
            return try decodeProtobuf(request.body)
        }
        guard let body = try? JSONValue.parse(request.body), case .object = body else {
            let text = String(decoding: request.body.prefix(200), as: UTF8.self)
            throw .badRequest("the object provided is unrecognized: couldn't get version/kind; json parse error: unexpected end of JSON input (\(text))")
        }
        return body
    }

    private func decodeProtobuf(_ body: Data) throws(APIError) -> JSONValue {
        let decoder: KubernetesProtobufDecoder
        do { decoder = try KubernetesProtobufDecoder.kubernetes.get() } catch { throw .internal(error.description) }
        do {
            return try decoder.decodeObject(Array(body))
        } catch {
            switch error {
            case .unknownKind, .encoded: throw APIError(code: 415, reason: "UnsupportedMediaType", message: error.description)
            default: throw .badRequest(error.description)
            }
        }
    }

    private func filter(_ path: APIPath, _ query: [String: String]) throws(APIError) -> ObjectStore.WatchFilter {
        let labels = try query["labelSelector"].map { text throws(APIError) in try LabelSelector(parsing: text) } ?? .everything
        let fields = try query["fieldSelector"].map { text throws(APIError) in try FieldSelector(parsing: text, for: path.resource.type) } ?? .everything
        return ObjectStore.WatchFilter(type: path.resource.type, namespace: path.namespace, labels: labels, fields: fields)
    }

    private func list(_ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let type = path.resource.type
        let page = try await store.list(try filter(path, request.query), limit: request.query["limit"].flatMap(Int.init), continueToken: request.query["continue"])
        if TableConverter.wantsTable(accept: request.accept) {
            var table = TableConverter.table(for: type, objects: page.items, resourceVersion: page.resourceVersion, includeObject: request.query["includeObject"])
            if let token = page.continueToken { table["metadata"]?["continue"] = .string(token) }
            return .json(table, status: 200)
        }
        var metadata: [String: JSONValue] = ["resourceVersion": .string(page.resourceVersion)]
        if let token = page.continueToken { metadata["continue"] = .string(token) }
        if let remaining = page.remaining { metadata["remainingItemCount"] = .integer(Int64(remaining)) }
        let items = page.items.map { item -> JSONValue in
            var item = item
            item["kind"] = nil
            item["apiVersion"] = nil
            return item
        }
        return .json(["kind": .string("\(type.kind)List"), "apiVersion": .string(type.apiVersion), "metadata": .object(metadata), "items": .array(items)], status: 200)
    }

    private func watch(_ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let type = path.resource.type
        let events = try await store.watch(try filter(path, request.query), from: request.query["resourceVersion"])
        let asTable = TableConverter.wantsTable(accept: request.accept)
        let includeObject = request.query["includeObject"]
        let bookmarks = ["true", "1"].contains(request.query["allowWatchBookmarks"] ?? "")
        let timeout = request.query["timeoutSeconds"].flatMap(Int.init).map { Duration.seconds($0) } ?? .seconds(Int.random(in: 1800...3600))
        let interval = bookmarkInterval
        let store = self.store
        let output = AsyncStream<ByteBuffer> { continuation in
            let task = Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events {
                            let object = asTable ? TableConverter.table(for: type, objects: [event.object], resourceVersion: nil, includeObject: includeObject) : event.object
                            continuation.yield(Self.line(["type": .string(event.type.rawValue), "object": object]))
                        }
                    }
                    group.addTask { try? await Task.sleep(for: timeout) }
                    if bookmarks {
                        group.addTask {
                            while !Task.isCancelled {
                                try? await Task.sleep(for: interval)
                                if Task.isCancelled { break }
                                let revision = await store.revision
                                let object: JSONValue = ["kind": .string(type.kind), "apiVersion": .string(type.apiVersion), "metadata": ["resourceVersion": .string(String(revision))]]
                                continuation.yield(Self.line(["type": "BOOKMARK", "object": object]))
                            }
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return .stream(output, contentType: "application/json")
    }

    private static func line(_ value: JSONValue) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: (try? value.jsonData()) ?? Data())
        buffer.writeString("\n")
        return buffer
    }

    // MARK: Create, update, patch

    /// Creates an object as a controller does: with the same admission and defaults as a user's request.
    func createObject(_ type: ResourceType, namespace: String?, _ object: JSONValue) async throws(APIError) -> JSONValue {
        guard let resource = ServedResources.find(type) else { throw .pathNotFound() }
        return try await create(APIPath(resource: resource, namespace: namespace), object, dryRun: false)
    }

    /// Deletes an object as a controller does; pods on a node are deleted gracefully.
    func deleteObject(_ type: ResourceType, namespace: String?, name: String, propagation: String = "Background") async throws(APIError) {
        guard let resource = ServedResources.find(type) else { throw .pathNotFound() }
        let body = Data(#"{"propagationPolicy":"\#(propagation)"}"#.utf8)
        let request = APIServerRequest(method: "DELETE", path: "", query: [:], accept: nil, contentType: nil, body: body, user: nil)
        _ = try await delete(APIPath(resource: resource, namespace: namespace, name: name), request)
    }

    private func create(_ path: APIPath, _ body: JSONValue, dryRun: Bool) async throws(APIError) -> JSONValue {
        let type = path.resource.type
        var object = body
        if let kind = object["kind"]?.stringValue, kind != type.kind {
            throw .badRequest("the object provided is unrecognized (must be of type \(type.kind)): kind \(kind)")
        }
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
        var metadata = object["metadata"]?.objectValue ?? [:]
        if let namespace = path.namespace {
            if let given = metadata["namespace"]?.stringValue, !given.isEmpty, given != namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
            try await requireActiveNamespace(namespace)
        } else {
            metadata["namespace"] = nil
        }
        if metadata["name"]?.stringValue?.isEmpty ?? true, let prefix = metadata["generateName"]?.stringValue {
            metadata["name"] = .string(prefix + Admission.randomSuffix(5))
        }
        for server in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation", "managedFields"] { metadata[server] = nil }
        object["metadata"] = .object(metadata)
        try Admission.validate(type, object)
        Admission.applyDefaults(type, &object)
        if type == .pods { Admission.applyPodAdmission(&object) }
        if type == .services { try await assignClusterIP(&object, previous: nil) }
        // The address a service was given goes back unless the service is stored.
        let allocated = type == .services ? object[path: "spec", "clusterIP"]?.stringValue.flatMap { $0 == "None" || $0 == addresses.apiServerServiceIP ? nil : $0 } : nil
        do {
            let created = try await store.create(type, object, tracksGeneration: path.resource.tracksGeneration, dryRun: dryRun)
            if dryRun, let allocated { await addresses.release(allocated) }
            return created
        } catch {
            if let allocated { await addresses.release(allocated) }
            throw error
        }
    }

    private func requireActiveNamespace(_ namespace: String) async throws(APIError) {
        guard let found = await store.find(.namespaces, namespace: nil, name: namespace) else {
            throw APIError(code: 404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found", details: .init(name: namespace, kind: "namespaces"))
        }
        if found[path: "metadata", "deletionTimestamp"] != nil {
            throw APIError(code: 403, reason: "Forbidden", message: "unable to create new content in namespace \(namespace) because it is being terminated")
        }
    }

    private func assignClusterIP(_ service: inout JSONValue, previous: JSONValue?) async throws(APIError) {
        if let previousIP = previous?[path: "spec", "clusterIP"]?.stringValue {
            let requested = service[path: "spec", "clusterIP"]?.stringValue
            guard requested == nil || requested == "" || requested == previousIP else {
                throw .invalid(.services, service[path: "metadata", "name"]?.stringValue ?? "", field: "spec.clusterIP", detail: "\"\(requested ?? "")\": field is immutable")
            }
            service["spec"]?["clusterIP"] = .string(previousIP)
            service["spec"]?["clusterIPs"] = previous?[path: "spec", "clusterIPs"] ?? [.string(previousIP)]
            return
        }
        if service[path: "spec", "type"]?.stringValue == "ExternalName" { return }
        let requested = service[path: "spec", "clusterIP"]?.stringValue ?? ""
        if requested == "None" {
            service["spec"]?["clusterIPs"] = ["None"]
            return
        }
        let address = try await addresses.allocate(requested: requested.isEmpty ? nil : requested)
        service["spec"]?["clusterIP"] = .string(address)
        service["spec"]?["clusterIPs"] = [.string(address)]
    }

    /// PUT: the whole object, or only its status for the `status` subresource.
    private func replace(_ path: APIPath, _ body: JSONValue, dryRun: Bool) async throws(APIError) -> JSONValue {
        let type = path.resource.type
        let name = path.name ?? ""
        let existing = try await store.get(type, namespace: path.namespace, name: name)
        if let given = body[path: "metadata", "name"]?.stringValue, given != name {
            throw .badRequest("the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        return try await store(merging: body, over: existing, path: path, dryRun: dryRun)
    }

    private func store(merging body: JSONValue, over existing: JSONValue, path: APIPath, dryRun: Bool) async throws(APIError) -> JSONValue {
        let type = path.resource.type
        var object: JSONValue
        if path.subresource == "status" {
            object = existing
            object["status"] = body["status"]
            if type == .pods { Admission.defaultPodIPs(&object) }
            if let version = body[path: "metadata", "resourceVersion"] { object["metadata"]?["resourceVersion"] = version }
        } else {
            object = body
            object["kind"] = .string(type.kind)
            object["apiVersion"] = .string(type.apiVersion)
            if object["metadata"] == nil { object["metadata"] = .object([:]) }
            object["metadata"]?["name"] = existing[path: "metadata", "name"]
            object["metadata"]?["namespace"] = existing[path: "metadata", "namespace"]
            if path.resource.subresources.contains("status"), type != .namespaces { object["status"] = existing["status"] }
            if type == .namespaces {
                object["spec"] = existing["spec"]
                object["status"] = existing["status"]
            }
            try Admission.validate(type, object)
            Admission.applyDefaults(type, &object)
            if type == .services { try await assignClusterIP(&object, previous: existing) }
            if type == .pods {
                object["spec"]?["nodeName"] = existing[path: "spec", "nodeName"]
                let volumes = object[path: "spec", "volumes"] ?? existing[path: "spec", "volumes"]
                object["spec"]?["volumes"] = volumes
            }
        }
        if dryRun { return object }
        // As kube-apiserver's Deployment strategy: a user's change of annotations is a new generation too.
        return try await store.update(
            type, object, tracksGeneration: path.resource.tracksGeneration, annotationsChangeGeneration: type == .deployments && path.subresource == nil
        )
    }

    private func patch(_ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> JSONValue {
        let type = path.resource.type
        let name = path.name ?? ""
        guard let patch = try? JSONValue.parse(request.body) else { throw .badRequest("the patch is not valid JSON") }
        for _ in 0..<5 {
            let existing = try await store.get(type, namespace: path.namespace, name: name)
            var patched: JSONValue
            do {
                switch request.contentType?.split(separator: ";").first.map(String.init) {
                case "application/json-patch+json":
                    patched = try Patches.applyJSONPatch(patch, to: existing)
                case "application/merge-patch+json":
                    patched = Patches.applyMergePatch(patch, to: existing)
                case "application/strategic-merge-patch+json":
                    patched = try Patches.applyStrategicMergePatch(patch, to: existing)
                default:
                    throw APIError.unsupportedMediaType(request.contentType ?? "none")
                }
            } catch let error as APIError {
                throw error
            } catch Patches.Failure.testFailed {
                throw APIError.patchTestFailed
            } catch {
                throw APIError(code: 422, reason: "Invalid", message: "\(error)")
            }
            // A patch applies to the version it read unless it names one itself.
            if patch[path: "metadata", "resourceVersion"] == nil {
                patched["metadata"]?["resourceVersion"] = existing[path: "metadata", "resourceVersion"]
            }
            do {
                return try await store(merging: patched, over: existing, path: path, dryRun: request.query["dryRun"] != nil)
            } catch where error.status.reason == "Conflict" && patch[path: "metadata", "resourceVersion"] == nil {
                continue
            }
        }
        throw .conflict(type, name)
    }

    // MARK: Delete

    private func deleteOptions(_ request: APIServerRequest) -> (propagation: String, grace: Int?, uid: String?) {
        // JSON or protobuf (client-go's typed deletes, as `kubectl drain`'s); a body that is neither counts as none.
        let body = request.body.isEmpty ? nil : try? decodeBody(request)
        let propagation = body?["propagationPolicy"]?.stringValue ?? request.query["propagationPolicy"]
            ?? (body?["orphanDependents"]?.boolValue == true ? "Orphan" : "Background")
        let grace = body?["gracePeriodSeconds"]?.intValue ?? request.query["gracePeriodSeconds"].flatMap(Int.init)
        let uid = body?[path: "preconditions", "uid"]?.stringValue
        return (propagation, grace, uid)
    }

    private func delete(_ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let type = path.resource.type
        let name = path.name ?? ""
        let options = deleteOptions(request)
        var existing = try await store.get(type, namespace: path.namespace, name: name)
        if request.query["dryRun"] != nil { return .json(existing, status: 200) }
        if type == .namespaces {
            existing["status"] = ["phase": "Terminating"]
            _ = try await store.update(type, existing, tracksGeneration: false)
            let marked = try await store.delete(type, namespace: nil, name: name, graceful: 1)
            return .json(marked, status: 200)
        }
        switch options.propagation {
        case "Foreground", "Orphan":
            let finalizer = options.propagation == "Foreground" ? "foregroundDeletion" : "orphan"
            var finalizers = existing[path: "metadata", "finalizers"]?.arrayValue ?? []
            if !finalizers.contains(.string(finalizer)) { finalizers.append(.string(finalizer)) }
            existing["metadata"]?["finalizers"] = .array(finalizers)
            existing["metadata"]?["resourceVersion"] = nil
            _ = try await store.update(type, existing, tracksGeneration: path.resource.tracksGeneration)
        default:
            break
        }
        var grace: Int? = nil
        if type == .pods, existing[path: "spec", "nodeName"]?.stringValue != nil, existing[path: "status", "phase"]?.stringValue != "Failed",
            existing[path: "status", "phase"]?.stringValue != "Succeeded"
        {
            grace = options.grace ?? existing[path: "spec", "terminationGracePeriodSeconds"]?.intValue ?? 30
            if grace == 0 { grace = nil }
        }
        let result = try await store.delete(type, namespace: path.namespace, name: name, graceful: grace, uid: options.uid)
        let stillPresent = await store.find(type, namespace: path.namespace, name: name) != nil
        if type == .pods || stillPresent {
            return .json(result, status: 200)
        }
        let details: JSONValue = [
            "name": .string(name), "kind": .string(type.name), "uid": result[path: "metadata", "uid"] ?? "",
        ]
        var status: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "details": details]
        if !type.group.isEmpty { status["details"]?["group"] = .string(type.group) }
        return .json(status, status: 200)
    }

    private func deleteCollection(_ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let page = try await store.list(try filter(path, request.query), limit: nil, continueToken: nil)
        var deleted: [JSONValue] = []
        for item in page.items {
            var single = path
            single.name = item[path: "metadata", "name"]?.stringValue
            single.namespace = item[path: "metadata", "namespace"]?.stringValue
            if case .json(let object, _) = try await delete(single, request) { deleted.append(object) }
        }
        let type = path.resource.type
        return .json(["kind": .string("\(type.kind)List"), "apiVersion": .string(type.apiVersion), "metadata": .object([:]), "items": .array(deleted)], status: 200)
    }

    // MARK: Subresources

    private func scale(_ verb: String, _ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> JSONValue {
        let type = path.resource.type
        var object = try await store.get(type, namespace: path.namespace, name: path.name ?? "")
        if verb != "get" {
            let body = try decodeBody(request)
            let scale = verb == "update" ? body : Patches.applyMergePatch(body, to: scaleObject(object))
            // `replicas` is omitempty in Go: a Scale of 0 comes without it.
            guard let replicas = (scale[path: "spec", "replicas"] ?? 0).intValue, replicas >= 0 else {
                throw .invalid(type, path.name ?? "", field: "spec.replicas", detail: "must be greater than or equal to 0")
            }
            object["spec"]?["replicas"] = .integer(Int64(replicas))
            if let version = scale[path: "metadata", "resourceVersion"]?.stringValue, verb == "update" {
                object["metadata"]?["resourceVersion"] = .string(version)
            }
            object = try await store.update(type, object, tracksGeneration: path.resource.tracksGeneration)
        }
        return scaleObject(object)
    }

    private func scaleObject(_ object: JSONValue) -> JSONValue {
        var metadata: [String: JSONValue] = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { metadata[key] = object[path: "metadata", key] }
        let selector = LabelSelector(spec: object[path: "spec", "selector"]).description
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(metadata),
            "spec": ["replicas": object[path: "spec", "replicas"] ?? 0],
            "status": ["replicas": object[path: "status", "replicas"] ?? 0, "selector": .string(selector)],
        ]
    }

    private func logs(_ path: APIPath, _ request: APIServerRequest) async throws(APIError) -> APIServerResponse {
        let pod = try await store.get(.pods, namespace: path.namespace, name: path.name ?? "")
        let containers = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container: String
        if let requested = request.query["container"] {
            guard containers.contains(requested) else {
                throw .badRequest("container \(requested) is not valid for pod \(path.name ?? "")")
            }
            container = requested
        } else if containers.count == 1 {
            container = containers[0]
        } else {
            throw .badRequest("a container name must be specified for pod \(path.name ?? ""), choose one of: [\(containers.joined(separator: " "))]")
        }
        guard let nodeName = pod[path: "spec", "nodeName"]?.stringValue else { return .empty(status: 204) }
        let node = try await store.get(.nodes, namespace: nil, name: nodeName)
        let stream = try await kubelets.logs(
            node: node, namespace: path.namespace ?? "", pod: path.name ?? "", container: container,
            follow: ["true", "1"].contains(request.query["follow"] ?? ""), tailLines: request.query["tailLines"].flatMap(Int.init),
            previous: ["true", "1"].contains(request.query["previous"] ?? "")
        )
        return .stream(stream, contentType: "text/plain")
    }

    private func issueToken(_ path: APIPath, _ body: JSONValue) async throws(APIError) -> JSONValue {
        let namespace = path.namespace ?? ""
        let account = path.name ?? ""
        _ = try await store.get(.serviceAccounts, namespace: namespace, name: account)
        let token = await authenticator.issueToken(namespace: namespace, serviceAccount: account)
        let seconds = body[path: "spec", "expirationSeconds"]?.intValue ?? 3600
        return [
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["name": .string(account), "namespace": .string(namespace)],
            "spec": body["spec"] ?? .object([:]),
            "status": ["token": .string(token), "expirationTimestamp": .string(Timestamp.format(Date().addingTimeInterval(Double(seconds))))],
        ]
    }

    private func bind(_ path: APIPath, _ body: JSONValue) async throws(APIError) -> JSONValue {
        guard let node = body[path: "target", "name"]?.stringValue else { throw .required(.pods, path.name ?? "", field: "target.name") }
        var pod = try await store.get(.pods, namespace: path.namespace, name: path.name ?? "")
        if let bound = pod[path: "spec", "nodeName"]?.stringValue {
            throw APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on pods/binding \"\(path.name ?? "")\": pod \(path.name ?? "") is already assigned to node \"\(bound)\"")
        }
        pod["spec"]?["nodeName"] = .string(node)
        var conditions = pod[path: "status", "conditions"]?.arrayValue ?? []
        conditions.removeAll { $0["type"]?.stringValue == "PodScheduled" }
        conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(Timestamp.format(Date()))])
        pod["status"]?["conditions"] = .array(conditions)
        _ = try await store.update(.pods, pod, tracksGeneration: false)
        return ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "code": 201]
    }
}
