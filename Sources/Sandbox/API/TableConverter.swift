import Foundation
import KubernetesClient

/// Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for, with the
/// columns a real server prints for each kind (priority 1 columns appear with `-o wide`).
enum TableConverter {
    private struct Column {
        var name: String
        var type = "string"
        var format = ""
        var priority = 0
        var cell: (JSONValue) -> JSONValue
    }

    static func wantsTable(accept: String?) -> Bool {
        accept?.contains("as=Table") ?? false
    }

    static func table(for type: ResourceType, objects: [JSONValue], resourceVersion: String?, includeObject: String? = nil) -> JSONValue {
        let columns = self.columns(for: type)
        let definitions: [JSONValue] = columns.map { column in
            ["name": .string(column.name), "type": .string(column.type), "format": .string(column.format), "description": .string(column.name), "priority": .integer(Int64(column.priority))]
        }
        let rows: [JSONValue] = objects.map { object in
            let embedded: JSONValue
            if includeObject == "Object" {
                embedded = object
            } else {
                embedded = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"] ?? .object([:])]
            }
            return ["cells": .array(columns.map { $0.cell(object) }), "object": embedded]
        }
        var metadata: [String: JSONValue] = [:]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata), "columnDefinitions": .array(definitions), "rows": .array(rows)]
    }

    private static func columns(for type: ResourceType) -> [Column] {
        let name = Column(name: "Name", format: "name") { $0[path: "metadata", "name"] ?? "" }
        let ageColumn = Column(name: "Age") { .string(Self.age(of: $0)) }
        switch type {
        case .pods:
            return [
                name,
                Column(name: "Ready") { pod in
                    let statuses = pod[path: "status", "containerStatuses"]?.arrayValue ?? []
                    let total = pod[path: "spec", "containers"]?.arrayValue?.count ?? 0
                    return .string("\(statuses.filter { $0["ready"]?.boolValue == true }.count)/\(total)")
                },
                Column(name: "Status") { .string(podStatus($0)) },
                Column(name: "Restarts", type: "integer") { pod in
                    .integer(Int64((pod[path: "status", "containerStatuses"]?.arrayValue ?? []).reduce(0) { $0 + ($1["restartCount"]?.intValue ?? 0) }))
                },
                ageColumn,
                Column(name: "IP", priority: 1) { $0[path: "status", "podIP"] ?? "<none>" },
                Column(name: "Node", priority: 1) { $0[path: "spec", "nodeName"] ?? "<none>" },
                Column(name: "Nominated Node", priority: 1) { _ in "<none>" },
                Column(name: "Readiness Gates", priority: 1) { _ in "<none>" },
            ]
        case .deployments:
            return [
                name,
                Column(name: "Ready") { .string("\($0[path: "status", "readyReplicas"]?.intValue ?? 0)/\($0[path: "spec", "replicas"]?.intValue ?? 0)") },
                Column(name: "Up-to-date", type: "integer") { .integer(Int64($0[path: "status", "updatedReplicas"]?.intValue ?? 0)) },
                Column(name: "Available", type: "integer") { .integer(Int64($0[path: "status", "availableReplicas"]?.intValue ?? 0)) },
                ageColumn,
                Column(name: "Containers", priority: 1) { .string(containerField($0, "name")) },
                Column(name: "Images", priority: 1) { .string(containerField($0, "image")) },
                Column(name: "Selector", priority: 1) { .string(LabelSelector(spec: $0[path: "spec", "selector"]).description) },
            ]
        case .replicaSets, .statefulSets:
            return [
                name,
                Column(name: "Desired", type: "integer") { .integer(Int64($0[path: "spec", "replicas"]?.intValue ?? 0)) },
                Column(name: "Current", type: "integer") { .integer(Int64($0[path: "status", "replicas"]?.intValue ?? 0)) },
                Column(name: "Ready", type: "integer") { .integer(Int64($0[path: "status", "readyReplicas"]?.intValue ?? 0)) },
                ageColumn,
                Column(name: "Containers", priority: 1) { .string(containerField($0, "name")) },
                Column(name: "Images", priority: 1) { .string(containerField($0, "image")) },
            ]
        case .services:
            return [
                name,
                Column(name: "Type") { $0[path: "spec", "type"] ?? "ClusterIP" },
                Column(name: "Cluster-IP") { $0[path: "spec", "clusterIP"] ?? "<none>" },
                Column(name: "External-IP") { _ in "<none>" },
                Column(name: "Port(s)") { service in
                    let ports = service[path: "spec", "ports"]?.arrayValue ?? []
                    let text = ports.map { "\($0["port"]?.intValue ?? 0)/\($0["protocol"]?.stringValue ?? "TCP")" }.joined(separator: ",")
                    return .string(text.isEmpty ? "<none>" : text)
                },
                ageColumn,
                Column(name: "Selector", priority: 1) { service in
                    let selector = (service[path: "spec", "selector"]?.objectValue ?? [:]).sorted { $0.key < $1.key }
                    return .string(selector.isEmpty ? "<none>" : selector.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ","))
                },
            ]
        case .endpoints:
            return [
                name,
                Column(name: "Endpoints") { endpoints in
                    var addresses: [String] = []
                    for subset in endpoints["subsets"]?.arrayValue ?? [] {
                        for address in subset["addresses"]?.arrayValue ?? [] {
                            for port in subset["ports"]?.arrayValue ?? [] {
                                addresses.append("\(address["ip"]?.stringValue ?? ""):\(port["port"]?.intValue ?? 0)")
                            }
                        }
                    }
                    return .string(addresses.isEmpty ? "<none>" : addresses.joined(separator: ","))
                },
                ageColumn,
            ]
        case .namespaces:
            return [name, Column(name: "Status") { $0[path: "status", "phase"] ?? "Active" }, ageColumn]
        case .nodes:
            return [
                name,
                Column(name: "Status") { node in
                    let ready = (node[path: "status", "conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
                    return .string(ready?["status"]?.stringValue == "True" ? "Ready" : "NotReady")
                },
                Column(name: "Roles") { _ in "<none>" },
                ageColumn,
                Column(name: "Version") { $0[path: "status", "nodeInfo", "kubeletVersion"] ?? "" },
                Column(name: "Internal-IP", priority: 1) { node in
                    (node[path: "status", "addresses"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "InternalIP" }?["address"] ?? "<none>"
                },
            ]
        case .configMaps:
            return [name, Column(name: "Data", type: "integer") { .integer(Int64(($0["data"]?.objectValue?.count ?? 0) + ($0["binaryData"]?.objectValue?.count ?? 0))) }, ageColumn]
        case .secrets:
            return [
                name, Column(name: "Type") { $0["type"] ?? "Opaque" },
                Column(name: "Data", type: "integer") { .integer(Int64($0["data"]?.objectValue?.count ?? 0)) }, ageColumn,
            ]
        case .jobs:
            return [
                name,
                Column(name: "Completions") { .string("\($0[path: "status", "succeeded"]?.intValue ?? 0)/\($0[path: "spec", "completions"]?.intValue ?? 1)") },
                ageColumn,
            ]
        case .events:
            return [
                Column(name: "Last Seen") { .string(Self.age(of: $0, field: "lastTimestamp")) },
                Column(name: "Type") { $0["type"] ?? "" },
                Column(name: "Reason") { $0["reason"] ?? "" },
                Column(name: "Object") { .string("\(($0[path: "involvedObject", "kind"]?.stringValue ?? "").lowercased())/\($0[path: "involvedObject", "name"]?.stringValue ?? "")") },
                Column(name: "Message") { $0["message"] ?? "" },
            ]
        default:
            return [name, ageColumn]
        }
    }

    /// The STATUS column of `kubectl get pods`: a waiting or terminated reason when there is one.
    static func podStatus(_ pod: JSONValue) -> String {
        if pod[path: "metadata", "deletionTimestamp"] != nil { return "Terminating" }
        var status = pod[path: "status", "reason"]?.stringValue ?? pod[path: "status", "phase"]?.stringValue ?? "Pending"
        for container in pod[path: "status", "containerStatuses"]?.arrayValue ?? [] {
            if let reason = container[path: "state", "waiting", "reason"]?.stringValue, !reason.isEmpty {
                status = reason
            } else if let reason = container[path: "state", "terminated", "reason"]?.stringValue, !reason.isEmpty, status == "Running" {
                status = reason
            }
        }
        return status
    }

    private static func containerField(_ workload: JSONValue, _ field: String) -> String {
        (workload[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0[field]?.stringValue }.joined(separator: ",")
    }

    /// A duration as kubectl prints ages: `45s`, `3m12s`, `5h`, `2d`.
    static func age(of object: JSONValue, field: String = "creationTimestamp") -> String {
        let text = object[path: "metadata", field]?.stringValue ?? object[field]?.stringValue
        guard let text, let date = Timestamp.parse(text) else { return "<unknown>" }
        let seconds = max(0, Int(Date().timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<600: return "\(seconds / 60)m\(seconds % 60 == 0 ? "" : "\(seconds % 60)s")"
        case ..<10_800: return "\(seconds / 60)m"
        case ..<172_800: return "\(seconds / 3600)h"
        default: return "\(seconds / 86_400)d"
        }
    }
}

extension LabelSelector: CustomStringConvertible {
    var description: String {
        requirements.map { requirement in
            switch requirement {
            case .equals(let key, let value): return "\(key)=\(value)"
            case .notEquals(let key, let value): return "\(key)!=\(value)"
            case .in(let key, let values): return "\(key) in (\(values.sorted().joined(separator: ",")))"
            case .notIn(let key, let values): return "\(key) notin (\(values.sorted().joined(separator: ",")))"
            case .exists(let key): return key
            case .doesNotExist(let key): return "!\(key)"
            }
        }.joined(separator: ",")
    }
}
