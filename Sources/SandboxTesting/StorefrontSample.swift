import AsyncHTTPClient
import Foundation
import KubernetesClient
import NIOFoundationCompat

/// The storefront sample (`samples/storefront`: web → api → inventory) on a cluster, in the
/// namespace of a client: deploying it, waiting until it answers, asking its front. The one home
/// of these steps for `kbridge demo` and the tests (on the sandbox and on real clusters).
public struct StorefrontSample: Sendable {
    /// The sample's services, in the order a request through the front goes through them.
    public static let services = ["web", "api", "inventory"]
    public let client: KubernetesClient

    public init(client: KubernetesClient) {
        self.client = client
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// One answer of the front.
    public struct Answer: Sendable {
        public var json: JSONValue
        public var status: Int

        /// The services the request went through, in order.
        public var hops: [String] {
            [json["service"], json[path: "api", "service"], json[path: "api", "inventory", "service"]].compactMap { $0?.stringValue }
        }

        /// The api's version: "1" for the cluster's, what a local copy was given otherwise.
        public var apiVersion: String? { json[path: "api", "version"]?.stringValue }

        /// Whether the request went through web, the api and the inventory and was answered 200.
        public var wentThroughEveryService: Bool { status == 200 && hops == StorefrontSample.services }
    }

    /// Creates the sample's objects (the manifests in the folder `manifests`) in the client's
    /// namespace, and returns them.
    @discardableResult
    public func deploy(manifests: String) async throws -> [Manifest.Object] {
        let objects = try Manifest.objects(at: manifests)
        for object in objects { try await client.createRaw(object.type, object.body) }
        return objects
    }

    /// Waits until each service sends its traffic to a ready pod (up to `readyTimeout` each, said
    /// through `progress`), then until a request through the front is answered by the api (up to
    /// `answerTimeout`).
    public func waitUntilAnswering(
        readyTimeout: Duration = .seconds(90), answerTimeout: Duration = .seconds(180), progress: (String) -> Void = { _ in }
    ) async throws(Failure) {
        for name in Self.services {
            let ready = await TestSandbox.eventually(timeout: readyTimeout) { try await hasReadyEndpoint(service: name) }
            guard ready else { throw Failure(description: "service \(name) has no ready pod after \(readyTimeout) (pods: \(await podSummary()))") }
            progress("\(name) has a ready pod")
        }
        // Ready endpoints reach a real kube-proxy's rules a moment later (seen over a minute on a
        // busy CI machine); the whole chain answers once the front reaches the api through its service too.
        var lastFailure = ""
        let answering = await TestSandbox.eventually(timeout: answerTimeout) {
            switch await ask() {
            case .success(let answer) where answer.apiVersion != nil:
                return true
            case .success(let answer):
                lastFailure = "the front answered without the api's version: \(answer.json.jsonString.prefix(300))"
                return false
            case .failure(let failure):
                lastFailure = failure.description
                return false
            }
        }
        guard answering else {
            throw Failure(description: "the front service does not answer through the api (last attempt: \(lastFailure); pods: \(await podSummary()))")
        }
    }

    /// The front's address: its service's cluster IP and (first) port.
    public func frontURL() async throws(Failure) -> String {
        do {
            let front = try await client.get(Service.self, name: "web")
            guard let address = front.spec.clusterIP, let port = front.spec.ports?.first?.port else { throw Failure(description: "the web service has no cluster IP or port") }
            return "http://\(address):\(port)/"
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "reading service web: \(error)")
        }
    }

    /// One GET through the front service, with `headers`: its answer, or why there was none.
    public func ask(headers: [(name: String, value: String)] = []) async -> Result<Answer, Failure> {
        let url: String
        do { url = try await frontURL() } catch { return .failure(error) }
        do {
            // A new connection each time: a request sent before kube-proxy's rules exist can reach
            // whatever else routes the address (on CI machines a proxy answering 404), and a
            // kept-alive connection would keep going there, or skip the cluster's new routing.
            var request = HTTPClientRequest(url: url)
            for header in headers { request.headers.add(name: header.name, value: header.value) }
            request.headers.add(name: "connection", value: "close")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard let json = try? JSONValue.parse(Data(buffer: body)) else {
                return .failure(Failure(description: "\(url) answered \(response.status.code) with no JSON: \(String(buffer: body).prefix(200))"))
            }
            return .success(Answer(json: json, status: Int(response.status.code)))
        } catch {
            return .failure(Failure(description: "GET \(url): \(error)"))
        }
    }

    /// Whether a service sends its traffic to at least one ready pod.
    public func hasReadyEndpoint(service name: String) async throws -> Bool {
        let service = try await client.get(Service.self, name: name)
        let answer = try await ServiceEndpointsReader.discover(client: client).readyAddresses(of: [service], namespace: client.defaultNamespace)
        return answer.readyAddresses[name]?.isEmpty == false
    }

    /// Each pod of the namespace with its phase, readiness and IP, for failure messages.
    public func podSummary() async -> String {
        guard let pods = try? await client.list(Pod.self) else { return "cannot list pods" }
        return pods.map { "\($0.metadata.name ?? "?") \($0.status?.phase ?? "?") ready=\($0.isReady) \($0.status?.podIP ?? "-")" }.joined(separator: ", ")
    }
}
