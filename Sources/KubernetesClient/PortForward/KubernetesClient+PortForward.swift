import NIOCore

extension KubernetesClient {
    /// The WebSocket subprotocol of port-forward that API servers and kubelets speak.
    public static let portForwardProtocol = "v4.channel.k8s.io"

    /// Opens one connection to `port` of a pod through the API server (`pods/portforward`), as an
    /// async byte channel. Closing it (or finishing its output) ends the pod-side TCP connection.
    public func portForward(pod: String, namespace: String? = nil, port: Int) async throws(KubernetesError) -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await portForwardChannel(pod: pod, namespace: namespace, port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    }

    /// The name to present and verify in TLS. An IP address cannot be sent as SNI, so a server
    /// addressed by IP is verified as `kubernetes`, the name every API server certificate carries
    /// for in-cluster clients (unless the kubeconfig sets `tls-server-name`).
    static func tlsServerName(for connection: ClusterConnection) -> String? {
        if let name = connection.tls.serverName { return name }
        guard let host = connection.server.host else { return nil }
        let isAddress = host.contains(":") || host.split(separator: ".").allSatisfy { UInt8($0) != nil }
        return isAddress ? "kubernetes" : nil
    }

    /// Explains a refused port-forward: a missing pod or namespace, RBAC, or the reason the server gave.
    func portForwardFailure(_ error: any Error, pod: String, namespace: String, port: Int, context: RequestSummary) async -> KubernetesError {
        if let error = error as? KubernetesError { return error }
        do {
            _ = try await getRaw(.pods, name: pod, namespace: namespace)
        } catch {
            return error
        }
        if error is PortForwardRefused {
            return .unexpectedResponse(
                status: 0, detail: "the server refused to port-forward to port \(port) of pod \"\(pod)\" in namespace \"\(namespace)\"", context
            )
        }
        return .unreachable(server: connection.serverDescription, reason: TransportFailure.describe(error))
    }

    /// The logs of a pod's container, whole.
    public func logs(pod: String, namespace: String? = nil, container: String? = nil, tailLines: Int? = nil) async throws(KubernetesError) -> String {
        let request = logRequest(pod: pod, namespace: namespace, container: container, follow: false, tailLines: tailLines)
        return String(decoding: try await send(request).body, as: UTF8.self)
    }

    /// The logs of a pod's container as they are written, until the container stops or the task is cancelled.
    public func followLogs(pod: String, namespace: String? = nil, container: String? = nil) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let request = logRequest(pod: pod, namespace: namespace, container: container, follow: true, tailLines: nil)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in try await self.stream(request).body { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func logRequest(pod: String, namespace: String?, container: String?, follow: Bool, tailLines: Int?) -> APIRequest {
        let ns = resolve(namespace, for: .pods)
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        let context = RequestSummary(verb: "get", resource: .pods, name: pod, namespace: ns, subresource: "log", server: connection.serverDescription)
        return APIRequest(method: .GET, path: ResourceType.pods.objectPath(name: pod, namespace: ns, subresource: "log"), query: query, accept: "*/*", context: context)
    }
}
