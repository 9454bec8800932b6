import KubernetesClient
import Routing

/// Whether a service's requests can be routed by header: its routers carry TCP only, and a
/// header can be read only in plain HTTP. What a port speaks is read as Kubernetes and Istio say
/// it: the port's `appProtocol`, else its name's prefix (`http-web`, `grpc`, `tcp-db`, `mysql`).
/// A port that says nothing may be HTTP: routed (what is not HTTP passes the routers untouched).
public enum RoutablePorts {
    /// Protocols that carry HTTP requests a router can read.
    static let http: Set<String> = ["http", "http2", "h2c", "grpc", "grpc-web", "ws", "kubernetes.io/h2c", "kubernetes.io/ws"]
    /// Protocols that do not (or not readably: TLS).
    static let other: Set<String> = [
        "tcp", "tls", "https", "kubernetes.io/wss", "wss", "mongo", "mongodb", "mysql", "redis", "postgres", "postgresql", "amqp", "kafka",
        "zookeeper", "mqtt", "smtp", "dns", "memcached", "cassandra", "nats", "ldap",
    ]

    /// What a port speaks, as its `appProtocol` or name says; nil when it says nothing known.
    static func protocolOf(_ port: ServicePort) -> String? {
        if let declared = port.appProtocol?.lowercased(), !declared.isEmpty { return declared }
        guard let name = port.name?.lowercased(), !name.isEmpty else { return nil }
        let prefix = String(name.split(separator: "-").first ?? "")
        return http.contains(prefix) || other.contains(prefix) ? prefix : nil
    }

    /// Why `service`'s requests cannot be routed by header, or nil when they can.
    public static func refusal(of service: Service) -> String? {
        let name = service.metadata.nameOrEmpty
        if service.spec.isHeadless {
            return "service \"\(name)\" is headless: its callers reach its pods directly, so no router can stand in front of them"
        }
        let ports = service.spec.ports ?? []
        if let port = ports.first(where: { ($0.protocol ?? "TCP") != "TCP" }) {
            return "service \"\(name)\" has \(port.protocol ?? "") port \(port.port): header routing carries TCP only, so that port would stop working for everyone while isolated"
        }
        let spoken = ports.map { protocolOf($0) }
        if !spoken.isEmpty, spoken.allSatisfy({ $0 != nil && !http.contains($0!) }) {
            let said = zip(ports, spoken).map { "\($0.port) (\($1 ?? ""))" }.joined(separator: ", ")
            return "service \"\(name)\" does not speak plain HTTP on any port (\(said)): its requests cannot carry \(RouteAs.header), so none would reach this machine"
        }
        return nil
    }
}
