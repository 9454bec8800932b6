import BridgeTunnel
import KubernetesClient
import Routing

/// What a namespace should hold for the copies that route from its services, worked out from
/// what it holds: the routing manager's level-triggered rule, with no cluster access of its own
/// (`RoutingReconciler` reads, asks the plan, and writes).
///
/// For each service S that a ready copy routes from: `S-cloned-routing-svc` (S's own selector,
/// so the routers reach the original pods) and S's routers (`kbridge-agent router`), which send a
/// request naming a copy to it and everything else to the original pods. For each routing name,
/// the namespace's ingresses with explicit hosts duplicated with hosts `NAME.<host>`, their
/// backends reached through routers that stamp the name on every request.
public struct RoutePlan: Sendable {
    /// The agent image, which the routers run.
    public let image: String
    public let clones: [RoutedClone]
    /// Copies that route nothing, and why: a younger copy with a routing name an older one of
    /// the same service has (one name, one destination).
    public let ignoredClones: [String]
    /// The namespace's services by name.
    let services: [String: JSONValue]
    /// The namespace's ingresses that the routing manager did not make.
    let ingresses: [JSONValue]

    public init(image: String, clones: [RoutedClone], services: [JSONValue], ingresses: [JSONValue]) {
        self.image = image
        var kept: [String: RoutedClone] = [:]
        var ignored: [String] = []
        for clone in clones.sorted(by: { ($0.created, $0.pod) < ($1.created, $1.pod) }) {
            let key = "\(clone.service)/\(clone.routingName)"
            if let older = kept[key] {
                ignored.append("copy \(clone.pod) routes nothing: \(older.pod), older, has routing name \(clone.routingName) for service \(clone.service)")
            } else {
                kept[key] = clone
            }
        }
        self.clones = kept.values.sorted { ($0.service, $0.routingName, $0.pod) < ($1.service, $1.routingName, $1.pod) }
        self.ignoredClones = ignored
        var byName: [String: JSONValue] = [:]
        for service in services {
            if let name = service[path: "metadata", "name"]?.stringValue { byName[name] = service }
        }
        self.services = byName
        self.ingresses = ingresses.filter { $0[path: "metadata", "labels", RoutingNames.componentLabel] == nil }
    }

    /// The port the routers of one routing name's ingresses listen on first.
    static let firstIngressRouterPort = 8000
    /// The name of the routers' container.
    public static let routerContainer = "router"

    // MARK: Routed services

    /// The services that get routers: a ready copy routes from each, it has a selector (its
    /// own, or the one saved while it points at its routers), and its requests can be routed by
    /// header (`RoutablePorts`: checked here too, since anyone who may create pods can label one
    /// a copy). Sorted.
    public var routedServices: [String] {
        Set(clones.map(\.service)).filter { name in
            guard originalSelector(of: name) != nil, let typed = try? services[name]?.decode(as: Service.self) else { return false }
            return RoutablePorts.refusal(of: typed) == nil
        }.sorted()
    }

    /// The selector that points a routed service at its routers.
    public static func routerSelector(of service: String) -> JSONValue {
        [RoutingNames.routerForLabel: .string(service), RoutingNames.componentLabel: .string(RoutingNames.Component.router.rawValue)]
    }

    /// The service's own selector: saved in its annotation while it points at its routers, its
    /// `spec.selector` otherwise; nil for a service that does not exist or selects no pods.
    public func originalSelector(of service: String) -> JSONValue? {
        guard let object = services[service] else { return nil }
        return Self.originalSelector(of: object)
    }

    /// As `originalSelector(of:)`, of a service read from the cluster.
    public static func originalSelector(of service: JSONValue) -> JSONValue? {
        let current = service[path: "spec", "selector"]
        let routed = current == routerSelector(of: service[path: "metadata", "name"]?.stringValue ?? "")
        if routed, let saved = service[path: "metadata", "annotations", RoutingNames.originalSelectorAnnotation]?.stringValue,
           let selector = try? JSONValue.parse(saved), !(selector.objectValue ?? [:]).isEmpty {
            return selector
        }
        guard !routed, let current, !(current.objectValue ?? [:]).isEmpty else { return nil }
        return current
    }

    /// As `originalSelector(of:)`, of a typed service: the selector of its own pods even while it
    /// points at its routers.
    public static func originalSelector(of service: Service) -> [String: String]? {
        guard let object = try? JSONValue(encoding: service), let selector = originalSelector(of: object)?.objectValue else { return nil }
        return selector.compactMapValues(\.stringValue)
    }

    /// `S-cloned-routing-svc`: S's ports, S's own selector.
    public func cloneService(of service: String) -> JSONValue? {
        guard let object = services[service], let selector = originalSelector(of: service) else { return nil }
        let ports = (object[path: "spec", "ports"]?.arrayValue ?? []).map { port -> JSONValue in
            var kept: [String: JSONValue] = [:]
            for key in ["name", "port", "targetPort", "protocol", "appProtocol"] { kept[key] = port[key] }
            return .object(kept)
        }
        return Self.stamped([
            "metadata": [
                "name": .string(RoutingNames.cloneService(of: service)),
                "labels": labels(.cloneService, [RoutingNames.routerForLabel: service]),
            ],
            "spec": ["type": "ClusterIP", "selector": selector, "ports": .array(ports)],
        ])
    }

    /// What S's routers are told: for each TCP port of S, listen on its target port (where S's
    /// callers arrive), send a request naming a copy to that copy's same port, and everything
    /// else to the same port of `S-cloned-routing-svc` (at `originalAddress`, its cluster IP).
    /// Nil when no port can be routed.
    public func routerArguments(of service: String, originalAddress: String) -> RouterArguments? {
        guard let object = services[service] else { return nil }
        let copies = clones.filter { $0.service == service }
        var listeners: [Int: RouterArguments.Listener] = [:]
        for port in object[path: "spec", "ports"]?.arrayValue ?? [] {
            guard (port["protocol"]?.stringValue ?? "TCP") == "TCP", let number = port["port"]?.intValue else { continue }
            let target = port["targetPort"] ?? .integer(Int64(number))
            // A port whose target the copies do not declare would lose its callers: not routed at all.
            guard let listen = Self.number(of: target, in: copies.first?.namedPorts ?? [:]) else { return nil }
            guard listeners[listen] == nil else { continue }
            var listener = RouterArguments.Listener(port: listen, original: .init(host: originalAddress, port: number))
            for copy in copies {
                guard let copyPort = Self.number(of: target, in: copy.namedPorts) else { continue }
                listener.routes[copy.routingName] = .init(host: copy.podIP, port: copyPort)
            }
            listeners[listen] = listener
        }
        guard !listeners.isEmpty else { return nil }
        return RouterArguments(listeners: listeners.keys.sorted().compactMap { listeners[$0] })
    }

    /// S's routers: a Deployment of one router whose container declares S's target ports (by
    /// their names too, so a named target port finds them).
    public func routers(of service: String, originalAddress: String) -> JSONValue? {
        guard let arguments = routerArguments(of: service, originalAddress: originalAddress) else { return nil }
        var names: [Int: String] = [:]
        for port in services[service]?[path: "spec", "ports"]?.arrayValue ?? [] {
            if let name = port["targetPort"]?.stringValue, let number = Self.number(of: .string(name), in: clones.first { $0.service == service }?.namedPorts ?? [:]) {
                names[number] = name
            }
        }
        return deployment(
            name: RoutingNames.routers(of: service), labels: Self.routerSelector(of: service).objectValue ?? [:],
            arguments: arguments, portNames: names
        )
    }

    // MARK: Ingresses

    /// What one routing name's ingresses need: its routers and their Service, and the duplicated
    /// ingresses that lead to them. Empty when no ingress has an explicit host.
    public struct IngressRoutes: Sendable {
        public var routers: JSONValue?
        public var service: JSONValue?
        public var ingresses: [JSONValue]
    }

    /// The routing names of ready copies, sorted.
    public var routingNames: [String] { Set(clones.map(\.routingName)).sorted() }

    /// `name`'s duplicated ingresses and the routers behind them.
    public func ingressRoutes(for name: String) -> IngressRoutes {
        struct Backend: Hashable, Comparable {
            var service: String
            var port: Int
            static func < (a: Backend, b: Backend) -> Bool { (a.service, a.port) < (b.service, b.port) }
        }
        // Each backend service port gets one port of the routers.
        func backend(_ value: JSONValue?) -> Backend? {
            guard let service = value?[path: "service", "name"]?.stringValue, let object = services[service],
                  let address = object[path: "spec", "clusterIP"]?.stringValue, !address.isEmpty, address != "None" else { return nil }
            if let number = value?[path: "service", "port", "number"]?.intValue { return Backend(service: service, port: number) }
            guard let portName = value?[path: "service", "port", "name"]?.stringValue else { return nil }
            let match = object[path: "spec", "ports"]?.arrayValue?.first { $0["name"]?.stringValue == portName }
            return match?["port"]?.intValue.map { Backend(service: service, port: $0) }
        }
        var duplicates: [(source: JSONValue, spec: JSONValue)] = []
        var backends = Set<Backend>()
        for ingress in ingresses {
            let rules = (ingress[path: "spec", "rules"]?.arrayValue ?? []).filter { rule in
                guard let host = rule["host"]?.stringValue else { return false }
                return !host.isEmpty && !host.hasPrefix("*")
            }
            guard !rules.isEmpty else { continue }
            for rule in rules {
                for path in rule[path: "http", "paths"]?.arrayValue ?? [] { if let found = backend(path["backend"]) { backends.insert(found) } }
            }
            if let found = backend(ingress[path: "spec", "defaultBackend"]) { backends.insert(found) }
            duplicates.append((ingress, ingress["spec"] ?? [:]))
        }
        guard !duplicates.isEmpty, !backends.isEmpty else { return IngressRoutes(routers: nil, service: nil, ingresses: []) }
        let ordered = backends.sorted()
        var ports: [Backend: Int] = [:]
        for (index, found) in ordered.enumerated() { ports[found] = Self.firstIngressRouterPort + index }
        let routerName = RoutingNames.ingressRouters(of: name)
        func rewritten(_ value: JSONValue?) -> JSONValue? {
            guard let found = backend(value), let port = ports[found] else { return nil }
            return ["service": ["name": .string(routerName), "port": ["number": .integer(Int64(port))]]]
        }
        let copies = duplicates.compactMap { source, spec -> JSONValue? in
            var copy = spec
            var hosts: [String: String] = [:]
            var rules: [JSONValue] = []
            for rule in spec["rules"]?.arrayValue ?? [] {
                guard let host = rule["host"]?.stringValue, !host.isEmpty, !host.hasPrefix("*") else { continue }
                let paths = (rule[path: "http", "paths"]?.arrayValue ?? []).compactMap { path -> JSONValue? in
                    guard let backend = rewritten(path["backend"]) else { return nil }
                    var kept = path
                    kept["backend"] = backend
                    return kept
                }
                guard !paths.isEmpty else { continue }
                hosts[host] = "\(name).\(host)"
                var kept = rule
                kept["host"] = .string("\(name).\(host)")
                kept[path: "http", "paths"] = .array(paths)
                rules.append(kept)
            }
            guard !rules.isEmpty else { return nil }
            copy["rules"] = .array(rules)
            copy["defaultBackend"] = rewritten(spec["defaultBackend"])
            let tls = (spec["tls"]?.arrayValue ?? []).compactMap { entry -> JSONValue? in
                let mapped = (entry["hosts"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { hosts[$0] } }
                guard !mapped.isEmpty else { return nil }
                var kept = entry
                kept["hosts"] = .array(mapped.map { .string($0) })
                return kept
            }
            copy["tls"] = tls.isEmpty ? nil : .array(tls)
            let sourceName = source[path: "metadata", "name"]?.stringValue ?? ""
            // The controller's own settings go along; what would act on the original's hosts,
            // certificates or load balancer (external DNS, cert-manager, ALB groups) does not.
            let annotations = (source[path: "metadata", "annotations"]?.objectValue ?? [:]).filter { key, _ in
                !Self.annotationsLeftBehind.contains { key.hasPrefix($0) }
            }
            return Self.stamped([
                "metadata": [
                    "name": .string(RoutingNames.duplicatedIngress(sourceName, for: name)),
                    "labels": labels(.duplicatedIngress, [RoutingNames.routeAsLabel: name, RoutingNames.duplicateOfLabel: sourceName]),
                    "annotations": .object(annotations),
                ],
                "spec": copy,
            ])
        }
        guard !copies.isEmpty else { return IngressRoutes(routers: nil, service: nil, ingresses: []) }
        let listeners = ordered.compactMap { found -> RouterArguments.Listener? in
            guard let address = services[found.service]?[path: "spec", "clusterIP"]?.stringValue, let port = ports[found] else { return nil }
            return RouterArguments.Listener(port: port, original: .init(host: address, port: found.port))
        }
        let selector = [RoutingNames.routeAsLabel: JSONValue.string(name), RoutingNames.componentLabel: .string(RoutingNames.Component.ingressRouter.rawValue)]
        let routers = deployment(name: routerName, labels: selector, arguments: RouterArguments(listeners: listeners, routeAs: name), portNames: [:])
        let service = Self.stamped([
            "metadata": ["name": .string(routerName), "labels": labels(.ingressRouter, [RoutingNames.routeAsLabel: name])],
            "spec": [
                "type": "ClusterIP", "selector": .object(selector),
                "ports": .array(listeners.map { ["name": .string("p\($0.port)"), "port": .integer(Int64($0.port)), "targetPort": .integer(Int64($0.port)), "protocol": "TCP"] }),
            ],
        ])
        return IngressRoutes(routers: routers, service: service, ingresses: copies)
    }

    /// Annotation prefixes a duplicated ingress does not copy.
    static let annotationsLeftBehind = [
        "kubectl.kubernetes.io/", "external-dns.alpha.kubernetes.io/", "cert-manager.io/", "acme.cert-manager.io/",
        "alb.ingress.kubernetes.io/group.", RoutingNames.specDigestAnnotation,
    ]

    // MARK: Objects

    private func labels(_ component: RoutingNames.Component, _ more: [String: String]) -> JSONValue {
        var labels: [String: JSONValue] = [RoutingNames.componentLabel: .string(component.rawValue), RoutingNames.managedByLabel: "kbridge"]
        for (key, value) in more { labels[key] = .string(value) }
        return .object(labels)
    }

    private func deployment(name: String, labels: [String: JSONValue], arguments: RouterArguments, portNames: [Int: String]) -> JSONValue {
        var all = labels
        all[RoutingNames.managedByLabel] = "kbridge"
        let ports: [JSONValue] = arguments.listeners.map { listener in
            var port: [String: JSONValue] = ["containerPort": .integer(Int64(listener.port)), "protocol": "TCP"]
            if let name = portNames[listener.port] { port["name"] = .string(name) }
            return .object(port)
        }
        return Self.stamped([
            "metadata": ["name": .string(name), "labels": .object(all)],
            "spec": [
                "replicas": 1,
                "selector": ["matchLabels": .object(labels)],
                "template": [
                    "metadata": ["labels": .object(all)],
                    "spec": [
                        // The routers ask the API server nothing.
                        "automountServiceAccountToken": false,
                        "terminationGracePeriodSeconds": 5,
                        "containers": [[
                            "name": .string(Self.routerContainer), "image": .string(image), "imagePullPolicy": "IfNotPresent",
                            "args": .array(arguments.encoded.map { .string($0) }),
                            "ports": .array(ports),
                            "readinessProbe": ["tcpSocket": ["port": .integer(Int64(arguments.listeners[0].port))], "periodSeconds": 1],
                            "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]],
                            "securityContext": ["runAsNonRoot": true, "runAsUser": 65532, "allowPrivilegeEscalation": false],
                        ]],
                    ],
                ],
            ],
        ])
    }

    /// A port number from a target port: the number itself, or the named port's number.
    static func number(of target: JSONValue, in named: [String: Int]) -> Int? {
        if let number = target.intValue { return number }
        return target.stringValue.flatMap { named[$0] }
    }

    /// `object` with the digest of what it says in its annotations, so the reconciler rewrites
    /// only an object whose wanted form changed.
    static func stamped(_ object: JSONValue) -> JSONValue {
        var stamped = object
        stamped[path: "metadata", "annotations", RoutingNames.specDigestAnnotation] = .string(HexDigest.sha256(object.jsonString))
        return stamped
    }
}
