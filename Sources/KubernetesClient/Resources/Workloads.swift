public struct Deployment: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.deployments
    public var metadata: ObjectMeta
    public var spec: WorkloadSpec
    public var status: WorkloadStatus?
}

public struct ReplicaSet: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.replicaSets
    public var metadata: ObjectMeta
    public var spec: WorkloadSpec
    public var status: WorkloadStatus?
}

public struct StatefulSet: KubernetesResource, Hashable {
    public static let resourceType = ResourceType.statefulSets
    public var metadata: ObjectMeta
    public var spec: WorkloadSpec
    public var status: WorkloadStatus?
}

/// The spec fields that Deployments, ReplicaSets and StatefulSets share.
public struct WorkloadSpec: Codable, Sendable, Hashable {
    public var replicas: Int?
    public var selector: LabelSelectorSpec
    public var template: PodTemplateSpec
    public var serviceName: String?
}

public struct WorkloadStatus: Codable, Sendable, Hashable {
    public struct Condition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
    }
    public var observedGeneration: Int?
    public var replicas: Int?
    public var readyReplicas: Int?
    public var availableReplicas: Int?
    public var updatedReplicas: Int?
    public var unavailableReplicas: Int?
    public var conditions: [Condition]?
}

public struct Job: KubernetesResource, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
        public var template: PodTemplateSpec
        public var backoffLimit: Int?
        public var ttlSecondsAfterFinished: Int?
    }
    public struct Status: Codable, Sendable, Hashable {
        public var active: Int?
        public var succeeded: Int?
        public var failed: Int?
    }
    public static let resourceType = ResourceType.jobs
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?
}
