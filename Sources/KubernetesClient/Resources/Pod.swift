public struct Pod: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.pods
    public var metadata: ObjectMeta
    public var spec: PodSpec
    public var status: PodStatus?

    public init(metadata: ObjectMeta, spec: PodSpec, status: PodStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// Whether the `Ready` condition is true.
    public var isReady: Bool {
        status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
    }
}

public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec
}

public struct PodSpec: Codable, Sendable, Hashable {
    public var containers: [Container]
    public var initContainers: [Container]?
    public var volumes: [Volume]?
    public var nodeName: String?
    public var serviceAccountName: String?
    public var restartPolicy: String?
    public var enableServiceLinks: Bool?
    public var hostname: String?
    public var subdomain: String?
    public var terminationGracePeriodSeconds: Int?

    public init(containers: [Container]) {
        self.containers = containers
    }
}

public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var env: [EnvVar]?
    public var envFrom: [EnvFromSource]?
    public var ports: [ContainerPort]?
    public var volumeMounts: [VolumeMount]?
    public var readinessProbe: Probe?
    public var livenessProbe: Probe?
    public var startupProbe: Probe?
    public var imagePullPolicy: String?

    public init(name: String, image: String? = nil) {
        self.name = name
        self.image = image
    }
}

public struct ContainerPort: Codable, Sendable, Hashable {
    public var name: String?
    public var containerPort: Int
    public var `protocol`: String?
}

public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: EnvVarSource?

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public struct EnvVarSource: Codable, Sendable, Hashable {
    public struct FieldRef: Codable, Sendable, Hashable {
        public var fieldPath: String
    }
    public struct KeyRef: Codable, Sendable, Hashable {
        public var name: String?
        public var key: String
        public var optional: Bool?
    }
    public struct ResourceFieldRef: Codable, Sendable, Hashable {
        public var containerName: String?
        public var resource: String
    }
    public var fieldRef: FieldRef?
    public var secretKeyRef: KeyRef?
    public var configMapKeyRef: KeyRef?
    public var resourceFieldRef: ResourceFieldRef?
}

public struct EnvFromSource: Codable, Sendable, Hashable {
    public struct Reference: Codable, Sendable, Hashable {
        public var name: String?
        public var optional: Bool?
    }
    public var prefix: String?
    public var configMapRef: Reference?
    public var secretRef: Reference?
}

public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
    public var subPath: String?
    public var readOnly: Bool?
}

public struct KeyToPath: Codable, Sendable, Hashable {
    public var key: String
    public var path: String
}

public struct Volume: Codable, Sendable, Hashable {
    public struct ConfigMapSource: Codable, Sendable, Hashable {
        public var name: String?
        public var items: [KeyToPath]?
        public var optional: Bool?
    }
    public struct SecretSource: Codable, Sendable, Hashable {
        public var secretName: String?
        public var items: [KeyToPath]?
        public var optional: Bool?
    }
    public struct EmptyDirSource: Codable, Sendable, Hashable {
        public var medium: String?
    }
    public struct ProjectedSource: Codable, Sendable, Hashable {
        public struct Projection: Codable, Sendable, Hashable {
            public struct ServiceAccountToken: Codable, Sendable, Hashable {
                public var path: String
                public var audience: String?
                public var expirationSeconds: Int?
            }
            public var configMap: ConfigMapSource?
            public var secret: SecretSource?
            public var serviceAccountToken: ServiceAccountToken?
        }
        public var sources: [Projection]?
    }
    /// Files of the pod's own fields (what is in it does not matter here).
    public struct DownwardAPISource: Codable, Sendable, Hashable {}
    public var name: String
    public var configMap: ConfigMapSource?
    public var secret: SecretSource?
    public var emptyDir: EmptyDirSource?
    public var projected: ProjectedSource?
    public var downwardAPI: DownwardAPISource?

    /// Whether the volume's files come from the API or the pod itself (ConfigMaps, Secrets, the
    /// service-account token, the downward API, an emptyDir): small, and what an app reads as
    /// its configuration. Disks (claims, host paths, ...) are neither.
    public var holdsConfiguration: Bool {
        configMap != nil || secret != nil || projected != nil || downwardAPI != nil || emptyDir != nil
    }
}

public struct Probe: Codable, Sendable, Hashable {
    public struct HTTPGetAction: Codable, Sendable, Hashable {
        public var path: String?
        public var port: IntOrString
        public var host: String?
        public var scheme: String?
    }
    public struct TCPSocketAction: Codable, Sendable, Hashable {
        public var port: IntOrString
        public var host: String?
    }
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var initialDelaySeconds: Int?
    public var periodSeconds: Int?
    public var timeoutSeconds: Int?
    public var successThreshold: Int?
    public var failureThreshold: Int?
}

public struct PodStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var conditions: [PodCondition]?
    public var hostIP: String?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: String?
    public var containerStatuses: [ContainerStatus]?
    public var reason: String?
    public var message: String?

    public init(phase: String? = nil) {
        self.phase = phase
    }
}

public struct PodIP: Codable, Sendable, Hashable {
    public var ip: String
    public init(ip: String) { self.ip = ip }
}

public struct PodCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastProbeTime: String?
    public var lastTransitionTime: String?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}

public struct ContainerStatus: Codable, Sendable, Hashable {
    public struct State: Codable, Sendable, Hashable {
        public struct Waiting: Codable, Sendable, Hashable {
            public var reason: String?
            public var message: String?
            public init(reason: String?, message: String?) {
                self.reason = reason
                self.message = message
            }
        }
        public struct Running: Codable, Sendable, Hashable {
            public var startedAt: String?
            public init(startedAt: String?) { self.startedAt = startedAt }
        }
        public struct Terminated: Codable, Sendable, Hashable {
            public var exitCode: Int
            public var reason: String?
            public var message: String?
            public var startedAt: String?
            public var finishedAt: String?
            public init(exitCode: Int, reason: String?, message: String? = nil, startedAt: String? = nil, finishedAt: String?) {
                self.exitCode = exitCode
                self.reason = reason
                self.message = message
                self.startedAt = startedAt
                self.finishedAt = finishedAt
            }
        }
        public var waiting: Waiting?
        public var running: Running?
        public var terminated: Terminated?
        public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
            self.waiting = waiting
            self.running = running
            self.terminated = terminated
        }
    }
    public var name: String
    public var state: State?
    public var lastState: State?
    public var ready: Bool
    public var restartCount: Int
    public var image: String
    public var imageID: String
    public var containerID: String?
    public var started: Bool?

    public init(name: String, state: State?, lastState: State? = nil, ready: Bool, restartCount: Int, image: String, imageID: String, containerID: String?, started: Bool?) {
        self.name = name
        self.state = state
        self.lastState = lastState
        self.ready = ready
        self.restartCount = restartCount
        self.image = image
        self.imageID = imageID
        self.containerID = containerID
        self.started = started
    }
}
