import KubernetesClient
import LocalEndpoints
import Testing

@testable import BridgeSession

/// The cluster's services on this machine, without a cluster: which ports get listeners.
@Suite struct OutboundEndpointsTests {
    private func service(_ name: String, ports: [Int], annotations: [String: String] = [:]) throws -> Service {
        try JSONValue.object([
            "metadata": .object(["name": .string(name), "namespace": "default", "annotations": .object(annotations.mapValues(JSONValue.string))]),
            "spec": .object(["clusterIP": .string("10.0.0.\(ports.count)"), "ports": .array(ports.map { .object(["port": .integer(Int64($0))]) })]),
        ]).decode(as: Service.self)
    }

    /// Bridge to Kubernetes' `bridgetokubernetes/ignore-ports` keeps those ports of a service off
    /// this machine (no listener, no variables); a service whose every port is left off gets no
    /// address; what is not a port in the annotation is named.
    @Test func portsAServiceAnnotationIgnoresGetNoListener() async throws {
        let range = try LoopbackRange("127.47.\(Int.random(in: 0...255)).0/24")
        let outbound = try await OutboundEndpoints.open(
            services: [
                try service("files", ports: [445, 8080, 23], annotations: [OutboundEndpoints.ignorePortsAnnotation: "445, 23,smb"]),
                try service("telnet", ports: [23], annotations: [OutboundEndpoints.ignorePortsAnnotation: "23"]),
                try service("web", ports: [8080]),
            ],
            namespace: "default", readyAddresses: [:], range: range
        )
        #expect(outbound.entries.map(\.service) == ["files", "web"])
        let files = try #require(outbound.entries.first)
        #expect(files.ports.map(\.port) == [8080] && files.allocation.listeners.keys.sorted() == [8080])
        #expect(outbound.serviceVariables["FILES_SERVICE_PORT"] == "8080")
        #expect(outbound.ignored.map(\.service) == ["files", "telnet"])
        #expect(outbound.ignored.first?.ports == [445, 23] && outbound.ignored.first?.invalid == ["smb"])
        #expect(!outbound.hostsEntries.contains { $0.names.contains("telnet") })
        await outbound.close()
    }
}

/// Services of other namespaces: named as a pod names them, without service variables.
@Suite struct OtherNamespacesTests {
    private func service(_ name: String, namespace: String, headless: Bool = false) throws -> Service {
        try JSONValue.object([
            "metadata": .object(["name": .string(name), "namespace": .string(namespace)]),
            "spec": .object(["clusterIP": .string(headless ? "None" : "10.0.1.\(name.count)"), "ports": [["port": 9000]]]),
        ]).decode(as: Service.self)
    }

    @Test func anotherNamespacesServicesHaveQualifiedNamesOnlyAndNoVariables() async throws {
        let range = try LoopbackRange("127.48.\(Int.random(in: 0...255)).0/24")
        let outbound = try await OutboundEndpoints.open(
            services: [try service("rates", namespace: "shared"), try service("web", namespace: "shop"), try service("db", namespace: "data", headless: true)],
            namespace: "shop", readyAddresses: [:], range: range
        )
        #expect(outbound.entries.map { "\($0.service).\($0.namespace)" } == ["web.shop", "db.data", "rates.shared"], "the session's namespace first")
        let names = outbound.hostsEntries.map(\.names)
        #expect(names[0] == ["web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.local"])
        #expect(names[2] == ["rates.shared", "rates.shared.svc", "rates.shared.svc.cluster.local"])
        #expect(outbound.serviceVariables["WEB_SERVICE_PORT"] == "9000")
        #expect(outbound.serviceVariables["RATES_SERVICE_PORT"] == nil, "a pod has no variables of other namespaces")
        #expect(outbound.entries[1].dialHost == "db.data.svc", "a headless service elsewhere is dialled by name")
        await outbound.close()
    }

    /// Without a hosts file, a service's qualified name in a value is its local address.
    @Test func withoutAHostsFileQualifiedNamesInValuesBecomeLocalAddresses() async throws {
        let range = try LoopbackRange("127.49.\(Int.random(in: 0...255)).0/24")
        let outbound = try await OutboundEndpoints.open(
            services: [try service("rates", namespace: "shared"), try service("web", namespace: "shop")], namespace: "shop", readyAddresses: [:], range: range
        )
        let rates = try #require(outbound.entries.first { $0.service == "rates" }).allocation.address
        let web = try #require(outbound.entries.first { $0.service == "web" }).allocation.address
        let rewritten = LocalEnvironment.build(pod: [
            "RATES_URL": "http://rates.shared:9000/v1", "FQDN": "rates.shared.svc.cluster.local:9000", "WEB": "http://web.shop/",
            "BARE": "web", "LONGER": "rates.shared.example.com", "TEXT": "the web shop",
        ], podIP: nil, outbound: outbound, namesInHostsFile: false)
        #expect(rewritten["RATES_URL"] == "http://\(rates):9000/v1")
        #expect(rewritten["FQDN"] == "\(rates):9000")
        #expect(rewritten["WEB"] == "http://\(web)/")
        #expect(rewritten["BARE"] == "web" && rewritten["LONGER"] == "rates.shared.example.com" && rewritten["TEXT"] == "the web shop")
        let kept = LocalEnvironment.build(pod: ["RATES_URL": "http://rates.shared:9000/v1"], podIP: nil, outbound: outbound, namesInHostsFile: true)
        #expect(kept["RATES_URL"] == "http://rates.shared:9000/v1", "with a hosts file the name resolves: it stays")
        await outbound.close()
    }

    /// Cluster DNS gives port 53 for UDP and for TCP: one listener, served once (serving it twice
    /// crashed the CLI on a real node's kube-system).
    @Test func aPortGivenForTCPAndUDPIsListenedOnOnce() async throws {
        let dns = try JSONValue.object([
            "metadata": ["name": "kube-dns", "namespace": "kube-system"],
            "spec": ["clusterIP": "10.0.0.10", "ports": [["name": "dns", "port": 53, "protocol": "UDP"], ["name": "dns-tcp", "port": 53, "protocol": "TCP"]]],
        ]).decode(as: Service.self)
        let range = try LoopbackRange("127.50.\(Int.random(in: 0...255)).0/24")
        let outbound = try await OutboundEndpoints.open(services: [dns], namespace: "shop", readyAddresses: [:], range: range)
        #expect(outbound.entries.first?.listenedPorts == [53])
        await outbound.close()
    }

    @Test func theNamespacesAnEnvironmentNamesAreFound() {
        let named = ReachableServices.namespacesNamed(in: [
            "http://rates.shared:9000/v1", "db.data.svc.cluster.local:5432", "amqp://user:pw@queue.messaging.svc", "plain", "1.2.3.4",
            "www.example.com", "Mixed.Case",
        ])
        #expect(named.isSuperset(of: ["shared", "data", "messaging"]))
        #expect(!named.contains("3") && !named.contains("Case"))
    }
}
