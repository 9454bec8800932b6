import Foundation
import Isolation
import KubernetesClient
import Routing

/// What an isolated session waits for in the cluster, telling what it waits for and giving up
/// early with the reason when it will not get there: the routing manager running (its readiness
/// is its first successful pass), then the session's requests routed to its copy — read back
/// from the cluster, never assumed: the service's routers, rolled out, send the routing name to
/// the copy's address, and the service points at them.
struct RoutingReadiness: Sendable {
    let client: KubernetesClient
    let namespace: String
    var pollInterval: Duration = .milliseconds(250)

    /// Waits until `routingmanager-deployment` has a ready pod.
    func waitForManager(timeout: Duration, progress: @Sendable (String) -> Void) async throws(SessionError) {
        let deadline = ContinuousClock.now + timeout
        var judge = PodStartJudge()
        var lastSeen = "no routing manager pod yet"
        var reported = ""
        while true {
            let pods: [Pod]
            do {
                let deployment = try await client.getRaw(.deployments, name: RoutingNames.managerDeployment, namespace: namespace)
                if (deployment[path: "status", "availableReplicas"]?.intValue ?? 0) >= 1 { return }
                pods = try await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel)=\(RoutingNames.Component.routingManager.rawValue)"))
            } catch {
                throw .cluster(error)
            }
            if let pod = pods.first(where: { $0.metadata.deletionTimestamp == nil }) {
                if let hopeless = judge.hopeless(pod, container: RoutingManagerInstall.containerName) {
                    throw .routingManager("its pod \(pod.metadata.nameOrEmpty) cannot start: \(hopeless.reason)\(hopeless.message.isEmpty ? "" : " (\(hopeless.message))")\(await lastLog())")
                }
                lastSeen = PodStartJudge.describe(pod, container: RoutingManagerInstall.containerName)
            }
            if lastSeen != reported {
                progress("waiting for the routing manager: \(lastSeen)")
                reported = lastSeen
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                throw .routingManager("not ready within \(timeout) (last seen: \(lastSeen))\(await lastLog())")
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Waits until requests for `service` carrying `routeAs` reach `copyAddress`.
    func waitForRoute(service: String, routeAs: String, copyAddress: String, timeout: Duration, progress: @Sendable (String) -> Void) async throws(SessionError) {
        let deadline = ContinuousClock.now + timeout
        var lastSeen = ""
        var reported = ""
        while true {
            do {
                lastSeen = try await whatIsMissing(service: service, routeAs: routeAs, copyAddress: copyAddress) ?? ""
            } catch {
                throw .cluster(error)
            }
            if lastSeen.isEmpty { return }
            if lastSeen != reported {
                progress("waiting for the routing manager: \(lastSeen)")
                reported = lastSeen
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                throw .routingNotReady(service: service, routeAs: routeAs, reason: "after \(timeout), \(lastSeen)", log: await managerLog())
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// What stands between the session and its route, in words; nil when routed.
    func whatIsMissing(service: String, routeAs: String, copyAddress: String) async throws(KubernetesError) -> String? {
        let routersName = RoutingNames.routers(of: service)
        let routers: JSONValue
        do {
            routers = try await client.getRaw(.deployments, name: routersName, namespace: namespace)
        } catch let error where error.isNotFound {
            return "no routers for service \"\(service)\" yet (deployment \(routersName))"
        }
        guard Self.routes(routers[path: "spec", "template", "spec"], routeAs: routeAs, to: copyAddress) else {
            return "the routers of \"\(service)\" do not send \(routeAs) to the copy (\(copyAddress)) yet"
        }
        let status = routers["status"] ?? [:]
        let wanted = routers[path: "spec", "replicas"]?.intValue ?? 1
        let rolledOut = (status["observedGeneration"]?.intValue ?? 0) >= (routers[path: "metadata", "generation"]?.intValue ?? 1)
            && (status["updatedReplicas"]?.intValue ?? 0) >= wanted && (status["replicas"]?.intValue ?? 0) == (status["updatedReplicas"]?.intValue ?? 0)
            && (status["availableReplicas"]?.intValue ?? 0) >= wanted
        guard rolledOut else { return "the routers of \"\(service)\" are rolling out the route" }
        // A router of an older form, even one being stopped, may still be sent requests (its
        // address leaves the nodes' forwarding rules a moment after it leaves the endpoints).
        let routerLabels = RoutePlan.routerSelector(of: service).objectValue?.compactMapValues(\.stringValue) ?? [:]
        let pods = try await client.listRaw(.pods, namespace: namespace, options: ListOptions(matching: routerLabels)).items
        if let older = pods.first(where: { Self.mayServe($0, now: Date()) && !Self.routes($0["spec"], routeAs: routeAs, to: copyAddress) }) {
            return "an older router of \"\(service)\" (pod \(older[path: "metadata", "name"]?.stringValue ?? "")) is still running"
        }
        let serviceSelector = try await client.getRaw(.services, name: service, namespace: namespace)[path: "spec", "selector"]
        guard serviceSelector == RoutePlan.routerSelector(of: service) else { return "service \"\(service)\" does not point at its routers yet" }
        return nil
    }

    /// Whether the router container of a pod spec (a pod's, or a template's) sends `routeAs` to
    /// `copyAddress` on every port.
    static func routes(_ spec: JSONValue?, routeAs: String, to copyAddress: String) -> Bool {
        let router = spec?["containers"]?.arrayValue?.first { $0["name"]?.stringValue == RoutePlan.routerContainer }
        let arguments = (router?["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard let parsed = try? RouterArguments.parse(arguments), !parsed.listeners.isEmpty else { return false }
        return parsed.listeners.allSatisfy { $0.routes[routeAs]?.host == copyAddress }
    }

    /// Whether a router pod may still be sent requests: not ended, and, when being stopped, not
    /// past its deadline by more than the nodes take to drop its address (a pod stuck on a node
    /// that went away would otherwise hold every session back).
    static func mayServe(_ pod: JSONValue, now: Date) -> Bool {
        let phase = pod[path: "status", "phase"]?.stringValue
        guard phase != "Succeeded", phase != "Failed" else { return false }
        guard let deadline = pod[path: "metadata", "deletionTimestamp"]?.stringValue.flatMap(Timestamp.parse) else { return true }
        return now < deadline.addingTimeInterval(stoppedRouterMargin)
    }

    /// How long past its deletion deadline a router pod is still waited for.
    static let stoppedRouterMargin: TimeInterval = 10

    private func lastLog() async -> String {
        let log = await managerLog()
        return log.isEmpty ? "" : "; its last output: \(log.split(separator: "\n").suffix(5).joined(separator: " | "))"
    }

    /// The routing manager's last lines of output.
    func managerLog() async -> String {
        let pods = (try? await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel)=\(RoutingNames.Component.routingManager.rawValue)"))) ?? []
        guard let pod = pods.first else { return "" }
        let text = (try? await client.logs(pod: pod.metadata.nameOrEmpty, namespace: namespace, container: RoutingManagerInstall.containerName, tailLines: 10)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
