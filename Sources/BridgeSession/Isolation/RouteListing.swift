import Isolation
import KubernetesClient

/// The isolated sessions of a namespace, as `kbridge list routes` shows them: read from their
/// copies (the seeds' labels and annotations) and the ingresses duplicated for their names.
public struct RouteListing: Sendable {
    public struct Route: Sendable, Equatable {
        public var routeAs: String
        public var service: String
        public var pod: String
        public var session: String
        public var machine: String
        /// When the copy was created (RFC 3339).
        public var since: String
        /// The ingress hosts that stamp the routing name: `NAME.<host>`.
        public var hosts: [String]
    }

    let client: KubernetesClient
    public let namespace: String

    public init(client: KubernetesClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    /// The routes, by routing name then service; copies being deleted left out.
    public func read() async throws(KubernetesError) -> [Route] {
        let pods = try await client.listRaw(.pods, namespace: namespace, options: ListOptions(labelSelector: RoutingNames.routeFromLabel)).items
        var hosts: [String: [String]] = [:]
        do {
            let duplicates = try await client.listRaw(.ingresses, namespace: namespace, options: ListOptions(labelSelector: RoutingNames.routeAsLabel)).items
            for ingress in duplicates {
                guard let name = ingress[path: "metadata", "labels", RoutingNames.routeAsLabel]?.stringValue else { continue }
                hosts[name, default: []] += (ingress[path: "spec", "rules"]?.arrayValue ?? []).compactMap { $0["host"]?.stringValue }
            }
        } catch let error where error.isNotFound {
            // No ingresses served: no hosts.
        }
        return pods.filter { $0[path: "metadata", "deletionTimestamp"] == nil }.compactMap { pod -> Route? in
            guard let service = pod[path: "metadata", "labels", RoutingNames.routeFromLabel]?.stringValue,
                  let routeAs = RoutingNames.routingName(inRouteOnHeader: pod[path: "metadata", "annotations", RoutingNames.routeOnHeaderAnnotation]?.stringValue ?? "") else { return nil }
            return Route(
                routeAs: routeAs, service: service, pod: pod[path: "metadata", "name"]?.stringValue ?? "",
                session: pod[path: "metadata", "labels", ClusterNames.sessionLabel]?.stringValue ?? "",
                machine: pod[path: "metadata", "annotations", ClusterNames.machineAnnotation]?.stringValue ?? "",
                since: pod[path: "metadata", "creationTimestamp"]?.stringValue ?? "", hosts: (hosts[routeAs] ?? []).sorted()
            )
        }.sorted { ($0.routeAs, $0.service) < ($1.routeAs, $1.service) }
    }
}
