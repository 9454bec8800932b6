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
/// bearer tokens, JSON and chunked watch responses, and the WebSocket upgrade of
/// `pods/portforward`, relayed to the pod's kubelet as a real API server does.
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
            try await Self.portForwardUpgrade(head, channel: channel, api: api, delay: delay, logger: logger)
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

    // MARK: Port-forward

    /// Accepts the WebSocket of `pods/portforward` when the user may use it and the pod runs on a node;
    /// anything else goes to the normal responder, which answers with the right `Status`.
    private static func portForwardUpgrade(
        _ head: HTTPRequest, channel: any Channel, api: KubernetesAPI, delay: Duration, logger: Logger
    ) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let target = head.path.map({ URI($0) }), let path = APIPath(target.path), path.subresource == "portforward",
            let podName = path.name, let namespace = path.namespace,
            let user = await authenticate(headers: head.headerFields, channel: channel, api: api),
            await api.authorizer.allows(user, verb: "create", type: .pods, subresource: "portforward", namespace: namespace, name: podName),
            let pod = await api.store.find(.pods, namespace: namespace, name: podName),
            let nodeName = pod[path: "spec", "nodeName"]?.stringValue,
            let node = await api.store.find(.nodes, namespace: nil, name: nodeName),
            let base = try? api.kubelets.baseURL(of: node)
        else { return .dontUpgrade }
        let ports = portForwardPorts(target.query)
        guard !ports.isEmpty else { return .dontUpgrade }
        // As kube-apiserver passes it on: one `port` key per port.
        let url = "\(base)/portForward/\(namespace)/\(podName)?" + ports.map { "port=\($0)" }.joined(separator: "&")
        let tls = api.kubelets.tls
        var headers = HTTPFields()
        headers[HTTPField.Name("Sec-WebSocket-Protocol")!] = KubernetesClient.portForwardProtocol
        return .upgrade(headers) { inbound, outbound, _ in
            var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
            // Kubelets are addressed by IP, which TLS cannot carry as SNI; their certificates are not verified anyway.
            configuration.sniHostname = "kubelet"
            configuration.additionalHeaders[HTTPField.Name("Sec-WebSocket-Protocol")!] = KubernetesClient.portForwardProtocol
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { kubeletInbound, kubeletOutbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await DelayedRelay.relay(inbound.messages(maxSize: 16 << 20), delay: delay) { try await kubeletOutbound.write(.binary($0)) }
                            try await kubeletOutbound.close(.normalClosure, reason: nil)
                        }
                        group.addTask {
                            try await DelayedRelay.relay(kubeletInbound.messages(maxSize: 16 << 20), delay: delay) { try await outbound.write(.binary($0)) }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                logger.debug("port-forward relay ended", metadata: ["error": "\(error)", "pod": "\(namespace)/\(podName)"])
            }
        }
    }
}
