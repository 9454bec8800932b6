import Foundation
import KubernetesClient
import Testing

@testable import Sandbox

/// Cluster DNS for sandbox pods: the names a real pod resolves, in the form a resolver asks them.
@Suite struct ClusterDNSTests {
    static let zone = ClusterDNSZone { service, namespace in
        switch (service, namespace) {
        case ("rates", "shared"): return .clusterIP("127.77.0.9")
        case ("db", "shop"): return .headless(["127.99.0.4", "127.99.0.5"])
        case ("gone", "shop"): return .headless([])
        case ("mail", "shop"): return .externalName
        default: return nil
        }
    }

    @Test(arguments: [
        ("rates.shared.svc.cluster.local", DNSQuery.RecordType.a, ClusterDNSZone.Answer.addresses(["127.77.0.9"])),
        ("db.shop.svc.cluster.local", .a, .addresses(["127.99.0.4", "127.99.0.5"])),
        ("rates.shared.svc.cluster.local", .aaaa, .noData),
        // What a resolver with the pod's search path asks first for `rates.shared`, from namespace `shop`.
        ("rates.shared.shop.svc.cluster.local", .a, .nonexistent),
        ("rates.shop.svc.cluster.local", .a, .nonexistent),
        ("gone.shop.svc.cluster.local", .a, .nonexistent),
        ("mail.shop.svc.cluster.local", .a, .noData),
        ("shop.svc.cluster.local", .a, .noData),
        ("10-1-2-3.shop.pod.cluster.local", .a, .addresses(["10.1.2.3"])),
        ("example.com", .a, .notInZone),
        ("cluster.local.example.com", .a, .notInZone),
    ])
    func namesAreAnsweredAsClusterDNSDoes(name: String, type: DNSQuery.RecordType, answer: ClusterDNSZone.Answer) {
        #expect(Self.zone.answer(name: name, type: type) == answer)
    }

    /// A query as glibc sends it: header, one question, an EDNS record in the additional section.
    static func query(_ name: String, type: UInt16 = 1, id: UInt16 = 0xBEEF) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
        for label in name.split(separator: ".") { bytes += [UInt8(label.utf8.count)] + Array(label.utf8) }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        bytes += [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        return bytes
    }

    @Test func aQueryIsAnsweredWithARecordsForItsQuestion() throws {
        let query = try #require(DNSQuery(Self.query("Rates.Shared.svc.cluster.local")))
        #expect(query.name == "rates.shared.svc.cluster.local")
        #expect(query.type == .a)
        let response = query.response(code: .noError, addresses: [[127, 77, 0, 9]], ttl: 5)
        #expect(Array(response[0..<2]) == [0xBE, 0xEF], "the query's id")
        #expect(response[2] & 0x80 != 0, "a response")
        #expect(response[3] & 0x0F == 0, "NOERROR")
        #expect(Array(response[6..<8]) == [0, 1], "one answer")
        #expect(Array(response.suffix(4)) == [127, 77, 0, 9])
        let missing = query.response(code: .nameError)
        #expect(missing[3] & 0x0F == 3, "NXDOMAIN")
    }

    @Test func whatIsNotAQueryGetsNoAnswer() {
        #expect(DNSQuery([1, 2, 3]) == nil)
        var response = Self.query("a.b")
        response[2] |= 0x80
        #expect(DNSQuery(response) == nil)
    }

    @Test func upstreamResolversAreReadFromTheMachinesResolverFile() {
        let text = "# generated\nsearch example.org\nnameserver 10.255.255.53\nnameserver\t192.0.2.1\noptions ndots:1\n"
        #expect(ClusterDNS.nameservers(resolvConf: text) == ["10.255.255.53", "192.0.2.1"])
    }

    @Test func podsGetTheResolverAndHostsFilesOfARealPod() {
        let pod: JSONValue = [
            "metadata": ["name": "api-1", "namespace": "shop"],
            "spec": ["hostAliases": [["ip": "10.0.0.9", "hostnames": ["legacy", "legacy.local"]]], "dnsConfig": ["options": [["name": "ndots", "value": "2"]]]],
        ]
        let files = PodNetworkFiles(pod: pod, podIP: "127.99.0.7", clusterDNS: "127.99.0.1")
        #expect(files.resolvConf == "search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.99.0.1\noptions ndots:2\n")
        #expect(files.hosts.contains("127.0.0.1\tlocalhost\n"))
        #expect(files.hosts.contains("127.99.0.7\tapi-1\n"))
        #expect(files.hosts.contains("10.0.0.9\tlegacy\tlegacy.local\n"))
        let machineResolver = PodNetworkFiles(pod: ["metadata": ["name": "p"], "spec": ["dnsPolicy": "Default"]], podIP: "127.99.0.8", clusterDNS: "127.99.0.1")
        #expect(machineResolver.resolvConf == nil)
    }

    @Test func endpointsRefuseAddressesARealServerRefuses() {
        let endpoints: JSONValue = ["metadata": ["name": "web"], "subsets": [["addresses": [["ip": "127.99.0.3"]], "ports": [["port": 8080]]]]]
        #expect(throws: (any Error).self) { try Admission.validate(.endpoints, endpoints) }
        do {
            try Admission.validate(.endpoints, endpoints)
        } catch {
            #expect(error.status.message == #"Endpoints "web" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.99.0.3": may not be in the loopback range (127.0.0.0/8)"#)
            #expect(error.status.code == 422)
        }
        let fine: JSONValue = ["metadata": ["name": "web"], "subsets": [["addresses": [["ip": "10.88.0.3"]], "ports": [["port": 8080]]]]]
        #expect(throws: Never.self) { try Admission.validate(.endpoints, fine) }
    }

    @Test func theKubeletReadsOnePortKeyPerPortAsKubeAPIServerSendsThem() {
        #expect(KubeletServer.forwardedPorts("port=7300&port=7301") == [7300, 7301])
        #expect(KubeletServer.forwardedPorts("ports=7300") == nil, "the API server's own key is not the kubelet's")
        #expect(KubeletServer.forwardedPorts("port=http") == nil)
        #expect(APIServer.portForwardPorts("ports=7300,7301&ports=8080") == [7300, 7301, 8080])
    }
}
