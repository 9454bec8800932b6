import Foundation

/// The variables a kubelet gives every container for each service of its namespace
/// (`REDIS_SERVICE_HOST`, `REDIS_SERVICE_PORT`, `REDIS_PORT_6379_TCP_ADDR`, ...), built here for
/// services served on this machine, so that code that finds services through them reaches the
/// local listeners.
public enum ServiceEnvironment {
    public struct Port: Sendable, Equatable {
        public var name: String?
        /// The service's port, which names the `_PORT_<port>_<proto>` variables.
        public var port: Int
        /// Where it is served here.
        public var localPort: Int
        public var `protocol`: String

        public init(name: String?, port: Int, localPort: Int, protocol: String = "TCP") {
            self.name = name
            self.port = port
            self.localPort = localPort
            self.protocol = `protocol`
        }
    }

    /// The variables of one service whose ports are served at `host`.
    public static func variables(service: String, host: String, ports: [Port]) -> [String: String] {
        guard let first = ports.first else { return [:] }
        let prefix = service.uppercased().replacingOccurrences(of: "-", with: "_")
        var variables = [
            "\(prefix)_SERVICE_HOST": host,
            "\(prefix)_SERVICE_PORT": String(first.localPort),
            "\(prefix)_PORT": "\(first.protocol.lowercased())://\(host):\(first.localPort)",
        ]
        for port in ports {
            if let name = port.name, !name.isEmpty {
                variables["\(prefix)_SERVICE_PORT_\(name.uppercased().replacingOccurrences(of: "-", with: "_"))"] = String(port.localPort)
            }
            let base = "\(prefix)_PORT_\(port.port)_\(port.protocol.uppercased())"
            variables[base] = "\(port.protocol.lowercased())://\(host):\(port.localPort)"
            variables["\(base)_PROTO"] = port.protocol.lowercased()
            variables["\(base)_PORT"] = String(port.localPort)
            variables["\(base)_ADDR"] = host
        }
        return variables
    }
}
