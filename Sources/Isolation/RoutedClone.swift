import KubernetesClient
import Routing

/// A session's copy of a pod, as the routing manager reads it: which service's requests it takes,
/// for which routing name, and where it listens.
public struct RoutedClone: Sendable, Hashable {
    public var pod: String
    public var service: String
    public var routingName: String
    public var podIP: String
    /// The copy's named container ports, to resolve a service's named target ports.
    public var namedPorts: [String: Int]
    /// When the copy was created (RFC 3339): of two copies with one routing name, the older routes.
    public var created: String

    public init(pod: String, service: String, routingName: String, podIP: String, namedPorts: [String: Int] = [:], created: String = "") {
        self.pod = pod
        self.service = service
        self.routingName = routingName
        self.podIP = podIP
        self.namedPorts = namedPorts
        self.created = created
    }

    /// The copy `pod` is, once it can take requests: labelled and annotated as a copy, not being
    /// deleted, with an address and ready. Nil otherwise (a pod not yet ready is routed once it is).
    public init?(pod: JSONValue) {
        guard let service = pod[path: "metadata", "labels", RoutingNames.routeFromLabel]?.stringValue, !service.isEmpty,
              let header = pod[path: "metadata", "annotations", RoutingNames.routeOnHeaderAnnotation]?.stringValue,
              let name = RoutingNames.routingName(inRouteOnHeader: header), RouteAs.problem(with: name) == nil,
              pod[path: "metadata", "deletionTimestamp"] == nil,
              let ip = pod[path: "status", "podIP"]?.stringValue, !ip.isEmpty else { return nil }
        let conditions = pod[path: "status", "conditions"]?.arrayValue ?? []
        guard conditions.contains(where: { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }) else { return nil }
        var named: [String: Int] = [:]
        for container in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                if let portName = port["name"]?.stringValue, let number = port["containerPort"]?.intValue { named[portName] = number }
            }
        }
        self.init(
            pod: pod[path: "metadata", "name"]?.stringValue ?? "", service: service, routingName: name, podIP: ip, namedPorts: named,
            created: pod[path: "metadata", "creationTimestamp"]?.stringValue ?? ""
        )
    }
}
