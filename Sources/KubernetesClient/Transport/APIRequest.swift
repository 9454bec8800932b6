import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One HTTP call to the API server.
struct APIRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [(String, String)] = []
    var body: JSONValue?
    var contentType = "application/json"
    var accept = "application/json"
    var context: RequestSummary

    init(
        method: HTTPMethod, path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json", accept: String = "application/json", context: RequestSummary
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
        self.accept = accept
        self.context = context
    }

    func url(server: URL) -> String {
        var base = server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard !query.isEmpty else { return base + path }
        return base + path + "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// A response whose body has been read whole.
struct APIResponse: Sendable {
    var status: Int
    var body: Data
}

extension KubernetesClient {
    /// The HTTP client all `KubernetesClient`s share, for the life of the process. Unlike
    /// `HTTPClient.shared`, it does not retry a refused connection until the deadline: an
    /// unreachable server is reported at once.
    static let transport: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends a request and returns the JSON body of a successful answer.
    func json(_ request: APIRequest) async throws(KubernetesError) -> JSONValue {
        let response = try await send(request)
        if response.body.isEmpty { return .null }
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw .unexpectedResponse(status: response.status, detail: "the body is not JSON", request.context)
        }
    }

    /// Sends a request; any non-2xx answer becomes a `KubernetesError`.
    func send(_ request: APIRequest) async throws(KubernetesError) -> APIResponse {
        let response = try await execute(request, retryingUnauthorized: true)
        let body: Data
        do {
            body = Data(buffer: try await response.body.collect(upTo: 256 << 20))
        } catch {
            throw .unreachable(server: connection.serverDescription, reason: "the connection broke while reading the answer: \(TransportFailure.describe(error))")
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else { throw try await failure(status: status, body: body, request: request) }
        return APIResponse(status: status, body: body)
    }

    /// Sends a request and hands back the response with its body still streaming (watch, logs).
    func stream(_ request: APIRequest) async throws(KubernetesError) -> HTTPClientResponse {
        let response = try await execute(request, retryingUnauthorized: true, timeout: .hours(24 * 365))
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data(buffer: $0) } ?? Data()
            throw try await failure(status: status, body: body, request: request)
        }
        return response
    }

    /// How long a request may take before it fails ("the request timed out"). A read (GET) that
    /// times out is tried once more, on another connection (the timed-out one is closed): seen on
    /// a loaded machine, one request waited for ever while the server answered others.
    static let requestTimeout = TimeAmount.seconds(60)
    static let readTimeout = TimeAmount.seconds(30)

    private func execute(_ request: APIRequest, retryingUnauthorized: Bool, timeout: TimeAmount? = nil) async throws(KubernetesError) -> HTTPClientResponse {
        let prepared = try await credentials.prepare()
        var http = HTTPClientRequest(url: request.url(server: connection.server))
        http.method = request.method
        http.tlsConfiguration = prepared.tls
        http.headers.add(name: "Accept", value: request.accept)
        http.headers.add(name: "User-Agent", value: "kbridge")
        if let authorization = prepared.authorization { http.headers.add(name: "Authorization", value: authorization) }
        if let body = request.body {
            do {
                http.body = .bytes(ByteBuffer(data: try body.jsonData()))
            } catch {
                throw .unencodable("cannot encode the request body: \(error)")
            }
            http.headers.add(name: "Content-Type", value: request.contentType)
        }
        logger.debug("request", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
        let isRead = request.method == .GET && timeout == nil
        let limit = timeout ?? (isRead ? Self.readTimeout : Self.requestTimeout)
        let response: HTTPClientResponse
        do {
            response = try await KubernetesClient.transport.execute(http, timeout: limit)
        } catch let error as HTTPClientError where error == .deadlineExceeded && isRead {
            logger.info("request timed out: trying once more", metadata: ["path": "\(request.path)", "after": "\(limit)"])
            do {
                response = try await KubernetesClient.transport.execute(http, timeout: limit)
            } catch {
                throw .unreachable(server: connection.serverDescription, reason: TransportFailure.describe(error))
            }
        } catch {
            throw .unreachable(server: connection.serverDescription, reason: TransportFailure.describe(error))
        }
        if response.status == .unauthorized, retryingUnauthorized, case .exec = connection.authentication {
            await credentials.rejected()
            return try await execute(request, retryingUnauthorized: false, timeout: timeout)
        }
        return response
    }

    /// Turns an error answer into a typed error, telling a missing namespace apart from a missing object.
    private func failure(status: Int, body: Data, request: APIRequest) async throws(KubernetesError) -> KubernetesError {
        guard let apiStatus = try? JSONDecoder().decode(APIStatus.self, from: body), apiStatus.code != 0 || apiStatus.reason != nil else {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if status == 401 {
                return .api(APIStatus(status: "Failure", message: "Unauthorized", reason: "Unauthorized", details: nil, code: 401), request.context)
            }
            return .unexpectedResponse(status: status, detail: text.isEmpty ? "no body" : text, request.context)
        }
        if status == 410 { return .expired(request.context) }
        if apiStatus.reason == "NotFound", let namespace = request.context.namespace, request.context.resource != .namespaces {
            let namespaceContext = RequestSummary(verb: "get", resource: .namespaces, name: namespace, server: connection.serverDescription)
            let probe = APIRequest(method: .GET, path: ResourceType.namespaces.objectPath(name: namespace, namespace: nil), context: namespaceContext)
            if let response = try? await execute(probe, retryingUnauthorized: false), response.status == .notFound {
                return .namespaceNotFound(namespace)
            }
        }
        return .api(apiStatus, request.context)
    }
}
