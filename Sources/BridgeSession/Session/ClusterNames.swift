/// The names kbridge writes into the cluster, in one place: of the objects a session creates,
/// and of the labels, annotations and keys it puts on them.
public enum ClusterNames {
    /// The name of a session's Secret and Lease.
    public static func session(_ id: String) -> String { "kbridge-session-\(id)" }
    /// The name of a session's guard: its Job, ServiceAccount, Role and RoleBinding.
    public static func guardName(_ id: String) -> String { "kbridge-guard-\(id)" }
    /// On the workload: the original template (or pod) and replica count, as JSON.
    public static let originalAnnotation = "kbridge.dev/original"
    /// On the workload: the replica count someone asked for during the session, held at one
    /// while it is redirected (`ReplicaHold`) and given when the session ends.
    public static let requestedReplicasAnnotation = "kbridge.dev/replicas-requested"
    /// On the agent pod and the session's Secret: the session id.
    public static let sessionLabel = "kbridge.dev/session"
    /// On everything of a guard, beside the session label: which part of it this is.
    public static let partLabel = "kbridge.dev/part"
    /// On the guard's pod: the session it guards.
    public static let guardLabel = "kbridge.dev/guard-of"
    /// On the Lease: the SHA-256 of the original the session saved (`OriginalCheck`).
    public static let digestAnnotation = "kbridge.dev/original-digest"
    /// On the Lease: written by the guard when it watches, changed every `SessionGuard.markInterval(ttl:)`.
    public static let aliveAnnotation = "kbridge.dev/guard-alive"
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// On a session's copy (isolation mode): the machine whose session it is.
    public static let machineAnnotation = "kbridge.dev/machine"
    /// The Secret key that holds the session secret.
    public static let secretKey = "token"
    /// The Secret key that holds the original (as the annotation does).
    public static let originalKey = "original"
}
