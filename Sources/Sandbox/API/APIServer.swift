import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import KubernetesClient
import Logging
import NIOCore
import NIOSSL
import WSClient

/// A Hummingbird request context that remembers the connection, to read its client certificate.
struct ConnectionContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    var maxUploadSize: Int { 32 << 20 }
}

/// The HTTPS front of the sandbox's API server: TLS with client-certificate authentication,
/// bearer tokens, JSON and chunked watch responses, and the WebSocket upgrades of
/// `pods/portforward`, `pods/exec` and `pods/attach`, relayed to the pod's kubelet as a real
/// API server does.
struct APIServer {
    let api: KubernetesAPI
    let tls: TLSConfiguration
    let host: String
    let port: Int
    let portForwardDelay: Duration
    let logger: Logger

    /// Builds the Hummingbird application; `onRunning` receives the bound port.
    func application(onRunning: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        let api = self.api
        let responder = CallbackResponder { (request: Request, context: ConnectionContext) async throws -> Response in
            let user = await Self.authenticate(headers: request.headers, channel: context.channel, api: api)
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let apiRequest = APIServerRequest(
                method: request.method.rawValue, path: request.uri.path,
                query: Self.query(request.uri.query), accept: request.headers[.accept], contentType: request.headers[.contentType],
                body: Data(buffer: body), user: user
            )
            return Self.response(await api.handle(apiRequest))
        }
        let logger = self.logger
        let delay = portForwardDelay
        let server = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(ws: .init(maxFrameSize: 1 << 20, extensions: [FastUnmasking.builder]))
        ) { head, channel, _ in
            try await Self.streamingUpgrade(head, channel: channel, api: api, delay: delay, logger: logger)
        }
        return Application(
            responder: responder,
            server: try .tls(server, tlsConfiguration: tls),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    static func query(_ text: String?) -> [String: String] {
        Dictionary(queryItems(text), uniquingKeysWith: { _, last in last })
    }

    /// Every `key=value` of a query in order, repeated keys included (`port=80&port=443`).
    static func queryItems(_ text: String?) -> [(key: String, value: String)] {
        (text ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0].removingPercentEncoding ?? parts[0]
            let value = parts.count > 1 ? (parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? parts[1]) : ""
            return (key, value)
        }
    }

    /// The ports of a `pods/portforward` request: `ports` repeated or comma-separated, as
    /// `PodPortForwardOptions` is encoded in a query.
    static func portForwardPorts(_ text: String?) -> [Int] {
        queryItems(text).filter { $0.key == "ports" }.flatMap { $0.value.split(separator: ",") }
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func authenticate(headers: HTTPFields, channel: any Channel, api: KubernetesAPI) async -> UserInfo? {
        if let authorization = headers[.authorization] {
            guard authorization.hasPrefix("Bearer ") else { return nil }
            return await api.authenticator.user(forToken: String(authorization.dropFirst("Bearer ".count)))
        }
        if let certificate = try? await channel.nioSSL_peerCertificate().get() {
            return Authenticator.user(forCertificate: certificate)
        }
        return nil
    }

    static func response(_ response: APIServerResponse) -> Response {
        switch response {
        case .json(let value, let status):
            let data = (try? value.jsonData()) ?? Data()
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json", .cacheControl: "no-cache, private"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
            )
        case .empty(let status):
            return Response(status: .init(code: status))
        case .stream(let chunks, let contentType):
            return Response(
                status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache, private"],
                body: ResponseBody(asyncSequence: chunks)
            )
        }
    }

    // MARK: Streaming subresources

    /// Accepts the WebSocket of `pods/portforward`, `pods/exec` and `pods/attach` when the user may
    /// use it, the pod runs on a node and the client offers a protocol served for it
    /// (`StreamingProtocol`), and relays its messages to the same WebSocket on the pod's kubelet;
    /// anything else goes to the normal responder, which answers with the right `Status`.
    private static func streamingUpgrade(
        _ head: HTTPRequest, channel: any Channel, api: KubernetesAPI, delay: Duration, logger: Logger
    ) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let target = head.path.map({ URI($0) }), let path = APIPath(target.path), let subresource = path.subresource,
            let podName = path.name, let namespace = path.namespace,
            let chosen = StreamingProtocol.choose(offered: head.headerFields[webSocketProtocol], for: subresource),
            let user = await authenticate(headers: head.headerFields, channel: channel, api: api),
            await api.authorizer.allows(user, verb: "create", type: .pods, subresource: subresource, namespace: namespace, name: podName),
            let pod = await api.store.find(.pods, namespace: namespace, name: podName),
            let nodeName = pod[path: "spec", "nodeName"]?.stringValue,
            let node = await api.store.find(.nodes, namespace: nil, name: nodeName),
            let base = try? api.kubelets.baseURL(of: node),
            let location = kubeletLocation(subresource: subresource, protocol: chosen, pod: pod, query: target.query)
        else { return .dontUpgrade }
        let url = "\(base)/\(location)"
        let tls = api.kubelets.tls
        var headers = HTTPFields()
        headers[webSocketProtocol] = chosen
        return .upgrade(headers) { inbound, outbound, _ in
            var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
            // Kubelets are addressed by IP, which TLS cannot carry as SNI; their certificates are not verified anyway.
            configuration.sniHostname = "kubelet"
            configuration.additionalHeaders[webSocketProtocol] = chosen
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { kubeletInbound, kubeletOutbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await DelayedRelay.relay(inbound.messages(maxSize: 16 << 20), delay: delay) { try await kubeletOutbound.write(.binary($0)) }
                            try await kubeletOutbound.close(.normalClosure, reason: nil)
                        }
                        group.addTask {
                            try await DelayedRelay.relay(kubeletInbound.messages(maxSize: 16 << 20), delay: delay) { try await outbound.write(.binary($0)) }
                            // The kubelet's end is the client's: close it now, not once the client
                            // sends something (a client waiting for the close would wait for ever).
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                logger.debug("\(subresource) relay ended", metadata: ["error": "\(error)", "pod": "\(namespace)/\(podName)"])
            }
        }
    }

    static let webSocketProtocol = HTTPField.Name("Sec-WebSocket-Protocol")!

    /// Where the kubelet serves a pod's streaming subresource, as kube-apiserver asks for it:
    /// `portForward/NS/POD` (with one `port` key per port for the channel protocol),
    /// `exec|attach/NS/POD/CONTAINER` with the request's options; nil when the request cannot
    /// be served (no ports, a container the pod does not have).
    static func kubeletLocation(subresource: String, protocol chosen: String, pod: JSONValue, query: String?) -> String? {
        let namespace = pod.namespace ?? "default"
        switch subresource {
        case "portforward":
            guard chosen == KubernetesClient.portForwardProtocol else { return "portForward/\(namespace)/\(pod.name)" }
            let ports = portForwardPorts(query)
            guard !ports.isEmpty else { return nil }
            return "portForward/\(namespace)/\(pod.name)?" + ports.map { "port=\($0)" }.joined(separator: "&")
        case "exec", "attach":
            guard let container = container(named: Self.query(query)["container"], in: pod) else { return nil }
            return "\(subresource)/\(namespace)/\(pod.name)/\(container)" + (query.map { "?" + $0 } ?? "")
        default:
            return nil
        }
    }

    /// The container a request names, or the pod's only one when it names none.
    static func container(named name: String?, in pod: JSONValue) -> String? {
        let names = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        guard let name, !name.isEmpty else { return names.count == 1 ? names[0] : nil }
        return names.contains(name) ? name : nil
    }
}
