import AsyncHTTPClient
import Foundation
import KubernetesClient
import NIOCore
import NIOSSL

/// How the API server reaches a node's kubelet, as a real one does for `pods/log` and
/// `pods/portforward`: HTTPS to the address and port the Node reports, authenticated with the
/// API server's kubelet-client certificate.
struct KubeletConnector: Sendable {
    let tls: TLSConfiguration

    init(clientCertificatePEM: [UInt8], clientKeyPEM: [UInt8]) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(clientCertificatePEM).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: clientKeyPEM, format: .pem))
        // Like kube-apiserver without --kubelet-certificate-authority: kubelet serving certificates are self-signed.
        tls.certificateVerification = .none
        self.tls = tls
    }

    func baseURL(of node: JSONValue) throws(APIError) -> String {
        let addresses = node[path: "status", "addresses"]?.arrayValue ?? []
        let host = (addresses.first { $0["type"]?.stringValue == "InternalIP" } ?? addresses.first)?["address"]?.stringValue
        guard let host, let port = node[path: "status", "daemonEndpoints", "kubeletEndpoint", "Port"]?.intValue else {
            throw .serviceUnavailable("node \"\(node[path: "metadata", "name"]?.stringValue ?? "")\" reports no kubelet address")
        }
        return "https://\(host):\(port)"
    }

    func logs(node: JSONValue, namespace: String, pod: String, container: String, follow: Bool, tailLines: Int?, previous: Bool) async throws(APIError) -> AsyncStream<ByteBuffer> {
        var url = "\(try baseURL(of: node))/containerLogs/\(namespace)/\(pod)/\(container)?follow=\(follow)&previous=\(previous)"
        if let tailLines { url += "&tailLines=\(tailLines)" }
        var request = HTTPClientRequest(url: url)
        request.tlsConfiguration = tls
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .hours(24))
        } catch {
            throw .internal("Get \"\(url)\": \(error)")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            throw APIError(code: Int(response.status.code), reason: "BadRequest", message: body.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return AsyncStream { continuation in
            let task = Task {
                do {
                    for try await chunk in response.body { continuation.yield(chunk) }
                } catch {}
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
