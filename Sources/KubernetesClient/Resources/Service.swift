public struct Service: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.services
    public var metadata: ObjectMeta
    public var spec: ServiceSpec

    public init(metadata: ObjectMeta, spec: ServiceSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ServiceSpec: Codable, Sendable, Hashable {
    public var selector: [String: String]?
    public var ports: [ServicePort]?
    public var clusterIP: String?
    public var clusterIPs: [String]?
    public var type: String?
    public var externalName: String?

    public init(selector: [String: String]? = nil, ports: [ServicePort]? = nil) {
        self.selector = selector
        self.ports = ports
    }

    /// A headless service has no cluster IP: clients reach its pods directly.
    public var isHeadless: Bool { clusterIP == "None" }
}

public struct ServicePort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int
    public var targetPort: IntOrString?
    public var `protocol`: String?
    public var nodePort: Int?
    /// What the port speaks, as its owner declared it (`http`, `kubernetes.io/h2c`, ...).
    public var appProtocol: String?

    public init(name: String? = nil, port: Int, targetPort: IntOrString? = nil) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
    }
}

public struct Endpoints: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.endpoints
    public var metadata: ObjectMeta
    public var subsets: [EndpointSubset]?
}

public struct EndpointSubset: Codable, Sendable, Hashable {
    public var addresses: [EndpointAddress]?
    public var notReadyAddresses: [EndpointAddress]?
    public var ports: [EndpointPort]?
}

public struct EndpointAddress: Codable, Sendable, Hashable {
    public struct TargetReference: Codable, Sendable, Hashable {
        public var kind: String?
        public var name: String?
        public var namespace: String?
        public var uid: String?
    }
    public var ip: String
    public var nodeName: String?
    public var targetRef: TargetReference?
}

public struct EndpointPort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int
    public var `protocol`: String?
}
