extension KubernetesClient {
    /// POSTs to a subresource of an object (`serviceaccounts/token`, `pods/binding`, `pods/eviction`).
    @discardableResult
    public func createSubresource(_ type: ResourceType, name: String, namespace: String? = nil, subresource: String, _ body: JSONValue) async throws(KubernetesError) -> JSONValue {
        let ns = resolve(namespace, for: type)
        let context = RequestSummary(verb: "create", resource: type, name: name, namespace: ns, subresource: subresource, server: connection.serverDescription)
        return try await json(APIRequest(method: .POST, path: type.objectPath(name: name, namespace: ns, subresource: subresource), body: body, context: context))
    }

    /// A token for a service account (the TokenRequest API), as a kubelet asks for projected tokens.
    public func requestToken(serviceAccount: String, namespace: String, expirationSeconds: Int? = nil) async throws(KubernetesError) -> String {
        var spec: [String: JSONValue] = [:]
        if let expirationSeconds { spec["expirationSeconds"] = .integer(Int64(expirationSeconds)) }
        let body: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": .object(spec)]
        let answer = try await createSubresource(.serviceAccounts, name: serviceAccount, namespace: namespace, subresource: "token", body)
        guard let token = answer[path: "status", "token"]?.stringValue else {
            let context = RequestSummary(verb: "create", resource: .serviceAccounts, name: serviceAccount, namespace: namespace, subresource: "token", server: connection.serverDescription)
            throw .unexpectedResponse(status: 201, detail: "the TokenRequest has no status.token", context)
        }
        return token
    }

    /// Removes a pod at once (grace period 0), as a kubelet does once its containers have stopped.
    /// The uid precondition makes sure a new pod of the same name is left alone.
    public func deleteNow(pod: String, namespace: String, uid: String) async throws(KubernetesError) {
        let context = RequestSummary(verb: "delete", resource: .pods, name: pod, namespace: namespace, server: connection.serverDescription)
        let options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "preconditions": ["uid": .string(uid)]]
        _ = try await json(APIRequest(method: .DELETE, path: ResourceType.pods.objectPath(name: pod, namespace: namespace), body: options, context: context))
    }
}
