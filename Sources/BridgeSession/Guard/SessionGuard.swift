import Foundation
import KubernetesClient

/// What gives a workload back (or removes the session's copy of its pod) when the CLI cannot: a
/// `coordination.k8s.io` Lease the CLI renews, and a Job (`kbridge-agent guard`, `GuardWatch`)
/// that gives back what it holds (`GuardedHold`) once the Lease has not been renewed for its duration.
///
/// The guard counts only once it has proven it runs: it marks the Lease
/// (`ClusterNames.aliveAnnotation`) when it watches, and again every `markInterval(ttl:)`.
/// `waitUntilWatching` waits for the first mark (or says why the guard's pod cannot start);
/// `SessionUpkeep` notices when the marks stop, or the Lease or Job is deleted, and installs
/// what is missing again (`install` creates only what is not there).
///
/// The Job runs as a ServiceAccount of its own with a Role that names the one workload (or copy), the
/// session's Secret and Lease (the app's own ServiceAccount is never widened). The ServiceAccount,
/// Role, RoleBinding and Job are owned by the Lease, so deleting the Lease (the CLI on a clean
/// exit, the guard once it gave the workload back, `kbridge clean`) removes all of them.
public struct SessionGuard: Sendable {
    public static let defaultTTL: Duration = .seconds(30)
    /// The guard's container.
    static let containerName = "guard"

    /// How often a watching guard marks the Lease: several times per renewal of the CLI's.
    public static func markInterval(ttl: Duration) -> Duration { max(ttl / 6, .milliseconds(500)) }

    let client: KubernetesClient
    public let session: String
    public let namespace: String

    public init(client: KubernetesClient, session: String, namespace: String) {
        self.client = client
        self.session = session
        self.namespace = namespace
    }

    var leaseName: String { ClusterNames.session(session) }
    var guardName: String { ClusterNames.guardName(session) }

    /// Creates the Lease and the guard; on failure, removes what it created and says which
    /// permission was missing when that was the cause.
    public func install(_ hold: GuardedHold, image: String, ttl: Duration) async throws(SessionError) {
        do {
            try await createMissing(hold, image: image, ttl: ttl)
        } catch {
            try? await remove()
            throw error
        }
    }

    /// Creates what of the Lease and the guard is missing (deleted by someone during the
    /// session); parts left from a deleted Lease, still on their way out, are replaced. Returns
    /// what it created.
    @discardableResult
    func createMissing(_ hold: GuardedHold, image: String, ttl: Duration) async throws(SessionError) -> [String] {
        var created: [String] = []
        let lease: JSONValue
        do {
            lease = try await client.createRaw(.leases, leaseObject(ttl: ttl, hold: hold), namespace: namespace)
            created.append("lease \(leaseName)")
        } catch let error where error.isAlreadyExists {
            do {
                lease = try await client.getRaw(.leases, name: leaseName, namespace: namespace)
            } catch {
                throw .cluster(error)
            }
        } catch {
            throw Self.installFailure(error, creating: "the session's Lease")
        }
        let ownerUID = lease[path: "metadata", "uid"]?.stringValue ?? ""
        let owner: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "name": .string(leaseName), "uid": .string(ownerUID)]
        let parts: [(ResourceType, JSONValue, String)] = [
            (.serviceAccounts, ["metadata": metadata(owner: owner)], "the guard's ServiceAccount"),
            (.roles, ["metadata": metadata(owner: owner), "rules": .array(Self.rules(hold, session: session))], "the guard's Role"),
            (.roleBindings, [
                "metadata": metadata(owner: owner),
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(guardName)],
                "subjects": [["kind": "ServiceAccount", "name": .string(guardName), "namespace": .string(namespace)]],
            ], "the guard's RoleBinding"),
            (.jobs, jobObject(owner: owner, hold: hold, image: image, ttl: ttl), "the guard's Job"),
        ]
        for (type, object, what) in parts where try await create(type, object, ownedBy: ownerUID, what: what) {
            created.append("\(type.kind.lowercased()) \(guardName)")
        }
        return created
    }

    /// Creates one part of the guard unless the Lease already owns one; one owned by an earlier
    /// Lease (deleted, its parts not yet collected) is deleted first. True when it created it.
    private func create(_ type: ResourceType, _ object: JSONValue, ownedBy ownerUID: String, what: String) async throws(SessionError) -> Bool {
        let deadline = ContinuousClock.now + Self.staleReplacementTimeout
        while true {
            do {
                _ = try await client.createRaw(type, object, namespace: namespace)
                return true
            } catch let error where error.isAlreadyExists {
                let existing: JSONValue
                do {
                    existing = try await client.getRaw(type, name: guardName, namespace: namespace)
                } catch let error where error.isNotFound {
                    continue
                } catch {
                    throw .cluster(error)
                }
                let owners = existing[path: "metadata", "ownerReferences"]?.arrayValue ?? []
                if owners.contains(where: { $0["uid"]?.stringValue == ownerUID }) { return false }
                guard ContinuousClock.now < deadline else {
                    throw .guardNotRunning(pod: nil, reason: "\(what) left from an earlier Lease was still there after \(Self.staleReplacementTimeout)", log: "")
                }
                if existing[path: "metadata", "deletionTimestamp"] == nil {
                    try? await client.delete(type, name: guardName, namespace: namespace, propagation: .background)
                }
                try? await Task.sleep(for: .milliseconds(250))
            } catch {
                throw Self.installFailure(error, creating: what)
            }
        }
    }

    static let staleReplacementTimeout = Duration.seconds(30)

    /// Waits until the guard marks the Lease, proving it watches. Throws `guardNotRunning` with
    /// the guard pod's own reason (and its last log lines) when it cannot start, or when it has
    /// not marked the Lease within `timeout`.
    public func waitUntilWatching(timeout: Duration, progress: @Sendable (String) -> Void) async throws(SessionError) {
        let deadline = ContinuousClock.now + timeout
        var judge = PodStartJudge()
        var lastSeen = "no guard pod yet"
        var reported = ""
        while true {
            do {
                let lease = try await client.getRaw(.leases, name: leaseName, namespace: namespace)
                if lease[path: "metadata", "annotations", ClusterNames.aliveAnnotation] != nil { return }
            } catch let error where error.isNotFound {
                throw .guardNotRunning(pod: nil, reason: "its Lease \(leaseName) was deleted", log: "")
            } catch {
                throw .cluster(error)
            }
            let pods: [Pod]
            do {
                pods = try await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: "\(ClusterNames.guardLabel)=\(session)"))
            } catch {
                throw .cluster(error)
            }
            if let pod = pods.first(where: { $0.metadata.deletionTimestamp == nil }) {
                if let hopeless = judge.hopeless(pod, container: Self.containerName) {
                    let reason = hopeless.reason + (hopeless.message.isEmpty ? "" : ": \(hopeless.message)")
                    throw .guardNotRunning(pod: pod.metadata.nameOrEmpty, reason: reason, log: await lastLogLines(of: pod))
                }
                lastSeen = PodStartJudge.describe(pod, container: Self.containerName)
            }
            if lastSeen != reported {
                progress("waiting for the guard to watch the lease: \(lastSeen)")
                reported = lastSeen
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                let log = if let pod = pods.first { await lastLogLines(of: pod) } else { "" }
                throw .guardNotRunning(pod: pods.first?.metadata.nameOrEmpty, reason: "it did not mark its Lease within \(timeout) (last seen: \(lastSeen))", log: log)
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The guard container's last lines of output (of its previous run when it is waiting to restart).
    func lastLogLines(of pod: Pod) async -> String {
        let status = pod.status?.containerStatuses?.first { $0.name == Self.containerName }
        let previous = (status?.restartCount ?? 0) > 0 && status?.state?.running == nil
        let text = (try? await client.logs(pod: pod.metadata.nameOrEmpty, namespace: namespace, container: Self.containerName, tailLines: 5, previous: previous)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Renews the Lease; the Lease as renewed, nil when it is gone (the guard gave the workload
    /// back, or someone deleted it).
    public func renew() async throws(KubernetesError) -> JSONValue? {
        do {
            return try await client.patchRaw(.leases, name: leaseName, namespace: namespace, .merge(["spec": ["renewTime": .string(Timestamp.formatMicro(Date()))]]))
        } catch let error where error.isNotFound {
            return nil
        }
    }

    /// What the Lease remembers of the saved original: `.unknown` when it is gone or says nothing.
    public func originalCheck() async -> OriginalCheck {
        guard let lease = try? await client.getRaw(.leases, name: leaseName, namespace: namespace),
              let digest = lease[path: "metadata", "annotations", ClusterNames.digestAnnotation]?.stringValue, !digest.isEmpty else { return .unknown }
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
    /// Role and RoleBinding; without a Lease, a Job left of it (deleted with its dependents
    /// orphaned). Gone already is done.
    public func remove() async throws(KubernetesError) {
        do {
            try await client.delete(.leases, name: leaseName, namespace: namespace, propagation: .background)
        } catch let error where error.isNotFound {
            do {
                try await client.delete(.jobs, name: guardName, namespace: namespace, propagation: .background)
            } catch let error where error.isNotFound || error.isForbidden {
                // None, or a guard (which may not delete Jobs) removing its own Lease twice.
            }
        }
    }

    // MARK: Objects

    private func metadata(owner: JSONValue? = nil) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "name": .string(guardName),
            "labels": [ClusterNames.sessionLabel: .string(session), ClusterNames.managedByLabel: "kbridge", ClusterNames.partLabel: "guard"],
        ]
        if let owner { metadata["ownerReferences"] = [owner] }
        return .object(metadata)
    }

    func leaseObject(ttl: Duration, hold: GuardedHold) -> JSONValue {
        let now = JSONValue.string(Timestamp.formatMicro(Date()))
        var annotations: [String: JSONValue] = [:]
        if case .takeover(_, let originalDigest) = hold { annotations[ClusterNames.digestAnnotation] = .string(originalDigest) }
        return [
            "metadata": [
                "name": .string(leaseName),
                "annotations": .object(annotations),
                "labels": [ClusterNames.sessionLabel: .string(session), ClusterNames.managedByLabel: "kbridge", ClusterNames.partLabel: "lease"],
            ],
            "spec": [
                "holderIdentity": .string(session), "leaseDurationSeconds": .integer(ttl.components.seconds),
                "acquireTime": now, "renewTime": now,
            ],
        ]
    }

    private func jobObject(owner: JSONValue, hold: GuardedHold, image: String, ttl: Duration) -> JSONValue {
        let arguments = GuardArguments(session: session, hold: hold, ttl: ttl)
        // Not the session label: that one marks the session's agent pod.
        let labels: JSONValue = [ClusterNames.guardLabel: .string(session), ClusterNames.managedByLabel: "kbridge", ClusterNames.partLabel: "guard"]
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
                            "name": .string(Self.containerName), "image": .string(image), "imagePullPolicy": "IfNotPresent",
                            "args": .array(arguments.encoded.map { .string($0) }),
                            "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]],
                            "securityContext": ["runAsNonRoot": true, "runAsUser": 65532, "allowPrivilegeEscalation": false],
                        ]],
                    ],
                ],
            ],
        ]
    }

    /// What the guard may do: read and give back the one workload (or delete the one copy),
    /// delete the session's Secret, mark and delete the Lease. A bare Pod is created again, and a
    /// create cannot be limited to a name.
    static func rules(_ hold: GuardedHold, session: String) -> [JSONValue] {
        var rules: [JSONValue] = []
        switch hold {
        case .takeover(let workload, _) where workload.kind == .pod:
            rules.append(["apiGroups": [""], "resources": ["pods"], "resourceNames": [.string(workload.name)], "verbs": ["get", "delete"]])
            rules.append(["apiGroups": [""], "resources": ["pods"], "verbs": ["create"]])
        case .takeover(let workload, _):
            rules.append(["apiGroups": ["apps"], "resources": [.string(workload.kind.resourceType.name)], "resourceNames": [.string(workload.name)], "verbs": ["get", "patch"]])
        case .clone(let pod):
            rules.append(["apiGroups": [""], "resources": ["pods"], "resourceNames": [.string(pod)], "verbs": ["get", "delete"]])
        }
        rules.append(["apiGroups": [""], "resources": ["secrets"], "resourceNames": [.string(ClusterNames.session(session))], "verbs": ["get", "delete"]])
        rules.append(["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": [.string(ClusterNames.session(session))], "verbs": ["get", "patch", "delete"]])
        return rules
    }

    static func installFailure(_ error: KubernetesError, creating what: String) -> SessionError {
        guard error.statusCode == 403 else { return .cluster(error) }
        return .guardNotPermitted(creating: what, detail: error.description)
    }
}

extension SessionGuard {
    /// What the guard's pod is at, in a person's words (`pod X: Running`, its reason and last
    /// output when it cannot start, `no guard pod`).
    func podState() async -> String {
        let pods = (try? await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: "\(ClusterNames.guardLabel)=\(session)"))) ?? []
        guard let pod = pods.first(where: { $0.metadata.deletionTimestamp == nil }) else { return "no guard pod" }
        var judge = PodStartJudge(transientGrace: .zero)
        let described = PodStartJudge.describe(pod, container: Self.containerName)
        guard let hopeless = judge.hopeless(pod, container: Self.containerName) else { return described }
        let log = await lastLogLines(of: pod)
        return "\(described): \(hopeless.reason)\(hopeless.message.isEmpty ? "" : " (\(hopeless.message))")\(log.isEmpty ? "" : "; its last output: \(log.split(separator: "\n").joined(separator: " | "))")"
    }
}
