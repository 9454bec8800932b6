import Isolation
import KubernetesClient
import Routing

/// What `connect --isolate` checks before anything changes: a service is the target, the routing
/// name is a DNS label no other session uses for that service, and the service's requests can be
/// routed by header (`RoutablePorts`).
struct IsolationCheck: Sendable {
    let client: KubernetesClient
    let namespace: String

    func run(_ target: TakeoverTarget, routeAs: String) async throws(SessionError) {
        guard let service = target.service else {
            throw .isolationRefused("--isolate routes the requests of a service to this machine: name it with --service (a --pod or --workload gets no requests)")
        }
        if let problem = RouteAs.problem(with: routeAs) { throw .isolationRefused("--route-as: \(problem)") }
        if let refusal = RoutablePorts.refusal(of: service) {
            throw .isolationRefused("\(refusal); connect without --isolate to redirect all of its traffic")
        }
        let name = service.metadata.nameOrEmpty
        let copies: [JSONValue]
        do {
            copies = try await client.listRaw(.pods, namespace: namespace, options: ListOptions(labelSelector: "\(RoutingNames.routeFromLabel)=\(name)")).items
        } catch {
            throw .cluster(error)
        }
        for copy in copies where copy[path: "metadata", "deletionTimestamp"] == nil {
            let header = copy[path: "metadata", "annotations", RoutingNames.routeOnHeaderAnnotation]?.stringValue ?? ""
            guard RoutingNames.routingName(inRouteOnHeader: header) == routeAs else { continue }
            let session = copy[path: "metadata", "labels", ClusterNames.sessionLabel]?.stringValue ?? "?"
            let machine = copy[path: "metadata", "annotations", ClusterNames.machineAnnotation]?.stringValue.map { " on \($0)" } ?? ""
            throw .isolationRefused(
                "routing name \"\(routeAs)\" is already used for service \"\(name)\" by session \(session)\(machine) (pod \(copy[path: "metadata", "name"]?.stringValue ?? "?")): choose another --route-as, or end that session (`kbridge clean` if it is gone)"
            )
        }
    }
}
