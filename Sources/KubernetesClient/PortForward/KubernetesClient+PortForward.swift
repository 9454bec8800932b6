import AsyncAlgorithms
import HTTPTypes
import Logging
import NIOCore
import WSClient

extension KubernetesClient {
    /// The WebSocket subprotocol of port-forward that API servers and kubelets speak.
    public static let portForwardProtocol = "v4.channel.k8s.io"

    /// Opens one connection to `port` of a pod through the API server (`pods/portforward`).
    ///
    /// Returns once the server has accepted the WebSocket; the connection stays open until
    /// `close()` or until the pod side ends it.
    public func portForward(pod: String, namespace: String? = nil, port: Int) async throws(KubernetesError) -> PortForwardStream {
        let ns = resolve(namespace, for: .pods) ?? connection.namespace
        let context = RequestSummary(verb: "create", resource: .pods, name: pod, namespace: ns, subresource: "portforward", server: connection.serverDescription)
        let prepared = try await credentials.prepare()
        let path = ResourceType.pods.objectPath(name: pod, namespace: ns, subresource: "portforward")
        let url = APIRequest(method: .GET, path: path, query: [("ports", String(port))], context: context).url(server: connection.server)

        var headers = HTTPFields()
        headers[HTTPField.Name("Sec-WebSocket-Protocol")!] = Self.portForwardProtocol
        if let authorization = prepared.authorization { headers[.authorization] = authorization }
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20, additionalHeaders: headers)
        configuration.sniHostname = Self.tlsServerName(for: connection)

        let stream = PortForwardStream(remotePort: port)
        let connected = AsyncThrowingChannel<Void, any Error>()
        let logger = self.logger
        let task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: prepared.tls, logger: logger) {
                    inbound, outbound, _ in
                    await connected.send(())
                    connected.finish()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await bytes in stream.outbound {
                                try await outbound.write(.binary(PortForwardFraming.frame(bytes)))
                            }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        var framing = PortForwardFraming()
                        for try await message in inbound.messages(maxSize: 16 << 20) {
                            guard case .binary(let buffer) = message else { continue }
                            switch framing.receive(buffer) {
                            case .data(let bytes): await stream.inbound.send(bytes)
                            case .error(let text):
                                stream.inbound.fail(KubernetesError.unreachable(server: "pod \(ns)/\(pod) port \(port)", reason: text))
                                group.cancelAll()
                                return
                            case .nothing: continue
                            }
                        }
                        stream.inbound.finish()
                        group.cancelAll()
                    }
                }
                stream.inbound.finish()
            } catch {
                stream.inbound.fail(error)
                connected.fail(error)
            }
        }
        do {
            for try await _ in connected { return stream }
            task.cancel()
            throw KubernetesError.unreachable(server: connection.serverDescription, reason: "the port-forward connection closed before it was ready")
        } catch {
            task.cancel()
            throw await portForwardFailure(error, pod: pod, namespace: ns, port: port, context: context)
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
        if error is PortForwardRefused || (error as? WebSocketClientError) == .webSocketUpgradeFailed {
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
