import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client for any Kubernetes API server.
///
/// It speaks the API directly (no kubectl): typed reads for the models in `Resources/`,
/// raw `JSONValue` writes so nothing the models do not know is lost, watches, logs and
/// port-forward. Every failure is a `KubernetesError` with a message for a person.
public final class KubernetesClient: Sendable {
    public let connection: ClusterConnection
    let credentials: CredentialSource
    let logger: Logger

    public init(connection: ClusterConnection, logger: Logger = Logger(label: "kbridge.kubernetes")) {
        self.connection = connection
        self.credentials = CredentialSource(connection: connection)
        self.logger = logger
    }

    /// Reads the kubeconfig like kubectl and connects to the chosen context.
    public convenience init(
        kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil,
        logger: Logger = Logger(label: "kbridge.kubernetes")
    ) throws(KubernetesError) {
        do {
            let connection = try KubeconfigLoader().connection(explicitPath: kubeconfig, context: context, namespace: namespace)
            self.init(connection: connection, logger: logger)
        } catch {
            throw .configuration(error)
        }
    }

    /// The namespace used when a call names none: the context's, or the one given on the command line.
    public var defaultNamespace: String { connection.namespace }

    // MARK: - Objects

    /// Reads one object as a typed model.
    public func get<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil) async throws(KubernetesError) -> R {
        try decode(R.self, try await getRaw(R.resourceType, name: name, namespace: namespace), verb: "get")
    }

    /// Reads one object with every field.
    public func getRaw(_ type: ResourceType, name: String, namespace: String? = nil, subresource: String? = nil) async throws(KubernetesError) -> JSONValue {
        let ns = resolve(namespace, for: type)
        let context = RequestSummary(verb: "get", resource: type, name: name, namespace: ns, subresource: subresource, server: connection.serverDescription)
        return try await json(APIRequest(method: .GET, path: type.objectPath(name: name, namespace: ns, subresource: subresource), context: context))
    }

    /// Lists objects as typed models, following `continue` tokens; across every namespace with `allNamespaces`.
    public func list<R: KubernetesResource>(_ type: R.Type, namespace: String? = nil, allNamespaces: Bool = false, options: ListOptions = .init()) async throws(KubernetesError) -> [R] {
        try await pages(of: R.resourceType, as: R.self, namespace: namespace, allNamespaces: allNamespaces, options: options).items
    }

    /// Lists objects of `type` as the model `R` (for a model served under several versions), each
    /// page decoded straight from the answer's bytes.
    public func list<R: Decodable>(_ model: R.Type, of type: ResourceType, namespace: String? = nil, options: ListOptions = .init()) async throws(KubernetesError) -> [R] {
        try await pages(of: type, as: R.self, namespace: namespace, allNamespaces: false, options: options).items
    }

    /// Lists objects with every field, and the list's resourceVersion to watch from.
    /// `namespace: nil` lists in the default namespace; use `allNamespaces` to list across namespaces.
    public func listRaw(
        _ type: ResourceType, namespace: String? = nil, allNamespaces: Bool = false, options: ListOptions = .init()
    ) async throws(KubernetesError) -> (items: [JSONValue], resourceVersion: String) {
        try await pages(of: type, as: JSONValue.self, namespace: namespace, allNamespaces: allNamespaces, options: options)
    }

    /// One list page as the API server sends it.
    private struct ListPage<Item: Decodable>: Decodable {
        struct Metadata: Decodable {
            var resourceVersion: String?
            var `continue`: String?
        }

        var items: [Item]?
        var metadata: Metadata?
    }

    /// Every page of a list, following `continue` tokens, its items decoded as `Item`.
    private func pages<Item: Decodable>(
        of type: ResourceType, as item: Item.Type, namespace: String?, allNamespaces: Bool, options: ListOptions
    ) async throws(KubernetesError) -> (items: [Item], resourceVersion: String) {
        let ns = allNamespaces ? nil : resolve(namespace, for: type)
        let context = RequestSummary(verb: "list", resource: type, namespace: ns, server: connection.serverDescription)
        var items: [Item] = []
        var continueToken: String?
        var resourceVersion = ""
        repeat {
            var query = options.queryItems
            if let limit = options.limit { query.append(("limit", String(limit))) }
            if let continueToken { query.append(("continue", continueToken)) }
            let response = try await send(APIRequest(method: .GET, path: type.collectionPath(namespace: ns), query: query, context: context))
            let page: ListPage<Item>
            do {
                page = try JSONDecoder().decode(ListPage<Item>.self, from: response.body)
            } catch {
                throw .unexpectedResponse(status: response.status, detail: "cannot read the list of \(type.kind): \(error)", context)
            }
            items += page.items ?? []
            resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
            continueToken = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while continueToken != nil
        return (items, resourceVersion)
    }

    /// Creates an object from a typed model.
    @discardableResult
    public func create<R: KubernetesResource>(_ object: R, namespace: String? = nil) async throws(KubernetesError) -> R {
        let body: JSONValue
        do {
            body = try JSONValue(encoding: object)
        } catch {
            throw .unencodable("cannot encode \(R.resourceType.kind): \(error)")
        }
        return try decode(R.self, try await createRaw(R.resourceType, body, namespace: namespace ?? object.metadata.namespace), verb: "create")
    }

    /// Creates an object from raw JSON; `apiVersion` and `kind` are filled in when missing.
    @discardableResult
    public func createRaw(_ type: ResourceType, _ object: JSONValue, namespace: String? = nil) async throws(KubernetesError) -> JSONValue {
        var body = object
        if body["apiVersion"] == nil { body["apiVersion"] = .string(type.apiVersion) }
        if body["kind"] == nil { body["kind"] = .string(type.kind) }
        let ns = resolve(namespace ?? body[path: "metadata", "namespace"]?.stringValue, for: type)
        let name = body[path: "metadata", "name"]?.stringValue
        let context = RequestSummary(verb: "create", resource: type, name: name, namespace: ns, server: connection.serverDescription)
        return try await json(APIRequest(method: .POST, path: type.collectionPath(namespace: ns), body: body, context: context))
    }

    /// Replaces an object (PUT). The object's `resourceVersion` makes a concurrent change fail with 409.
    @discardableResult
    public func update(_ type: ResourceType, _ object: JSONValue, namespace: String? = nil, subresource: String? = nil) async throws(KubernetesError) -> JSONValue {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        let ns = resolve(namespace ?? object[path: "metadata", "namespace"]?.stringValue, for: type)
        let context = RequestSummary(verb: "update", resource: type, name: name, namespace: ns, subresource: subresource, server: connection.serverDescription)
        return try await json(APIRequest(method: .PUT, path: type.objectPath(name: name, namespace: ns, subresource: subresource), body: object, context: context))
    }

    /// Read, change, write back: gets the object with every field, lets `change` edit it, and
    /// replaces it. When someone else changed it meanwhile (409), starts over from a fresh read.
    @discardableResult
    public func modify(
        _ type: ResourceType, name: String, namespace: String? = nil, attempts: Int = 5, _ change: (inout JSONValue) throws(KubernetesError) -> Void
    ) async throws(KubernetesError) -> JSONValue {
        var attempt = 1
        while true {
            var object = try await getRaw(type, name: name, namespace: namespace)
            try change(&object)
            do {
                return try await update(type, object, namespace: namespace)
            } catch where error.isConflict && attempt < attempts {
                attempt += 1
            }
        }
    }

    /// Patches an object and returns it as a typed model.
    @discardableResult
    public func patch<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil, _ patch: Patch) async throws(KubernetesError) -> R {
        try decode(R.self, try await patchRaw(R.resourceType, name: name, namespace: namespace, patch), verb: "patch")
    }

    /// Patches an object and returns it with every field.
    @discardableResult
    public func patchRaw(_ type: ResourceType, name: String, namespace: String? = nil, subresource: String? = nil, _ patch: Patch) async throws(KubernetesError) -> JSONValue {
        let ns = resolve(namespace, for: type)
        let context = RequestSummary(verb: "patch", resource: type, name: name, namespace: ns, subresource: subresource, server: connection.serverDescription)
        return try await json(
            APIRequest(method: .PATCH, path: type.objectPath(name: name, namespace: ns, subresource: subresource), body: patch.body, contentType: patch.contentType, context: context)
        )
    }

    /// Deletes an object. Dependents are collected according to `propagation`.
    public func delete(_ type: ResourceType, name: String, namespace: String? = nil, propagation: PropagationPolicy = .background) async throws(KubernetesError) {
        let ns = resolve(namespace, for: type)
        let context = RequestSummary(verb: "delete", resource: type, name: name, namespace: ns, server: connection.serverDescription)
        let options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagation.rawValue)]
        _ = try await json(APIRequest(method: .DELETE, path: type.objectPath(name: name, namespace: ns), body: options, context: context))
    }

    /// Fails with `namespaceNotFound` when the server says the namespace does not exist.
    ///
    /// Needed because listing in a missing namespace succeeds with an empty list. A user who may
    /// not read namespaces (most namespace-scoped users) gets no error: the list stands as it is.
    public func requireNamespace(_ namespace: String) async throws(KubernetesError) {
        do {
            _ = try await getRaw(.namespaces, name: namespace)
        } catch where error.isNotFound {
            throw .namespaceNotFound(namespace)
        } catch where error.isForbidden {
            return
        }
    }

    // MARK: - Discovery

    /// `/version` of the server.
    public func serverVersion() async throws(KubernetesError) -> JSONValue {
        try await json(APIRequest(method: .GET, path: "/version", context: RequestSummary(verb: "get", resource: nil, server: connection.serverDescription)))
    }

    /// The group versions the server serves (`/api` and `/apis`).
    public func serverGroupVersions() async throws(KubernetesError) -> [String] {
        let context = RequestSummary(verb: "get", resource: nil, server: connection.serverDescription)
        let core = try await json(APIRequest(method: .GET, path: "/api", context: context))
        let groups = try await json(APIRequest(method: .GET, path: "/apis", context: context))
        let coreVersions = core["versions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let groupVersions = groups["groups"]?.arrayValue?.flatMap { group in
            group["versions"]?.arrayValue?.compactMap { $0["groupVersion"]?.stringValue } ?? []
        } ?? []
        return coreVersions + groupVersions
    }

    /// The resources of one group version (`/apis/apps/v1`).
    public func serverResources(groupVersion: String) async throws(KubernetesError) -> JSONValue {
        let path = groupVersion.contains("/") ? "/apis/\(groupVersion)" : "/api/\(groupVersion)"
        return try await json(APIRequest(method: .GET, path: path, context: RequestSummary(verb: "get", resource: nil, server: connection.serverDescription)))
    }

    // MARK: - Helpers

    func resolve(_ namespace: String?, for type: ResourceType) -> String? {
        type.namespaced ? (namespace ?? connection.namespace) : nil
    }

    func decode<R: Decodable>(_ type: R.Type, _ value: JSONValue, verb: String) throws(KubernetesError) -> R {
        do {
            return try value.decode(as: R.self)
        } catch {
            let context = RequestSummary(verb: verb, resource: nil, server: connection.serverDescription)
            throw .unexpectedResponse(status: 200, detail: "cannot read \(R.self): \(error)", context)
        }
    }
}
