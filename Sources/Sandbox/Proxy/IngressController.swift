import AsyncHTTPClient
import Hummingbird
import HTTPTypes
import KubernetesClient
import Logging
import NIOCore
import Synchronization

/// The ingress-controller part of the process kubelet: an HTTP/1.1 front on one local port that
/// routes each request by its `Host` and path to a backend of the Ingress objects of every
/// namespace (`networking.k8s.io/v1`: host rules, `Prefix`/`Exact`/`ImplementationSpecific`
/// paths, the longest match winning, `defaultBackend`), through the backend service's cluster
/// IP, as an ingress controller in front of a cluster does. Try it with
/// `curl -H 'Host: shop.example.test' http://ADDRESS/`. Requests no rule matches get 404.
/// Hop-by-hop headers are not passed on; everything else is, `kubernetes-route-as` included.
final class IngressController: Sendable {
    private struct Route: Sendable {
        var host: String?
        var path: String
        var exact: Bool
        var namespace: String
        var service: String
        var port: JSONValue
    }

    private struct Table: Sendable {
        var routes: [Route] = []
        /// `namespace/name` → the service as read.
        var services: [String: JSONValue] = [:]
    }

    private let client: KubernetesClient
    private let logger: Logger
    private let table = Mutex(Table())
    /// How often the ingresses and services are read again.
    let refresh: Duration = .milliseconds(500)

    init(client: KubernetesClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "content-length"]

    /// Serves on `address:port` (0: a free port) until cancelled; `onListening` gets the port.
    func run(address: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let responder = CallbackResponder { [self] (request: Request, _: BasicRequestContext) async throws -> Response in
            try await self.forward(request)
        }
        let application = Application(
            responder: responder, configuration: .init(address: .hostname(address, port: port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService() }
            group.addTask {
                while !Task.isCancelled {
                    await self.readRoutes()
                    try? await Task.sleep(for: self.refresh)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Reads the ingresses and services of every namespace (what cannot be read keeps the last table).
    private func readRoutes() async {
        guard let ingresses = try? await client.listRaw(.ingresses, allNamespaces: true).items,
              let services = try? await client.listRaw(.services, allNamespaces: true).items else { return }
        var next = Table()
        for service in services {
            let key = "\(service[path: "metadata", "namespace"]?.stringValue ?? "")/\(service[path: "metadata", "name"]?.stringValue ?? "")"
            next.services[key] = service
        }
        for ingress in ingresses {
            let namespace = ingress[path: "metadata", "namespace"]?.stringValue ?? ""
            func route(host: String?, path: JSONValue?, backend: JSONValue?) -> Route? {
                guard let service = backend?[path: "service", "name"]?.stringValue, let port = backend?[path: "service", "port"] else { return nil }
                let type = path?["pathType"]?.stringValue ?? "Prefix"
                return Route(host: host, path: path?["path"]?.stringValue ?? "/", exact: type == "Exact", namespace: namespace, service: service, port: port)
            }
            for rule in ingress[path: "spec", "rules"]?.arrayValue ?? [] {
                let host = rule["host"]?.stringValue.map { $0.lowercased() }
                for path in rule[path: "http", "paths"]?.arrayValue ?? [] {
                    if let found = route(host: host, path: path, backend: path["backend"]) { next.routes.append(found) }
                }
            }
            if let found = route(host: nil, path: nil, backend: ingress[path: "spec", "defaultBackend"]) { next.routes.append(found) }
        }
        table.withLock { $0 = next }
    }

    private struct NoBackend: Error {
        var reason: String
    }

    /// The backend's `ip:port` for a request to `host` and `path`, or why there is none.
    private func backend(host: String, path: String) -> Result<String, NoBackend> {
        let table = table.withLock { $0 }
        let matching = table.routes.filter { route in
            guard route.host == nil || route.host == host || (route.host?.hasPrefix("*.") == true && host.hasSuffix(String(route.host!.dropFirst()))) else { return false }
            if route.exact { return path == route.path }
            let prefix = route.path.hasSuffix("/") ? String(route.path.dropLast()) : route.path
            return prefix.isEmpty || path == prefix || path.hasPrefix(prefix + "/")
        }
        // A host rule before the default backend; then the longest path.
        guard let best = matching.max(by: { ($0.host != nil ? 1 : 0, $0.path.count) < ($1.host != nil ? 1 : 0, $1.path.count) }) else {
            return .failure(NoBackend(reason: "no ingress rule for host \"\(host)\" and path \"\(path)\""))
        }
        guard let service = table.services["\(best.namespace)/\(best.service)"],
              let address = service[path: "spec", "clusterIP"]?.stringValue, !address.isEmpty, address != "None" else {
            return .failure(NoBackend(reason: "service \"\(best.service)\" of namespace \"\(best.namespace)\" has no cluster IP"))
        }
        let number = best.port["number"]?.intValue ?? service[path: "spec", "ports"]?.arrayValue?
            .first { $0["name"]?.stringValue == best.port["name"]?.stringValue }?["port"]?.intValue
        guard let number else { return .failure(NoBackend(reason: "service \"\(best.service)\" has no port \(best.port.jsonString)")) }
        return .success("\(address):\(number)")
    }

    private func forward(_ request: Request) async throws -> Response {
        let host = String((request.head.authority ?? "").split(separator: ":").first ?? "").lowercased()
        let target: String
        switch backend(host: host, path: request.uri.path) {
        case .success(let found): target = found
        case .failure(let missing):
            return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: missing.reason + "\n")))
        }
        var outgoing = HTTPClientRequest(url: "http://\(target)\(request.uri.string.hasPrefix("/") ? request.uri.string : "/" + request.uri.string)")
        outgoing.method = .init(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.headers.replaceOrAdd(name: "host", value: request.head.authority ?? host)
        let body = try await request.body.collect(upTo: 64 << 20)
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        let answer: HTTPClientResponse
        do {
            answer = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(60))
        } catch {
            return Response(status: .badGateway, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "cannot reach \(target): \(error)\n")))
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers where !Self.hopByHop.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        let bytes = try await answer.body.collect(upTo: 64 << 20)
        return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: bytes))
    }
}
