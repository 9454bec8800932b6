import Foundation
import KubernetesClient
import Logging

/// What every controller can use: the store to read, the API to create and delete with
/// admission, and the cluster facts it needs.
struct ControllerContext: Sendable {
    let store: ObjectStore
    let api: KubernetesAPI
    let logger: Logger

    /// Replaces an object's status if it changed; conflicts are left for the next pass.
    func updateStatus(_ type: ResourceType, _ object: JSONValue, status: JSONValue) async {
        guard object["status"] != status else { return }
        var updated = object
        updated["status"] = status
        _ = try? await store.update(type, updated, tracksGeneration: ServedResources.find(type)?.tracksGeneration ?? false)
    }

    func update(_ type: ResourceType, _ object: JSONValue) async {
        _ = try? await store.update(type, object, tracksGeneration: ServedResources.find(type)?.tracksGeneration ?? false)
    }

    /// Replaces an object after the API's validation, as a controller's write through the API is.
    func updateValidated(_ type: ResourceType, _ object: JSONValue) async {
        do {
            try Admission.validate(type, object)
        } catch {
            logger.debug("update refused", metadata: ["type": "\(type)", "error": "\(error.status.message ?? "")"])
            return
        }
        await update(type, object)
    }

    func create(_ type: ResourceType, namespace: String?, _ object: JSONValue) async {
        do {
            _ = try await api.createObject(type, namespace: namespace, object)
        } catch {
            logger.debug("create failed", metadata: ["type": "\(type)", "error": "\(error.status.message ?? "")"])
        }
    }

    func delete(_ type: ResourceType, _ object: JSONValue, propagation: String = "Background") async {
        try? await api.deleteObject(
            type, namespace: object[path: "metadata", "namespace"]?.stringValue, name: object[path: "metadata", "name"]?.stringValue ?? "",
            propagation: propagation
        )
    }
}

/// One reconciler: reads the whole state and moves it one step towards what is wanted.
protocol Controller: Sendable {
    func reconcile(_ context: ControllerContext) async
}

/// Runs the controllers, level-triggered: after every change, and once a second for what
/// depends on time (back-offs, TTLs). Each pass reads everything, which is cheap at sandbox scale.
struct ControllerManager: Sendable {
    let context: ControllerContext
    let addresses: ClusterIPAllocator
    let controllers: [any Controller]

    init(context: ControllerContext, addresses: ClusterIPAllocator, caPEM: String, podCIDRs: [String]) {
        self.context = context
        self.addresses = addresses
        controllers = [
            NamespaceController(caPEM: caPEM),
            NodeIPAMController(podCIDRs: podCIDRs),
            Scheduler(),
            DeploymentController(),
            ReplicaSetController(),
            StatefulSetController(),
            JobController(),
            EndpointsController(),
            EndpointSliceController(),
            GarbageCollector(),
        ]
    }

    func run() async {
        let changes = await context.store.changes()
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await change in changes {
                    if change.type == .services, change.kind == .deleted, let address = change.object[path: "spec", "clusterIP"]?.stringValue {
                        await addresses.release(address)
                    }
                    wake.yield()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    wake.yield()
                }
            }
            group.addTask {
                for await _ in wakeups {
                    for controller in controllers { await controller.reconcile(context) }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

// MARK: - Shared helpers

extension JSONValue {
    var name: String { self[path: "metadata", "name"]?.stringValue ?? "" }
    var namespace: String? { self[path: "metadata", "namespace"]?.stringValue }
    var uid: String { self[path: "metadata", "uid"]?.stringValue ?? "" }
    var isTerminating: Bool { self[path: "metadata", "deletionTimestamp"] != nil }

    /// The uid of the owner marked `controller: true`, if any.
    var controllerUID: String? {
        self[path: "metadata", "ownerReferences"]?.arrayValue?.first { $0["controller"]?.boolValue == true }?["uid"]?.stringValue
    }

    /// An owner reference pointing at this object, as controllers set it on what they create.
    func ownerReference(controller: Bool = true) -> JSONValue {
        [
            "apiVersion": self["apiVersion"] ?? "v1", "kind": self["kind"] ?? "", "name": .string(name), "uid": .string(uid),
            "controller": .bool(controller), "blockOwnerDeletion": true,
        ]
    }

    var isPodReady: Bool {
        (self[path: "status", "conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
    }

    var podPhase: String { self[path: "status", "phase"]?.stringValue ?? "Pending" }

    /// Pods that count towards a workload: not finished, not being deleted.
    var isActivePod: Bool { !isTerminating && podPhase != "Succeeded" && podPhase != "Failed" }
}

enum PodTemplates {
    /// A pod made from a workload's template, owned by it.
    static func pod(from template: JSONValue?, owner: JSONValue, name: String? = nil, generateName: String? = nil, extraLabels: [String: String] = [:]) -> JSONValue {
        var metadata = template?["metadata"]?.objectValue ?? [:]
        metadata["creationTimestamp"] = nil
        var labels = metadata["labels"]?.objectValue ?? [:]
        for (key, value) in extraLabels { labels[key] = .string(value) }
        metadata["labels"] = .object(labels)
        if let name { metadata["name"] = .string(name) }
        if let generateName { metadata["generateName"] = .string(generateName) }
        metadata["namespace"] = owner[path: "metadata", "namespace"]
        metadata["ownerReferences"] = [owner.ownerReference()]
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": template?["spec"] ?? .object([:])]
    }

    /// A stable short hash of a template, as `pod-template-hash` and `controller-revision-hash` use.
    static func hash(_ template: JSONValue?) -> String {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in (template ?? .null).jsonString.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var text = ""
        for _ in 0..<10 {
            text.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return text
    }

    static func condition(_ type: String, _ status: Bool, reason: String, message: String, previous: [JSONValue]) -> JSONValue {
        let now = Timestamp.format(Date())
        let old = previous.first { $0["type"]?.stringValue == type }
        let changed = old?["status"]?.stringValue != (status ? "True" : "False")
        return [
            "type": .string(type), "status": .string(status ? "True" : "False"), "reason": .string(reason), "message": .string(message),
            "lastUpdateTime": changed ? .string(now) : (old?["lastUpdateTime"] ?? .string(now)),
            "lastTransitionTime": changed ? .string(now) : (old?["lastTransitionTime"] ?? .string(now)),
        ]
    }
}
