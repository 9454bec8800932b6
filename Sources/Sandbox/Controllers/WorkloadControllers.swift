import Foundation
import KubernetesClient

/// Deployment → ReplicaSet: one ReplicaSet per pod template (named by its hash); a changed
/// template gets a new ReplicaSet, and the old ones are scaled down once the new one is ready.
struct DeploymentController: Controller {
    func reconcile(_ context: ControllerContext) async {
        for deployment in await context.store.all(.deployments) where !deployment.isTerminating {
            await reconcile(deployment, context)
        }
    }

    private func reconcile(_ deployment: JSONValue, _ context: ControllerContext) async {
        let namespace = deployment.namespace
        let desired = deployment[path: "spec", "replicas"]?.intValue ?? 1
        let template = deployment[path: "spec", "template"]
        let hash = PodTemplates.hash(template)
        let owned = await context.store.all(.replicaSets, namespace: namespace).filter { $0.controllerUID == deployment.uid }
        let revisions = owned.compactMap { $0[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue.flatMap(Int.init) }

        guard let current = owned.first(where: { $0[path: "metadata", "labels", "pod-template-hash"]?.stringValue == hash }) else {
            var labels = template?[path: "metadata", "labels"]?.objectValue ?? [:]
            labels["pod-template-hash"] = .string(hash)
            var newTemplate = template ?? .object([:])
            newTemplate["metadata"]?["labels"] = .object(labels)
            var selector = deployment[path: "spec", "selector"] ?? .object([:])
            var matchLabels = selector["matchLabels"]?.objectValue ?? [:]
            matchLabels["pod-template-hash"] = .string(hash)
            selector["matchLabels"] = .object(matchLabels)
            let replicaSet: JSONValue = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": [
                    "name": .string("\(deployment.name)-\(hash)"), "namespace": .string(namespace ?? ""), "labels": .object(labels),
                    "annotations": ["deployment.kubernetes.io/revision": .string(String((revisions.max() ?? 0) + 1)), "deployment.kubernetes.io/desired-replicas": .string(String(desired))],
                    "ownerReferences": [deployment.ownerReference()],
                ],
                "spec": ["replicas": .integer(Int64(desired)), "selector": selector, "template": newTemplate],
            ]
            await context.create(.replicaSets, namespace: namespace, replicaSet)
            return
        }

        if current[path: "spec", "replicas"]?.intValue != desired {
            var scaled = current
            scaled["spec"]?["replicas"] = .integer(Int64(desired))
            await context.update(.replicaSets, scaled)
        }
        let currentReady = current[path: "status", "readyReplicas"]?.intValue ?? 0
        let old = owned.filter { $0.uid != current.uid }
        if currentReady >= desired {
            for replicaSet in old where (replicaSet[path: "spec", "replicas"]?.intValue ?? 0) > 0 {
                var scaled = replicaSet
                scaled["spec"]?["replicas"] = 0
                await context.update(.replicaSets, scaled)
            }
        }
        let historyLimit = deployment[path: "spec", "revisionHistoryLimit"]?.intValue ?? 10
        let idle = old.filter { ($0[path: "spec", "replicas"]?.intValue ?? 0) == 0 && ($0[path: "status", "replicas"]?.intValue ?? 0) == 0 }
        for replicaSet in idle.dropLast(historyLimit) { await context.delete(.replicaSets, replicaSet) }

        let revision = current[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]
        if let revision, deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"] != revision {
            var annotated = deployment
            var annotations = annotated[path: "metadata", "annotations"]?.objectValue ?? [:]
            annotations["deployment.kubernetes.io/revision"] = revision
            annotated["metadata"]?["annotations"] = .object(annotations)
            await context.update(.deployments, annotated)
            return
        }

        func sum(_ field: String) -> Int { owned.reduce(0) { $0 + ($1[path: "status", field]?.intValue ?? 0) } }
        let available = sum("availableReplicas")
        let maxUnavailable = Self.maxUnavailable(deployment, desired: desired)
        let previous = deployment[path: "status", "conditions"]?.arrayValue ?? []
        let isAvailable = available >= desired - maxUnavailable
        let complete = (current[path: "status", "availableReplicas"]?.intValue ?? 0) >= desired && old.allSatisfy { ($0[path: "status", "replicas"]?.intValue ?? 0) == 0 }
        var status: [String: JSONValue] = [
            "observedGeneration": deployment[path: "metadata", "generation"] ?? 1,
            "replicas": .integer(Int64(sum("replicas"))),
            "updatedReplicas": .integer(Int64(current[path: "status", "replicas"]?.intValue ?? 0)),
            "readyReplicas": .integer(Int64(sum("readyReplicas"))),
            "availableReplicas": .integer(Int64(available)),
            "conditions": [
                PodTemplates.condition(
                    "Available", isAvailable, reason: isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                    message: isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", previous: previous
                ),
                PodTemplates.condition(
                    "Progressing", true, reason: complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                    message: complete ? "ReplicaSet \"\(current.name)\" has successfully progressed." : "ReplicaSet \"\(current.name)\" is progressing.", previous: previous
                ),
            ],
        ]
        if desired - available > 0 { status["unavailableReplicas"] = .integer(Int64(desired - available)) }
        for key in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] where status[key] == 0 { status[key] = nil }
        await context.updateStatus(.deployments, deployment, status: .object(status))
    }

    private static func maxUnavailable(_ deployment: JSONValue, desired: Int) -> Int {
        guard deployment[path: "spec", "strategy", "type"]?.stringValue != "Recreate" else { return desired }
        switch deployment[path: "spec", "strategy", "rollingUpdate", "maxUnavailable"] {
        case .integer(let count): return Int(count)
        case .string(let text) where text.hasSuffix("%"): return desired * (Int(text.dropLast()) ?? 25) / 100
        default: return desired / 4
        }
    }
}

/// ReplicaSet → pods: creates or deletes pods until the count of active ones matches `replicas`.
struct ReplicaSetController: Controller {
    func reconcile(_ context: ControllerContext) async {
        for replicaSet in await context.store.all(.replicaSets) where !replicaSet.isTerminating {
            let pods = await context.store.all(.pods, namespace: replicaSet.namespace).filter { $0.controllerUID == replicaSet.uid }
            let active = pods.filter(\.isActivePod)
            let desired = replicaSet[path: "spec", "replicas"]?.intValue ?? 1
            if active.count < desired {
                for _ in active.count..<desired {
                    let pod = PodTemplates.pod(from: replicaSet[path: "spec", "template"], owner: replicaSet, generateName: "\(replicaSet.name)-")
                    await context.create(.pods, namespace: replicaSet.namespace, pod)
                }
            } else if active.count > desired {
                let victims = active.sorted { !$0.isPodReady && $1.isPodReady }.prefix(active.count - desired)
                for pod in victims { await context.delete(.pods, pod) }
            }
            let ready = active.filter(\.isPodReady).count
            var status: [String: JSONValue] = [
                "replicas": .integer(Int64(active.count)), "fullyLabeledReplicas": .integer(Int64(active.count)),
                "readyReplicas": .integer(Int64(ready)), "availableReplicas": .integer(Int64(ready)),
                "observedGeneration": replicaSet[path: "metadata", "generation"] ?? 1,
            ]
            for key in ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] where status[key] == 0 { status[key] = nil }
            await context.updateStatus(.replicaSets, replicaSet, status: .object(status))
        }
    }
}

/// StatefulSet → pods `NAME-0` … `NAME-(n-1)`, created in order (each after the previous is
/// ready, for `OrderedReady`), replaced one at a time, highest first, when the template changes.
struct StatefulSetController: Controller {
    func reconcile(_ context: ControllerContext) async {
        for set in await context.store.all(.statefulSets) where !set.isTerminating {
            let namespace = set.namespace
            let desired = set[path: "spec", "replicas"]?.intValue ?? 1
            let revision = "\(set.name)-\(PodTemplates.hash(set[path: "spec", "template"]))"
            let pods = await context.store.all(.pods, namespace: namespace).filter { $0.controllerUID == set.uid }
            let ordered = set[path: "spec", "podManagementPolicy"]?.stringValue != "Parallel"
            var created = false
            for ordinal in 0..<desired {
                let name = "\(set.name)-\(ordinal)"
                if let pod = pods.first(where: { $0.name == name }) {
                    if ordered && !pod.isPodReady { break }
                    continue
                }
                var pod = PodTemplates.pod(
                    from: set[path: "spec", "template"], owner: set, name: name,
                    extraLabels: ["controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name]
                )
                pod["spec"]?["hostname"] = .string(name)
                if let service = set[path: "spec", "serviceName"] { pod["spec"]?["subdomain"] = service }
                await context.create(.pods, namespace: namespace, pod)
                created = true
                if ordered { break }
            }
            for pod in pods where !pod.isTerminating {
                let ordinal = Int(pod.name.split(separator: "-").last ?? "") ?? 0
                if ordinal >= desired { await context.delete(.pods, pod) }
            }
            if !created, let stale = pods.filter({ !$0.isTerminating && $0[path: "metadata", "labels", "controller-revision-hash"]?.stringValue != revision })
                .max(by: { $0.name < $1.name }), pods.allSatisfy({ $0.isPodReady || $0.uid == stale.uid })
            {
                await context.delete(.pods, stale)
            }
            let active = pods.filter(\.isActivePod)
            let updated = active.filter { $0[path: "metadata", "labels", "controller-revision-hash"]?.stringValue == revision }.count
            let ready = active.filter(\.isPodReady).count
            var status: [String: JSONValue] = [
                "observedGeneration": set[path: "metadata", "generation"] ?? 1, "replicas": .integer(Int64(active.count)),
                "readyReplicas": .integer(Int64(ready)), "availableReplicas": .integer(Int64(ready)), "currentReplicas": .integer(Int64(updated)),
                "updatedReplicas": .integer(Int64(updated)), "currentRevision": .string(revision), "updateRevision": .string(revision),
                "collisionCount": 0,
            ]
            if ready == 0 { status["readyReplicas"] = nil }
            await context.updateStatus(.statefulSets, set, status: .object(status))
        }
    }
}

/// Job → pods until `completions` succeeded, or `backoffLimit` failed; deletes a finished Job
/// after `ttlSecondsAfterFinished`.
struct JobController: Controller {
    func reconcile(_ context: ControllerContext) async {
        for job in await context.store.all(.jobs) where !job.isTerminating {
            let pods = await context.store.all(.pods, namespace: job.namespace).filter { $0.controllerUID == job.uid }
            let succeeded = pods.filter { $0.podPhase == "Succeeded" }.count
            let failed = pods.filter { $0.podPhase == "Failed" }.count
            let active = pods.filter(\.isActivePod)
            let completions = job[path: "spec", "completions"]?.intValue ?? 1
            let parallelism = job[path: "spec", "parallelism"]?.intValue ?? 1
            let backoffLimit = job[path: "spec", "backoffLimit"]?.intValue ?? 6
            var status = job["status"]?.objectValue ?? [:]
            let previous = status["conditions"]?.arrayValue ?? []
            let finished = previous.contains { ["Complete", "Failed"].contains($0["type"]?.stringValue ?? "") && $0["status"]?.stringValue == "True" }

            if finished {
                if let ttl = job[path: "spec", "ttlSecondsAfterFinished"]?.intValue,
                    let done = status["completionTime"]?.stringValue ?? previous.last?["lastTransitionTime"]?.stringValue,
                    let date = Timestamp.parse(done), Date().timeIntervalSince(date) >= Double(ttl)
                {
                    await context.delete(.jobs, job)
                }
                continue
            }
            if status["startTime"] == nil { status["startTime"] = .string(Timestamp.format(Date())) }
            if succeeded >= completions {
                status["completionTime"] = .string(Timestamp.format(Date()))
                status["conditions"] = [PodTemplates.condition("Complete", true, reason: "Completed", message: "", previous: previous)]
            } else if failed > backoffLimit {
                for pod in active { await context.delete(.pods, pod) }
                status["conditions"] = [PodTemplates.condition("Failed", true, reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit", previous: previous)]
            } else {
                let wanted = min(parallelism, completions - succeeded)
                if active.count < wanted {
                    for _ in active.count..<wanted {
                        var extra: [String: String] = ["job-name": job.name]
                        if let uid = job[path: "spec", "selector", "matchLabels", "controller-uid"]?.stringValue { extra["controller-uid"] = uid }
                        let pod = PodTemplates.pod(from: job[path: "spec", "template"], owner: job, generateName: "\(job.name)-", extraLabels: extra)
                        await context.create(.pods, namespace: job.namespace, pod)
                    }
                }
            }
            status["active"] = active.isEmpty ? nil : .integer(Int64(active.count))
            status["succeeded"] = succeeded == 0 ? nil : .integer(Int64(succeeded))
            status["failed"] = failed == 0 ? nil : .integer(Int64(failed))
            await context.updateStatus(.jobs, job, status: .object(status))
        }
    }
}
