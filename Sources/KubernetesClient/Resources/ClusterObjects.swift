import Foundation

public struct Namespace: KubernetesResource, Hashable {
    public struct Status: Codable, Sendable, Hashable {
        public var phase: String?
    }
    public static let resourceType = ResourceType.namespaces
    public var metadata: ObjectMeta
    public var status: Status?

    public init(name: String) {
        self.metadata = ObjectMeta(name: name)
    }
}

public struct Node: KubernetesResource, Hashable {
    public struct Status: Codable, Sendable, Hashable {
        public struct Address: Codable, Sendable, Hashable {
            public var type: String
            public var address: String
        }
        public struct DaemonEndpoints: Codable, Sendable, Hashable {
            public struct Endpoint: Codable, Sendable, Hashable {
                public var Port: Int
            }
            public var kubeletEndpoint: Endpoint?
        }
        public var addresses: [Address]?
        public var daemonEndpoints: DaemonEndpoints?
        public var conditions: [PodCondition]?
    }
    public static let resourceType = ResourceType.nodes
    public var metadata: ObjectMeta
    public var status: Status?

    /// The address of the node's kubelet, as an API server dials it.
    public var kubeletAddress: (host: String, port: Int)? {
        guard let host = status?.addresses?.first(where: { $0.type == "InternalIP" })?.address ?? status?.addresses?.first?.address,
            let port = status?.daemonEndpoints?.kubeletEndpoint?.Port
        else { return nil }
        return (host, port)
    }
}

public struct ConfigMap: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.configMaps
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var binaryData: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]) {
        self.metadata = metadata
        self.data = data
    }
}

public struct Secret: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.secrets
    public var metadata: ObjectMeta
    /// Base64-encoded values, as the API returns them.
    public var data: [String: String]?
    public var stringData: [String: String]?
    public var type: String?

    public init(metadata: ObjectMeta, stringData: [String: String], type: String = "Opaque") {
        self.metadata = metadata
        self.stringData = stringData
        self.type = type
    }

    /// The decoded value of one key, from `data` or `stringData`.
    public func decodedValue(_ key: String) -> [UInt8]? {
        if let encoded = data?[key] {
            return Data(base64Encoded: encoded).map { Array($0) }
        }
        return stringData?[key].map { Array($0.utf8) }
    }
}

public struct ServiceAccount: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.serviceAccounts
    public var metadata: ObjectMeta
}

public struct Lease: KubernetesResource, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        public var acquireTime: String?
        public var renewTime: String?
    }
    public static let resourceType = ResourceType.leases
    public var metadata: ObjectMeta
    public var spec: Spec?
}

public struct Event: KubernetesResource, Hashable {
    public struct InvolvedObject: Codable, Sendable, Hashable {
        public var kind: String?
        public var name: String?
        public var namespace: String?
        public var uid: String?
    }
    public static let resourceType = ResourceType.events
    public var metadata: ObjectMeta
    public var involvedObject: InvolvedObject
    public var reason: String?
    public var message: String?
    public var type: String?
    public var count: Int?
}

public struct Ingress: KubernetesResource, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
        public struct Rule: Codable, Sendable, Hashable {
            public struct HTTP: Codable, Sendable, Hashable {
                public struct Path: Codable, Sendable, Hashable {
                    public struct Backend: Codable, Sendable, Hashable {
                        public struct ServiceBackend: Codable, Sendable, Hashable {
                            public struct Port: Codable, Sendable, Hashable {
                                public var number: Int?
                                public var name: String?
                            }
                            public var name: String
                            public var port: Port?
                        }
                        public var service: ServiceBackend?
                    }
                    public var path: String?
                    public var pathType: String?
                    public var backend: Backend
                }
                public var paths: [Path]
            }
            public var host: String?
            public var http: HTTP?
        }
        public var ingressClassName: String?
        public var rules: [Rule]?
    }
    public static let resourceType = ResourceType.ingresses
    public var metadata: ObjectMeta
    public var spec: Spec?
}
