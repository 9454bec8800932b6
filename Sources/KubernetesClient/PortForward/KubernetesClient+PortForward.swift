import Foundation
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

    /// Explains a failed port-forward: RBAC, a missing pod or namespace, the answer the server
    /// gave, or why the connection could not be made.
    func portForwardFailure(_ error: any Error, pod: String, namespace: String, port: Int, context: RequestSummary) async -> KubernetesError {
        if let error = error as? KubernetesError { return error }
        if let refused = error as? PortForwardRefused {
            let status = try? JSONDecoder().decode(APIStatus.self, from: Data(refused.body.utf8))
            if let status, ["Forbidden", "Unauthorized", "NotFound"].contains(status.reason ?? "") {
                if status.reason == "NotFound" {
                    do {
                        _ = try await getRaw(.namespaces, name: namespace)
                    } catch where error.isNotFound {
                        return .namespaceNotFound(namespace)
                    } catch {}
                }
                return .api(status, context)
            }
            if status == nil {
                // An answer without a Status (a proxy's, or a WebSocket server's bare 400): the pod may explain it.
                do {
                    _ = try await getRaw(.pods, name: pod, namespace: namespace)
                } catch {
                    return error
                }
            }
            let said = status?.message ?? refused.body.trimmingCharacters(in: .whitespacesAndNewlines)
            return .portForward(
                pod: pod, namespace: namespace, port: port,
                reason: "the server answered \(refused.status.code) \(refused.status.reasonPhrase)\(said.isEmpty ? "" : ": \(said)")"
            )
        }
        return .portForward(pod: pod, namespace: namespace, port: port, reason: "cannot reach \(connection.serverDescription): \(TransportFailure.describe(error))")
    }

    /// The logs of a pod's container, whole (of its previous run with `previous`).
    public func logs(pod: String, namespace: String? = nil, container: String? = nil, tailLines: Int? = nil, previous: Bool = false) async throws(KubernetesError) -> String {
        let request = logRequest(pod: pod, namespace: namespace, container: container, follow: false, tailLines: tailLines, previous: previous)
        return String(decoding: try await send(request).body, as: UTF8.self)
    }

    /// The logs of a pod's container as they are written, until the container stops or the task is cancelled.
    public func followLogs(pod: String, namespace: String? = nil, container: String? = nil) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let request = logRequest(pod: pod, namespace: namespace, container: container, follow: true, tailLines: nil, previous: false)
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

    private func logRequest(pod: String, namespace: String?, container: String?, follow: Bool, tailLines: Int?, previous: Bool) -> APIRequest {
        let ns = resolve(namespace, for: .pods)
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        if previous { query.append(("previous", "true")) }
        let context = RequestSummary(verb: "get", resource: .pods, name: pod, namespace: ns, subresource: "log", server: connection.serverDescription)
        return APIRequest(method: .GET, path: ResourceType.pods.objectPath(name: pod, namespace: ns, subresource: "log"), query: query, accept: "*/*", context: context)
    }
}
