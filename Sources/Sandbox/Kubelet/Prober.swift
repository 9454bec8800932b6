import AsyncHTTPClient
import KubernetesClient
import NIOCore
import NIOPosix

/// Runs `tcpSocket` and `httpGet` probes against a pod's IP, as a kubelet does.
enum Prober {
    /// Timing of a probe, with Kubernetes' defaults.
    struct Timing {
        var initialDelay: Duration
        var period: Duration
        var timeout: Duration
        var successThreshold: Int
        var failureThreshold: Int

        init(_ probe: JSONValue) {
            initialDelay = .seconds(probe["initialDelaySeconds"]?.intValue ?? 0)
            period = .seconds(max(1, probe["periodSeconds"]?.intValue ?? 10))
            timeout = .seconds(max(1, probe["timeoutSeconds"]?.intValue ?? 1))
            successThreshold = max(1, probe["successThreshold"]?.intValue ?? 1)
            failureThreshold = max(1, probe["failureThreshold"]?.intValue ?? 3)
        }
    }

    /// One probe attempt: true when it succeeded.
    static func check(_ probe: JSONValue, podIP: String, container: JSONValue) async -> Bool {
        let timing = Timing(probe)
        if let action = probe["tcpSocket"], let port = port(action["port"], container: container) {
            return await connects(host: action["host"]?.stringValue ?? podIP, port: port, timeout: timing.timeout)
        }
        if let action = probe["httpGet"], let port = port(action["port"], container: container) {
            let scheme = (action["scheme"]?.stringValue ?? "HTTP").lowercased()
            var path = action["path"]?.stringValue ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            var request = HTTPClientRequest(url: "\(scheme)://\(action["host"]?.stringValue ?? podIP):\(port)\(path)")
            request.headers.add(name: "User-Agent", value: "kube-probe/1.20")
            // As the kubelet's prober: no kept-alive connections, each probe reaches the container anew.
            request.headers.add(name: "Connection", value: "close")
            for header in action["httpHeaders"]?.arrayValue ?? [] {
                request.headers.add(name: header["name"]?.stringValue ?? "", value: header["value"]?.stringValue ?? "")
            }
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timing.timeout.components.seconds))) else { return false }
            _ = try? await response.body.collect(upTo: 1 << 20)
            return (200..<400).contains(response.status.code)
        }
        return true
    }

    static func connects(host: String, port: Int, timeout: Duration) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(timeout.components.seconds * 1000)))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    /// A probe's port: a number, or the name of one of the container's ports.
    static func port(_ value: JSONValue?, container: JSONValue) -> Int? {
        if let number = value?.intValue { return number }
        guard let name = value?.stringValue else { return nil }
        if let number = Int(name) { return number }
        return (container["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }?["containerPort"]?.intValue
    }
}
