import Foundation
import KubernetesClient

/// The WebSocket subprotocols of a pod's streaming subresources, as kube-apiserver and the
/// kubelet speak them, and which one a server picks among those a client offers.
///
/// - `portforward`: `v4.channel.k8s.io` (a data and an error channel per requested port, each
///   opened with the port; what kbridge speaks), or `SPDY/3.1+portforward.k8s.io` (SPDY tunnelled
///   in binary messages, one stream pair per connection; what kubectl 1.30+ speaks).
/// - `exec` and `attach`: `v5.channel.k8s.io` or `v4.channel.k8s.io` (`ExecChannel`).
enum StreamingProtocol {
    static let spdyPortForward = "SPDY/3.1+portforward.k8s.io"

    /// What this sandbox serves for `subresource`, best first; empty: not a streaming subresource.
    static func served(for subresource: String) -> [String] {
        switch subresource {
        case "portforward", "portForward": return [KubernetesClient.portForwardProtocol, spdyPortForward]
        case "exec", "attach": return ExecChannel.Version.allCases.map(\.rawValue)
        default: return []
        }
    }

    /// The first protocol of the client's `Sec-WebSocket-Protocol` header that is served for
    /// `subresource` (the client lists them in its order of preference).
    static func choose(offered header: String?, for subresource: String) -> String? {
        let served = served(for: subresource)
        return offered(header).first { served.contains($0) }
    }

    static func offered(_ header: String?) -> [String] {
        (header ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
