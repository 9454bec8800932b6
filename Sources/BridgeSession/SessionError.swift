import KubernetesClient

/// Why a session could not start or could not give everything back: one message a person can act on.
public enum SessionError: Error, CustomStringConvertible, Sendable {
    case serviceNotFound(service: String, namespace: String, available: [String])
    /// A `--pod` or `--workload` that does not exist.
    case targetNotFound(kind: String, name: String, namespace: String, available: [String])
    case serviceWithoutSelector(service: String, namespace: String)
    case externalNameService(service: String, namespace: String, externalName: String)
    case serviceWithoutPods(service: String, namespace: String, selector: String)
    case severalWorkloads(service: String, namespace: String, workloads: [String])
    case unsupportedOwner(pod: String, kind: String, name: String)
    case containerNotFound(container: String, pod: String, available: [String])
    case ambiguousContainer(pod: String, available: [String])
    case unknownContainerPort(port: Int, container: String, ports: [Int])
    case alreadyTakenOver(workload: String, service: String, session: String)
    case changedMeanwhile(workload: String)
    case agentNotReady(pod: String, reason: String, message: String, image: String)
    case agentTimedOut(workload: String, waited: Duration, lastSeen: String)
    case portHeld(String, hint: String)
    case tunnelLost(detail: String)
    case agentNotAuthenticated(pod: String, port: Int, reason: String)
    case agentStopped(pod: String, detail: String)
    case localCommandFailed(String)
    case localEndpoints(String)
    /// KubernetesLocalProcessConfig.yaml says something wrong or not true of the cluster.
    case config(LocalProcessConfig.Problem)
    /// The files of a mount path of the pod could not be put on this machine.
    case filesNotDownloaded(path: String, reason: String)
    case restoreFailed(workload: String, detail: String)
    case notRecorded(detail: String)
    case restoreConflict(workload: String, detail: String)
    case guardNotPermitted(creating: String, detail: String)
    case guardNotRunning(pod: String?, reason: String, log: String)
    case restoredByGuard(workload: String, ttl: Duration)
    /// `--isolate` cannot be used as asked (the routing name, the service): said before anything changes.
    case isolationRefused(String)
    /// The routing manager could not be installed or does not run.
    case routingManager(String)
    /// The routing manager did not route the session's requests to its copy.
    case routingNotReady(service: String, routeAs: String, reason: String, log: String)
    case cluster(KubernetesError)
    /// kbridge did something out of order (an event its session's lifecycle refuses).
    case defect(String)

    public var description: String {
        switch self {
        case .serviceNotFound(let service, let namespace, let available):
            let known = available.isEmpty ? "it has no services" : "its services: \(available.joined(separator: ", "))"
            return "service \"\(service)\" not found in namespace \"\(namespace)\" (\(known)); check --service and -n"
        case .targetNotFound(let kind, let name, let namespace, let available):
            let known = available.isEmpty ? "it has none" : "its \(kind)s: \(available.joined(separator: ", "))"
            return "\(kind) \"\(name)\" not found in namespace \"\(namespace)\" (\(known)); check the name and -n"
        case .serviceWithoutSelector(let service, let namespace):
            return "service \"\(service)\" in namespace \"\(namespace)\" has no selector, so no pods to take over: kbridge redirects services that select pods"
        case .externalNameService(let service, let namespace, let externalName):
            return "service \"\(service)\" in namespace \"\(namespace)\" is an ExternalName service (another name for \(externalName)): it runs no pods to redirect; redirect the service that runs them instead"
        case .serviceWithoutPods(let service, let namespace, let selector):
            return "service \"\(service)\" in namespace \"\(namespace)\" selects no pods (selector \(selector)): deploy its workload (or scale it above 0) and try again"
        case .severalWorkloads(let service, let namespace, let workloads):
            return "service \"\(service)\" in namespace \"\(namespace)\" sends its traffic to pods of \(workloads.count) workloads (\(workloads.joined(separator: ", "))): kbridge redirects one workload, so part of the traffic would still reach the others; narrow the service's selector to one workload, or connect to a service that selects only one. Nothing was changed"
        case .unsupportedOwner(let pod, let kind, let name):
            return "pod \"\(pod)\" is run by \(kind) \"\(name)\": kbridge takes over Deployments, StatefulSets and bare Pods"
        case .containerNotFound(let container, let pod, let available):
            return "pod \"\(pod)\" has no container \"\(container)\" (its containers: \(available.joined(separator: ", "))); check --container"
        case .unknownContainerPort(let port, let container, let ports):
            let known = ports.isEmpty ? "it declares no ports" : "its ports: \(ports.map(String.init).joined(separator: ", "))"
            return "container \"\(container)\" has no port \(port) (\(known)); check --map REMOTE:LOCAL"
        case .ambiguousContainer(let pod, let available):
            return "pod \"\(pod)\" has several containers (\(available.joined(separator: ", "))): choose one with --container"
        case .alreadyTakenOver(let workload, let service, let session):
            return "\(workload) is already redirected by kbridge session \(session): if it is yours, end it with `kbridge disconnect --session \(session)`; if its owner is gone for good, `kbridge disconnect --service \(service) --session \(session)` gives it back from any machine"
        case .changedMeanwhile(let workload):
            return "\(workload) changed while kbridge was taking it over (someone else edited or redirected it); nothing was changed: try again"
        case .agentNotReady(let pod, let reason, let message, let image):
            let hint = reason.contains("Image") ? ": check that the cluster can pull \(image) (or pass --agent-image)" : ""
            return "the agent pod \"\(pod)\" cannot start: \(reason)\(message.isEmpty ? "" : ": \(message)")\(hint); the workload was restored"
        case .agentTimedOut(let workload, let waited, let lastSeen):
            return "the agent pod of \(workload) was not ready after \(waited) (last seen: \(lastSeen)); the workload was restored (raise --timeout if the cluster is slow)"
        case .portHeld(let holder, let hint):
            return "\(holder): \(hint)"
        case .tunnelLost(let detail):
            return "lost the connection to the agent: \(detail)"
        case .agentNotAuthenticated(let pod, let port, let reason):
            return "what answered on port \(port) of pod \(pod) is not this session's agent: it \(reason); nothing was sent to it (is another program listening on that port in the pod?)"
        case .agentStopped(let pod, let detail):
            return "the agent stopped: \(detail); the session ends and gives everything back (its log: kubectl logs \(pod) --previous)"
        case .localEndpoints(let detail):
            return detail
        case .config(let problem):
            return problem.description
        case .filesNotDownloaded(let path, let reason):
            return "cannot download the pod's files under \(path): \(reason); the session ends and gives everything back"
        case .localCommandFailed(let detail):
            return "cannot run the local command: \(detail)"
        case .restoreFailed(let workload, let detail):
            return "could not restore \(workload): \(detail); run `kbridge disconnect` once the cluster is reachable"
        case .restoreConflict(let workload, let detail):
            return "cannot give back \(workload) without undoing someone else's change: \(detail) during the session. It still runs the agent; `kbridge disconnect --force` puts back the original saved at the start (dropping that change), or edit \(workload) yourself"
        case .notRecorded(let detail):
            return "cannot record the session on this machine (\(detail)); nothing was changed: a session kbridge could not find again after a crash would be left in the cluster"
        case .guardNotPermitted(let what, let detail):
            return "cannot create \(what), which gives the workload back if this machine goes away: \(detail). Nothing was changed. kbridge needs the namespace's admin ClusterRole and rights on Leases (the built-in admin role has none): a cluster administrator grants both with deploy/rbac/kbridge-user.yaml"
        case .guardNotRunning(let pod, let reason, let log):
            let said = log.isEmpty ? "" : " (its last output: \(log.split(separator: "\n").joined(separator: " | ")))"
            let hint = reason.contains("Image") ? "check that the cluster can pull the agent image, which the guard runs (or pass --agent-image)" : "make the guard able to run (it runs the agent image)"
            return "the session's guard\(pod.map { " (pod \($0))" } ?? ""), which gives the workload back if this machine goes away, is not running: \(reason)\(said). Nothing was changed: \(hint), or pass --no-guard to connect without it (a crash of this machine then leaves the workload redirected until `kbridge disconnect` or `kbridge clean`)"
        case .restoredByGuard(let workload, let ttl):
            return "the session's lease was not renewed for \(ttl.components.seconds)s (this machine slept or lost the cluster) and the cluster's guard gave \(workload) back: the session has ended; run kbridge connect again"
        case .isolationRefused(let detail):
            return "\(detail). Nothing was changed"
        case .routingManager(let detail):
            return "the routing manager of isolation mode: \(detail)"
        case .routingNotReady(let service, let routeAs, let reason, let log):
            let tail = log.isEmpty ? "" : "; the routing manager's last output: \(log.split(separator: "\n").suffix(5).joined(separator: " | "))"
            return "requests for service \"\(service)\" carrying kubernetes-route-as: \(routeAs) are not routed to this session's copy: \(reason)\(tail) (see `kubectl logs deployment/routingmanager-deployment`)"
        case .cluster(let error):
            return error.description
        case .defect(let detail):
            return "kbridge defect: \(detail); what the session held was given back as far as it could be: please report it, with its log (kbridge writes where in its first lines)"
        }
    }
}
