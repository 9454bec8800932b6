/// Which pod addresses a service sends its traffic to, read the way the user's rights allow.
///
/// EndpointSlices first (discovery.k8s.io/v1, or v1beta1 on servers that lack v1): they hold
/// every address. A user who may not read them (1.20's `admin`, `edit` and `view` roles cannot)
/// gets the ready pods the service's selector matches, which is what the endpoints controllers
/// compute, and for services without a selector their Endpoints objects.
public struct ServiceEndpointsReader: Sendable {
    /// Where an answer came from, for diagnostics.
    public enum Source: String, Sendable {
        case endpointSlices = "EndpointSlices"
        case endpoints = "Endpoints"
        case podReadiness = "ready pods"
    }

    /// The ready addresses of each service (by name), and where they were read.
    public struct Answer: Sendable {
        public var readyAddresses: [String: [String]]
        public var sources: [String: Source]
    }

    let client: KubernetesClient
    /// The EndpointSlice version the server serves; nil when it serves none.
    let sliceType: ResourceType?

    /// A reader for this server: asks discovery which EndpointSlice version it serves.
    public static func discover(client: KubernetesClient) async -> ServiceEndpointsReader {
        ServiceEndpointsReader(client: client, sliceType: await client.endpointSliceType())
    }

    init(client: KubernetesClient, sliceType: ResourceType?) {
        self.client = client
        self.sliceType = sliceType
    }

    /// The ready addresses behind each of `services` (all in `namespace`), sorted.
    public func readyAddresses(of services: [Service], namespace: String) async throws(KubernetesError) -> Answer {
        var answer = Answer(readyAddresses: [:], sources: [:])
        let unanswered = services.filter { $0.spec.type != "ExternalName" }
        if let slices = try await slices(of: unanswered, namespace: namespace) {
            for service in unanswered {
                let name = service.metadata.nameOrEmpty
                let own = slices.filter { $0.serviceName == name }
                answer.readyAddresses[name] = Array(Set(own.flatMap { ($0.endpoints ?? []).filter(\.isReady).flatMap(\.addresses) })).sorted()
                answer.sources[name] = .endpointSlices
            }
            return answer
        }
        // Without slices: what the endpoints controllers compute, from the pods a selector matches.
        // (An Endpoints object cannot stand in: where it refused the pods' addresses it stays empty.)
        let manual = unanswered.filter { $0.spec.selector?.isEmpty != false }
        if !manual.isEmpty, let endpoints = try await optional({ () async throws(KubernetesError) in try await client.list(Endpoints.self, namespace: namespace) }) {
            for service in manual {
                let name = service.metadata.nameOrEmpty
                let found = endpoints.first { $0.metadata.name == name }
                answer.readyAddresses[name] = Array(Set((found?.subsets ?? []).flatMap { $0.addresses ?? [] }.map(\.ip))).sorted()
                answer.sources[name] = .endpoints
            }
        }
        let selecting = unanswered.filter { $0.spec.selector?.isEmpty == false }
        guard !selecting.isEmpty else { return answer }
        let pods = try await client.list(Pod.self, namespace: namespace)
        for service in selecting {
            let selector = service.spec.selector ?? [:]
            let ready = pods.filter { pod in
                pod.metadata.deletionTimestamp == nil && pod.isReady && selector.allSatisfy { pod.metadata.labels?[$0.key] == $0.value }
            }
            answer.readyAddresses[service.metadata.nameOrEmpty] = Array(Set(ready.compactMap(\.status?.podIP))).sorted()
            answer.sources[service.metadata.nameOrEmpty] = .podReadiness
        }
        return answer
    }

    /// The EndpointSlices of `services` (one service's alone, by its label: a poll while a
    /// session waits for its endpoints must not read the whole namespace, 0.26 s for 500 services
    /// on a real API server), or nil when the server serves none or the user may not read them.
    private func slices(of services: [Service], namespace: String) async throws(KubernetesError) -> [EndpointSlice]? {
        guard let type = sliceType else { return nil }
        let options = services.count == 1 ? ListOptions(labelSelector: "\(EndpointSlice.serviceNameLabel)=\(services[0].metadata.nameOrEmpty)") : ListOptions()
        return try await optional { () async throws(KubernetesError) in
            try await client.list(EndpointSlice.self, of: type, namespace: namespace, options: options)
        }
    }

    /// nil when the read is forbidden.
    private func optional<T>(_ read: () async throws(KubernetesError) -> T) async throws(KubernetesError) -> T? {
        do {
            return try await read()
        } catch where error.isForbidden {
            return nil
        }
    }
}

extension KubernetesClient {
    /// The EndpointSlice version this server serves (v1, else v1beta1), nil when it serves none.
    public func endpointSliceType() async -> ResourceType? {
        guard let versions = try? await serverGroupVersions() else { return .endpointSlices }
        if versions.contains(ResourceType.endpointSlices.apiVersion) { return .endpointSlices }
        if versions.contains(ResourceType.endpointSlicesV1beta1.apiVersion) { return .endpointSlicesV1beta1 }
        return nil
    }
}
