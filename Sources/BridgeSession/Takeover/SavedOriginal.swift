import BridgeTunnel
import Foundation
import KubernetesClient

/// What a take-over saves before it changes anything, and where a restore finds it: the
/// workload's annotation `kbridge.dev/original`, and the session's Secret (key `original`).
struct SavedOriginal: Codable, Equatable, Sendable {
    var session: String
    /// Deployments and StatefulSets: the replica count and pod template before the session.
    var replicas: Int?
    var template: JSONValue?
    /// Deployments and StatefulSets: their own labels and annotations before the session (nil in
    /// what older versions saved), to name what others changed in them meanwhile.
    var labels: JSONValue?
    var annotations: JSONValue?
    /// Bare pods: the pod as it can be created again.
    var pod: JSONValue?
    /// The replaced container, and the agent container put in its place: what the restore
    /// expects to find there, so that it can tell someone else's change to that container.
    var container: String?
    var agent: JSONValue?

    /// Whether the take-over scaled the workload down to one replica.
    var scaled: Bool { (replicas ?? 1) > 1 }

    /// Where the replaced container is among `containers` (by name).
    func index(in containers: JSONValue?) -> Int? {
        containers?.arrayValue?.firstIndex { $0["name"]?.stringValue == container }
    }

    /// The replaced container as it was.
    var originalContainer: JSONValue? {
        (template?[path: "spec", "containers"] ?? pod?[path: "spec", "containers"])?.arrayValue?.first { $0["name"]?.stringValue == container }
    }

    static func of(_ object: JSONValue, target: TakeoverTarget, session: SessionIdentity, image: String, ports: AgentPorts) throws(SessionError) -> SavedOriginal {
        let workload = target.workload
        let spec = workload.kind == .pod ? object["spec"] : object[path: "spec", "template", "spec"]
        // By name: a pod's containers may be in another order than its template's (a sidecar injected first).
        guard let container = spec?["containers"]?.arrayValue?.first(where: { $0["name"]?.stringValue == target.container }) else {
            throw .changedMeanwhile(workload: workload.description)
        }
        let agent = AgentContainer.build(from: container, podSecurity: spec?["securityContext"], image: image, ports: ports, servicePorts: target.containerPorts, secretName: session.secretName, keeping: target.kept)
        switch workload.kind {
        case .deployment, .statefulSet:
            return SavedOriginal(
                session: session.id, replicas: object[path: "spec", "replicas"]?.intValue, template: object[path: "spec", "template"],
                labels: object[path: "metadata", "labels"] ?? [:], annotations: comparable(object[path: "metadata", "annotations"]),
                container: target.container, agent: agent
            )
        case .pod:
            return SavedOriginal(session: session.id, pod: recreatable(object), container: target.container, agent: agent)
        }
    }

    /// A workload's annotations as saved and compared: a long value (kubectl's
    /// last-applied-configuration holds a whole manifest) by its SHA-256, so that the saved
    /// original stays small beside the template within the annotations' 256 KiB.
    static func comparable(_ annotations: JSONValue?) -> JSONValue {
        var saved: [String: JSONValue] = [:]
        for (key, value) in annotations?.objectValue ?? [:] {
            let text = value.stringValue ?? ""
            saved[key] = .string(text.utf8.count > 256 ? "sha256:" + digest(of: text) : text)
        }
        return .object(saved)
    }

    var encoded: String {
        (try? JSONValue(encoding: self))?.jsonString ?? "{}"
    }

    static func decode(_ text: String) -> SavedOriginal? {
        guard let value = try? JSONValue.parse(text) else { return nil }
        return try? value.decode(as: SavedOriginal.self)
    }

    static func inAnnotation(of object: JSONValue) -> SavedOriginal? {
        annotationText(of: object).flatMap(decode)
    }

    static func inSecret(_ secret: JSONValue) -> SavedOriginal? {
        secretText(secret).flatMap(decode)
    }

    /// The original as the workload's annotation holds it, byte for byte.
    static func annotationText(of object: JSONValue) -> String? {
        object[path: "metadata", "annotations", ClusterNames.originalAnnotation]?.stringValue
    }

    /// The original as the session's Secret holds it, byte for byte.
    static func secretText(_ secret: JSONValue) -> String? {
        guard let base64 = secret[path: "data", ClusterNames.originalKey]?.stringValue, let data = Data(base64Encoded: base64) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// What the session's guard and Lease remember of the original (`OriginalCheck`): SHA-256 of its text.
    static func digest(of text: String) -> String {
        HexDigest.sha256(text)
    }

    var digest: String { Self.digest(of: encoded) }

    /// A pod as it can be created again: without status, the fields the server sets, and its node.
    static func recreatable(_ pod: JSONValue) -> JSONValue {
        var copy = pod
        copy["status"] = nil
        var metadata = pod["metadata"]?.objectValue ?? [:]
        for field in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            metadata[field] = nil
        }
        copy["metadata"] = .object(metadata)
        // Scheduled anew: the node it ran on may be gone by the time it is recreated.
        copy[path: "spec", "nodeName"] = nil
        copy[path: "spec", "ephemeralContainers"] = nil
        return copy
    }
}
