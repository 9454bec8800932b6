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

    @Test func theNamespacesAnEnvironmentNamesAreFound() {
        let named = ReachableServices.namespacesNamed(in: [
            "http://rates.shared:9000/v1", "db.data.svc.cluster.local:5432", "amqp://user:pw@queue.messaging.svc", "plain", "1.2.3.4",
            "www.example.com", "Mixed.Case",
        ])
        #expect(named.isSuperset(of: ["shared", "data", "messaging"]))
        #expect(!named.contains("3") && !named.contains("Case"))
    }
}
