import BridgeTunnel
import Routing

/// The names isolation mode writes into the cluster, in one place: the seeds' (Bridge to
/// Kubernetes') labels and annotations, so people who learned them there find them, and the
/// names of what the routing manager creates.
public enum RoutingNames {
    /// On a session's copy of a pod: the service whose requests it takes (`route-from=SERVICE`).
    public static let routeFromLabel = "routing.visualstudio.io/route-from"
    /// On a session's copy: which requests it takes, `kubernetes-route-as=NAME`.
    public static let routeOnHeaderAnnotation = "routing.visualstudio.io/route-on-header"
    /// On a session's copy: the container the agent stands in for.
    public static let debuggedContainerAnnotation = "routing.visualstudio.io/debugged-container-name"
    /// On a routed service: its own selector (JSON) while it points at its routers.
    public static let originalSelectorAnnotation = "routing.visualstudio.io/originalServiceSelector"
    /// On everything the routing manager is made of or makes: what part it is (`Component`).
    public static let componentLabel = "routing.visualstudio.io/component"
    /// On a service's routers and its clone service: the service they stand in front of.
    public static let routerForLabel = "routing.visualstudio.io/router-for"
    /// On an ingress router and a duplicated ingress: the routing name it stamps.
    public static let routeAsLabel = "routing.visualstudio.io/route-as"
    /// On a duplicated ingress: the ingress it copies.
    public static let duplicateOfLabel = "routing.visualstudio.io/duplicate-of"
    /// On what the routing manager made: the SHA-256 of what it wrote, so it rewrites only what changed.
    public static let specDigestAnnotation = "routing.visualstudio.io/spec-digest"
    public static let managedByLabel = "app.kubernetes.io/managed-by"

    /// The values of `componentLabel`.
    public enum Component: String, CaseIterable, Sendable {
        /// The routing manager's own Deployment, Service, ServiceAccount, Role and RoleBinding.
        case routingManager = "routingmanager"
        /// A service's routers (a Deployment).
        case router
        /// `S-cloned-routing-svc`: the original pods of a routed service, for its routers.
        case cloneService = "clone-service"
        /// The routers behind one routing name's duplicated ingresses, and their Service.
        case ingressRouter = "ingress-router"
        /// A namespace's ingress copied for one routing name.
        case duplicatedIngress = "duplicated-ingress"
    }

    /// The value of `routeOnHeaderAnnotation` for `name`.
    public static func routeOnHeader(_ name: String) -> String { "\(RouteAs.header)=\(name)" }

    /// The routing name in a `routeOnHeaderAnnotation` value, nil when it is not `kubernetes-route-as=NAME`.
    public static func routingName(inRouteOnHeader value: String) -> String? {
        let prefix = "\(RouteAs.header)="
        guard value.hasPrefix(prefix) else { return nil }
        let name = String(value.dropFirst(prefix.count))
        return name.isEmpty ? nil : name
    }

    /// A routing name for a session that was given none: the user's name as a DNS label (at most
    /// 20 characters) and 4 random hex digits, `alice-1a2b`.
    public static func generatedRoutingName(user: String) -> String {
        var label = String(user.lowercased().map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? $0 : "-" }.prefix(20))
        while label.hasPrefix("-") { label.removeFirst() }
        while label.hasSuffix("-") { label.removeLast() }
        let random = String(UInt16.random(in: .min ... .max), radix: 16)
        return "\(label.isEmpty ? "dev" : label)-\(String(repeating: "0", count: 4 - random.count))\(random)"
    }

    public static let managerDeployment = "routingmanager-deployment"
    public static let managerService = "routingmanager-service"
    /// The routing manager's ServiceAccount, Role and RoleBinding.
    public static let managerAccount = "routingmanager"

    /// The Service with a routed service's own selector, which its routers send everything else to.
    public static func cloneService(of service: String) -> String { bounded(service, suffix: "-cloned-routing-svc") }
    /// A routed service's routers (Deployment).
    public static func routers(of service: String) -> String { bounded(service, suffix: "-routing-router") }
    /// The routers behind `name`'s duplicated ingresses, and their Service.
    public static func ingressRouters(of name: String) -> String { bounded(name, suffix: "-ingress-router") }
    /// A session's copy of the pod behind `service`, for routing name `name`.
    public static func clonePod(of service: String, for name: String, session: String) -> String {
        bounded("\(service)-\(name)", suffix: "-\(session)")
    }
    /// `ingress` duplicated for `name`.
    /// (A hash of the pair keeps apart pairs whose names join alike: `web-a` for `b`, `web` for `a-b`.)
    public static func duplicatedIngress(_ ingress: String, for name: String) -> String {
        bounded("\(ingress)-\(name)", suffix: "-routed-\(HexDigest.sha256("\(ingress)/\(name)").prefix(6))", limit: 253)
    }

    /// `base + suffix` when it fits in `limit` (a DNS label's 63 by default); otherwise `base` cut
    /// short and followed by a hash of it, so that two long names stay apart.
    static func bounded(_ base: String, suffix: String, limit: Int = 63) -> String {
        let whole = base + suffix
        guard whole.count > limit else { return whole }
        let digest = String(HexDigest.sha256(base).prefix(8))
        var kept = String(base.prefix(limit - suffix.count - digest.count - 1))
        while kept.hasSuffix("-") { kept.removeLast() }
        return "\(kept)-\(digest)\(suffix)"
    }
}
