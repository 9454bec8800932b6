/// A slice of a service's endpoints (`discovery.k8s.io`), read from v1 or v1beta1: the fields
/// kbridge reads have the same shape in both.
///
/// Real clusters keep pod IPs that `Endpoints` refuse (loopback, link-local) in slices only,
/// which is why kube-proxy, and kbridge, read slices first.
public struct EndpointSlice: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.endpointSlices
    /// The label that names the service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public struct Endpoint: Codable, Sendable, Hashable {
        public struct Conditions: Codable, Sendable, Hashable {
            /// nil means unknown, which consumers take as ready.
            public var ready: Bool?
            public var serving: Bool?
            public var terminating: Bool?
        }
        public var addresses: [String]
        public var conditions: Conditions?
        public var targetRef: EndpointAddress.TargetReference?
        public var nodeName: String?

        /// Whether traffic may be sent to it.
        public var isReady: Bool { conditions?.ready ?? true }
    }

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var port: Int?
        public var `protocol`: String?
    }

    public var metadata: ObjectMeta
    public var addressType: String?
    public var endpoints: [Endpoint]?
    public var ports: [Port]?

    /// The service this slice belongs to.
    public var serviceName: String? { metadata.labels?[Self.serviceNameLabel] }
}
