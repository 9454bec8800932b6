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
            readyAddresses: [:], range: range
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
