import Foundation
import KubernetesClient

/// What gives a workload back when the CLI cannot: a `coordination.k8s.io` Lease the CLI renews,
/// and a Job (`kbridge-agent guard`, `GuardWatch`) that gives the workload back once the Lease
/// has not been renewed for its duration.
///
/// The Job runs as a ServiceAccount of its own with a Role that names the one workload, the
/// session's Secret and Lease (the app's own ServiceAccount is never widened). The ServiceAccount,
/// Role, RoleBinding and Job are owned by the Lease, so deleting the Lease (the CLI on a clean
/// exit, the guard once it gave the workload back, `kbridge clean`) removes all of them.
public struct SessionGuard: Sendable {
    public static let defaultTTL: Duration = .seconds(30)
    /// The label on everything of a guard, beside the session label.
    public static let partLabel = "kbridge.dev/part"
    /// On the guard's pod: the session it guards.
    public static let guardLabel = "kbridge.dev/guard-of"
    /// On the Lease: the SHA-256 of the original the session saved (`OriginalCheck`).
    public static let digestAnnotation = "kbridge.dev/original-digest"

    let client: KubernetesClient
    public let session: String
    public let namespace: String

    public init(client: KubernetesClient, session: String, namespace: String) {
        self.client = client
        self.session = session
        self.namespace = namespace
    }

    public static func leaseName(session: String) -> String { ClusterNames.session(session) }
    public static func guardName(session: String) -> String { "kbridge-guard-\(session)" }
    var leaseName: String { Self.leaseName(session: session) }
    var guardName: String { Self.guardName(session: session) }

    /// Creates the Lease and the guard; on failure, removes what it created and says which
    /// permission was missing when that was the cause.
    public func install(workload: WorkloadReference, image: String, ttl: Duration, originalDigest: String) async throws(SessionError) {
        let lease: JSONValue
        do {
            lease = try await client.createRaw(.leases, leaseObject(ttl: ttl, originalDigest: originalDigest), namespace: namespace)
        } catch {
            throw Self.installFailure(error, creating: "the session's Lease")
        }
        let owner: JSONValue = [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "name": .string(leaseName),
            "uid": lease[path: "metadata", "uid"] ?? "",
        ]
        let parts: [(ResourceType, JSONValue, String)] = [
            (.serviceAccounts, ["metadata": metadata(owner: owner)], "the guard's ServiceAccount"),
            (.roles, ["metadata": metadata(owner: owner), "rules": .array(Self.rules(workload: workload, session: session))], "the guard's Role"),
            (.roleBindings, [
                "metadata": metadata(owner: owner),
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(guardName)],
                "subjects": [["kind": "ServiceAccount", "name": .string(guardName), "namespace": .string(namespace)]],
            ], "the guard's RoleBinding"),
            (.jobs, jobObject(owner: owner, workload: workload, image: image, ttl: ttl, originalDigest: originalDigest), "the guard's Job"),
        ]
        for (type, object, what) in parts {
            do {
                _ = try await client.createRaw(type, object, namespace: namespace)
            } catch {
                await remove()
                throw Self.installFailure(error, creating: what)
            }
        }
    }

    /// Renews the Lease. False when it is gone: the guard gave the workload back (or someone
    /// removed the Lease), so the session has ended.
    public func renew() async throws(KubernetesError) -> Bool {
        do {
            _ = try await client.patchRaw(.leases, name: leaseName, namespace: namespace, .merge(["spec": ["renewTime": .string(Timestamp.formatMicro(Date()))]]))
            return true
        } catch let error where error.isNotFound {
            return false
        }
    }

    /// What the Lease remembers of the saved original: `.unknown` when it is gone or says nothing.
    public func originalCheck() async -> OriginalCheck {
        guard let lease = try? await client.getRaw(.leases, name: leaseName, namespace: namespace),
              let digest = lease[path: "metadata", "annotations", Self.digestAnnotation]?.stringValue, !digest.isEmpty else { return .unknown }
        return .digest(digest)
    }

    /// Whether the Lease still exists; nil when the cluster cannot say.
    public func exists() async -> Bool? {
        do {
            _ = try await client.getRaw(.leases, name: leaseName, namespace: namespace)
            return true
        } catch let error where error.isNotFound {
            return false
        } catch {
            return nil
        }
    }

    /// Removes the Lease and, through their owner reference, the guard's Job, pod, ServiceAccount,
    /// Role and RoleBinding.
    public func remove() async {
        try? await client.delete(.leases, name: leaseName, namespace: namespace, propagation: .background)
    }

    // MARK: Objects

    private func metadata(owner: JSONValue? = nil) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "name": .string(guardName),
            "labels": [ClusterNames.sessionLabel: .string(session), ClusterNames.managedByLabel: "kbridge", Self.partLabel: "guard"],
        ]
        if let owner { metadata["ownerReferences"] = [owner] }
        return .object(metadata)
    }

    func leaseObject(ttl: Duration, originalDigest: String) -> JSONValue {
        let now = JSONValue.string(Timestamp.formatMicro(Date()))
        return [
            "metadata": [
                "name": .string(leaseName),
                "annotations": [Self.digestAnnotation: .string(originalDigest)],
                "labels": [ClusterNames.sessionLabel: .string(session), ClusterNames.managedByLabel: "kbridge", Self.partLabel: "lease"],
            ],
            "spec": [
                "holderIdentity": .string(session), "leaseDurationSeconds": .integer(ttl.components.seconds),
                "acquireTime": now, "renewTime": now,
            ],
        ]
    }

    private func jobObject(owner: JSONValue, workload: WorkloadReference, image: String, ttl: Duration, originalDigest: String) -> JSONValue {
        let arguments = GuardArguments(session: session, workload: workload, ttl: ttl, originalDigest: originalDigest)
        // Not the session label: that one marks the session's agent pod.
        let labels: JSONValue = [Self.guardLabel: .string(session), ClusterNames.managedByLabel: "kbridge", Self.partLabel: "guard"]
        return [
            "metadata": metadata(owner: owner),
            "spec": [
                // A guard that cannot reach the API server fails and is started again, for a while.
                "backoffLimit": 20,
                "template": [
                    "metadata": ["labels": labels],
                    "spec": [
                        "serviceAccountName": .string(guardName),
                        "automountServiceAccountToken": true,
                        "restartPolicy": "OnFailure",
                        "terminationGracePeriodSeconds": 5,
                        "containers": [[
                            "name": "guard", "image": .string(image), "imagePullPolicy": "IfNotPresent",
                            "args": .array(arguments.encoded.map { .string($0) }),
                            "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]],
                            "securityContext": ["runAsNonRoot": true, "runAsUser": 65532, "allowPrivilegeEscalation": false],
                        ]],
                    ],
                ],
            ],
        ]
    }

    /// What the guard may do: read and give back the one workload, delete the session's Secret
    /// and Lease. A bare Pod is created again, and a create cannot be limited to a name.
    static func rules(workload: WorkloadReference, session: String) -> [JSONValue] {
        let name = JSONValue.string(workload.name)
        var rules: [JSONValue] = []
        switch workload.kind {
        case .deployment, .statefulSet:
            rules.append(["apiGroups": ["apps"], "resources": [.string(workload.kind.resourceType.name)], "resourceNames": [name], "verbs": ["get", "patch"]])
        case .pod:
            rules.append(["apiGroups": [""], "resources": ["pods"], "resourceNames": [name], "verbs": ["get", "delete"]])
            rules.append(["apiGroups": [""], "resources": ["pods"], "verbs": ["create"]])
        }
        rules.append(["apiGroups": [""], "resources": ["secrets"], "resourceNames": [.string(ClusterNames.session(session))], "verbs": ["get", "delete"]])
        rules.append(["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [.string(leaseName(session: session))], "verbs": ["get", "delete"]])
        return rules
    }

    static func installFailure(_ error: KubernetesError, creating what: String) -> SessionError {
        guard error.statusCode == 403 else { return .cluster(error) }
        return .guardNotPermitted(creating: what, detail: error.description)
    }
}
