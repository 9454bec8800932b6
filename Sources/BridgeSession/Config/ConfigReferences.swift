/// What a `LocalProcessConfig` refers to in the cluster, each with where it is written.
extension LocalProcessConfig {
    public struct ServiceReference: Sendable, Equatable {
        public var name: String
        /// nil: the session's namespace.
        public var namespace: String?
        /// The ports to give (all when empty).
        public var ports: [Int]
        public var place: ConfigPlace
    }

    public struct ExternalEndpoint: Sendable, Equatable {
        public var host: String
        public var ports: [Int]
        public var place: ConfigPlace
    }

    private var tokens: [ConfigValue.Part] { env.flatMap(\.value.parts) }

    /// Every volume pattern: of the `volumeMounts` entries, then of the tokens.
    public var volumePatterns: [(pattern: String, place: ConfigPlace)] {
        volumeMounts.map { ($0.name, $0.place) } + tokens.compactMap {
            guard case .volumeMount(let name, let place) = $0 else { return nil }
            return (name, place)
        }
    }

    public var services: [ServiceReference] {
        tokens.compactMap {
            guard case .service(let name, let namespace, let ports, let place) = $0 else { return nil }
            return ServiceReference(name: name, namespace: namespace, ports: ports, place: place)
        }
    }

    public var externalEndpoints: [ExternalEndpoint] {
        tokens.compactMap {
            guard case .externalEndpoint(let host, let ports, let place) = $0 else { return nil }
            return ExternalEndpoint(host: host, ports: ports, place: place)
        }
    }

    /// The ports each service named with ports may have on this machine ("name.namespace" → ports;
    /// a service named once with ports and once without gets all of them).
    public func portLimits(namespace: String) -> [String: Set<Int>] {
        var limits: [String: Set<Int>] = [:]
        var unlimited: Set<String> = []
        for service in services {
            let key = "\(service.name).\(service.namespace ?? namespace)"
            if service.ports.isEmpty { unlimited.insert(key) } else { limits[key, default: []].formUnion(service.ports) }
        }
        return limits.filter { !unlimited.contains($0.key) }
    }

    /// The external endpoints by host, their ports merged.
    public var externalPorts: [(host: String, ports: [Int])] {
        var ports: [String: Set<Int>] = [:]
        for endpoint in externalEndpoints { ports[endpoint.host, default: []].formUnion(endpoint.ports) }
        return ports.keys.sorted().map { ($0, ports[$0, default: []].sorted()) }
    }

    /// The first of `volumes` (volume names) that `pattern` matches, as Bridge to Kubernetes took it.
    public static func firstVolume(matching pattern: String, in volumes: [String]) -> String? {
        volumes.first { ConfigValue.matches($0, pattern: pattern) }
    }
}
