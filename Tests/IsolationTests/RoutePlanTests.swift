import KubernetesClient
import Routing
import Testing

@testable import Isolation

@Suite struct RoutePlanTests {
    static let image = "example/kbridge-agent:1"

    static func service(_ name: String, selector: JSONValue?, ports: [JSONValue], clusterIP: String = "10.96.0.10", annotations: JSONValue? = nil) -> JSONValue {
        var object: JSONValue = ["metadata": ["name": .string(name)], "spec": ["clusterIP": .string(clusterIP), "ports": .array(ports)]]
        if let selector { object[path: "spec", "selector"] = selector }
        if let annotations { object[path: "metadata", "annotations"] = annotations }
        return object
    }

    static let api = service("api", selector: ["app": "api"], ports: [
        ["name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"],
        ["name": "grpc", "port": 9000, "targetPort": "grpc", "protocol": "TCP"],
    ])

    static func copy(_ name: String, ip: String) -> RoutedClone {
        RoutedClone(pod: "api-\(name)", service: "api", routingName: name, podIP: ip, namedPorts: ["grpc": 9090])
    }

    @Test func routersListenOnTheTargetPortsAndSendEachCopyItsOwnRequests() throws {
        let plan = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5"), Self.copy("bob", ip: "10.1.0.6")], services: [Self.api], ingresses: [])
        #expect(plan.routedServices == ["api"])
        let arguments = try #require(plan.routerArguments(of: "api", originalAddress: "10.96.0.99"))
        #expect(arguments.listeners == [
            .init(port: 8080, original: .init(host: "10.96.0.99", port: 80), routes: ["alice": .init(host: "10.1.0.5", port: 8080), "bob": .init(host: "10.1.0.6", port: 8080)]),
            .init(port: 9090, original: .init(host: "10.96.0.99", port: 9000), routes: ["alice": .init(host: "10.1.0.5", port: 9090), "bob": .init(host: "10.1.0.6", port: 9090)]),
        ])
        let routers = try #require(plan.routers(of: "api", originalAddress: "10.96.0.99"))
        let container = try #require(routers[path: "spec", "template", "spec", "containers"]?[0])
        #expect(container["args"]?.arrayValue?.compactMap(\.stringValue) == arguments.encoded)
        #expect(container["ports"] == [["containerPort": 8080, "protocol": "TCP"], ["containerPort": 9090, "protocol": "TCP", "name": "grpc"]])
        #expect(routers[path: "spec", "selector", "matchLabels"] == RoutePlan.routerSelector(of: "api"))
        #expect(routers[path: "spec", "template", "metadata", "labels", RoutingNames.routerForLabel] == "api")
    }

    @Test func theCloneServiceHasTheServicesOwnSelectorEvenWhileItPointsAtItsRouters() throws {
        let routed = Self.service("api", selector: RoutePlan.routerSelector(of: "api"), ports: [["port": 80, "targetPort": 8080]],
                                  annotations: [RoutingNames.originalSelectorAnnotation: .string((["app": "api"] as JSONValue).jsonString)])
        let plan = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [routed], ingresses: [])
        let clone = try #require(plan.cloneService(of: "api"))
        #expect(clone[path: "metadata", "name"] == "api-cloned-routing-svc")
        #expect(clone[path: "spec", "selector"] == ["app": "api"])
        #expect(clone[path: "spec", "ports"] == [["port": 80, "targetPort": 8080]])
    }

    @Test func aServiceWithoutASelectorOrWithoutCopiesGetsNoRouters() {
        let manual = Self.service("api", selector: nil, ports: [["port": 80]])
        #expect(RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [manual], ingresses: []).routedServices.isEmpty)
        #expect(RoutePlan(image: Self.image, clones: [], services: [Self.api], ingresses: []).routedServices.isEmpty)
        #expect(RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [], ingresses: []).routedServices.isEmpty)
    }

    @Test func theWantedFormIsStampedSoOnlyAChangeIsWritten() throws {
        let one = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [Self.api], ingresses: [])
        let same = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [Self.api], ingresses: [])
        let moved = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.7")], services: [Self.api], ingresses: [])
        let digest = { (plan: RoutePlan) in plan.routers(of: "api", originalAddress: "10.96.0.99")?[path: "metadata", "annotations", RoutingNames.specDigestAnnotation] }
        #expect(digest(one) != nil)
        #expect(digest(one) == digest(same))
        #expect(digest(one) != digest(moved))
    }

    static let web = service("web", selector: ["app": "web"], ports: [["name": "http", "port": 80, "targetPort": 8000]], clusterIP: "10.96.0.20")
    static let shop: JSONValue = [
        "metadata": ["name": "shop", "annotations": [
            "nginx.ingress.kubernetes.io/rewrite-target": "/", "kubectl.kubernetes.io/last-applied-configuration": "{}",
            "external-dns.alpha.kubernetes.io/hostname": "shop.example.test", "cert-manager.io/cluster-issuer": "letsencrypt",
        ]],
        "spec": [
            "ingressClassName": "nginx",
            "tls": [["hosts": ["shop.example.test"], "secretName": "shop-tls"]],
            "rules": [
                ["host": "shop.example.test", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["name": "http"]]]],
                    ["path": "/api", "pathType": "Prefix", "backend": ["service": ["name": "api", "port": ["number": 80]]]],
                ]]],
                ["host": "*.wild.example.test", "http": ["paths": [["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["number": 80]]]]]]],
                ["http": ["paths": [["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["number": 80]]]]]]],
            ],
        ],
    ]

    @Test func anIngressWithHostsIsDuplicatedPerNameThroughRoutersThatStampIt() throws {
        let plan = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [Self.api, Self.web], ingresses: [Self.shop])
        let routes = plan.ingressRoutes(for: "alice")
        let duplicate = try #require(routes.ingresses.first)
        #expect(routes.ingresses.count == 1)
        #expect(duplicate[path: "metadata", "name"]?.stringValue?.hasPrefix("shop-alice-routed-") == true)
        #expect(RoutingNames.duplicatedIngress("web-a", for: "b") != RoutingNames.duplicatedIngress("web", for: "a-b"))
        #expect(duplicate[path: "metadata", "labels", RoutingNames.duplicateOfLabel] == "shop")
        #expect(duplicate[path: "metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target"] == "/")
        #expect(duplicate[path: "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"] == nil)
        #expect(duplicate[path: "metadata", "annotations", "external-dns.alpha.kubernetes.io/hostname"] == nil, "it would give the original host to the copy")
        #expect(duplicate[path: "metadata", "annotations", "cert-manager.io/cluster-issuer"] == nil)
        #expect(duplicate[path: "spec", "ingressClassName"] == "nginx")
        #expect(duplicate[path: "spec", "tls"] == [["hosts": ["alice.shop.example.test"], "secretName": "shop-tls"]])
        // Only the rule with an explicit host; its backends now the routers of alice.
        #expect(duplicate[path: "spec", "rules"] == [["host": "alice.shop.example.test", "http": ["paths": [
            ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "alice-ingress-router", "port": ["number": 8001]]]],
            ["path": "/api", "pathType": "Prefix", "backend": ["service": ["name": "alice-ingress-router", "port": ["number": 8000]]]],
        ]]]])
        let routers = try #require(routes.routers)
        let args = try #require(routers[path: "spec", "template", "spec", "containers"]?[0]?["args"]?.arrayValue)
        let arguments = try RouterArguments.parse(args.compactMap(\.stringValue))
        #expect(arguments.routeAs == "alice")
        #expect(arguments.listeners == [
            .init(port: 8000, original: .init(host: "10.96.0.10", port: 80)),
            .init(port: 8001, original: .init(host: "10.96.0.20", port: 80)),
        ])
        #expect(routes.service?[path: "spec", "ports"]?.arrayValue?.compactMap { $0["port"]?.intValue } == [8000, 8001])
    }

    @Test func withoutIngressesOrHostsNothingIsDuplicated() {
        let hostless: JSONValue = ["metadata": ["name": "any"], "spec": ["defaultBackend": ["service": ["name": "web", "port": ["number": 80]]]]]
        for ingresses in [[], [hostless]] {
            let routes = RoutePlan(image: Self.image, clones: [Self.copy("alice", ip: "10.1.0.5")], services: [Self.api, Self.web], ingresses: ingresses).ingressRoutes(for: "alice")
            #expect(routes.ingresses.isEmpty)
            #expect(routes.routers == nil)
            #expect(routes.service == nil)
        }
    }

    @Test func aCopyIsReadFromItsLabelAnnotationAddressAndReadiness() throws {
        var pod: JSONValue = [
            "metadata": [
                "name": "api-alice",
                "labels": [RoutingNames.routeFromLabel: "api"],
                "annotations": [RoutingNames.routeOnHeaderAnnotation: "kubernetes-route-as=alice"],
            ],
            "spec": ["containers": [["name": "api", "ports": [["name": "grpc", "containerPort": 9090]]]]],
            "status": ["podIP": "10.1.0.5", "conditions": [["type": "Ready", "status": "True"]]],
        ]
        #expect(RoutedClone(pod: pod) == RoutedClone(pod: "api-alice", service: "api", routingName: "alice", podIP: "10.1.0.5", namedPorts: ["grpc": 9090]))
        var notReady = pod
        notReady[path: "status", "conditions"] = [["type": "Ready", "status": "False"]]
        var badName = pod
        badName[path: "metadata", "annotations", RoutingNames.routeOnHeaderAnnotation] = "kubernetes-route-as=Alice!"
        var leaving = pod
        leaving[path: "metadata", "deletionTimestamp"] = "2026-12-07T06:00:00Z"
        pod[path: "status", "podIP"] = nil
        for unusable in [notReady, badName, leaving, pod] { #expect(RoutedClone(pod: unusable) == nil) }
    }

    /// Two copies of one service with one routing name (a race, or a pod someone labelled): the
    /// older routes, the other is named; a service that cannot be routed by header gets no
    /// routers, however a pod is labelled; nor does one with a port no copy declares.
    @Test func whatTheCLIRefusesTheManagerRefusesToo() throws {
        var older = Self.copy("alice", ip: "10.1.0.5")
        older.created = "2026-12-07T06:00:00Z"
        var younger = Self.copy("alice", ip: "10.1.0.9")
        younger.pod = "api-alice-intruder"
        younger.created = "2026-12-07T06:05:00Z"
        let plan = RoutePlan(image: Self.image, clones: [younger, older], services: [Self.api], ingresses: [])
        #expect(plan.clones == [older])
        #expect(plan.ignoredClones.count == 1 && plan.ignoredClones[0].contains("api-alice-intruder"))

        let udp = Self.service("dns", selector: ["app": "dns"], ports: [["port": 53, "protocol": "UDP"]])
        let headless = Self.service("ledger", selector: ["app": "ledger"], ports: [["port": 80]], clusterIP: "None")
        let copies = ["dns", "ledger"].map { RoutedClone(pod: "\($0)-x", service: $0, routingName: "x", podIP: "10.1.0.7") }
        #expect(RoutePlan(image: Self.image, clones: copies, services: [udp, headless], ingresses: []).routedServices.isEmpty)

        var unnamed = Self.copy("alice", ip: "10.1.0.5")
        unnamed.namedPorts = [:]
        #expect(RoutePlan(image: Self.image, clones: [unnamed], services: [Self.api], ingresses: []).routerArguments(of: "api", originalAddress: "10.96.0.99") == nil)
    }

    @Test func longNamesAreCutAndKeptApart() {
        let long = String(repeating: "a", count: 60)
        let one = RoutingNames.cloneService(of: long + "x")
        let other = RoutingNames.cloneService(of: long + "y")
        #expect(one.count <= 63 && other.count <= 63)
        #expect(one != other)
        #expect(one.hasSuffix("-cloned-routing-svc"))
        #expect(RoutingNames.cloneService(of: "api") == "api-cloned-routing-svc")
    }
}
