import Foundation
import Yams

/// Kubernetes objects read from YAML or JSON manifest files, as `kubectl apply -f` reads them.
public enum Manifest {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String, detail: String)
        case notAnObject(path: String, document: Int)
        case unknownKind(path: String, apiVersion: String, kind: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let detail): return "cannot read manifest \(path): \(detail)"
            case .notAnObject(let path, let document): return "document \(document) of \(path) is not a Kubernetes object (it needs apiVersion and kind)"
            case .unknownKind(let path, let apiVersion, let kind): return "\(path): kbridge does not know kind \(kind) of \(apiVersion)"
            }
        }
    }

    /// One object of a manifest, with where it goes in the API.
    public struct Object: Sendable {
        public var type: ResourceType
        public var body: JSONValue

        public var name: String { body[path: "metadata", "name"]?.stringValue ?? "" }
    }

    /// Every object of the `.yaml`, `.yml` and `.json` files of a file or folder, folders' files in name order.
    public static func objects(at path: String) throws(Failure) -> [Object] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .unreadable(path: path, detail: "no such file or folder") }
        guard isDirectory.boolValue else { return try objects(inFile: path) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { name in [".yaml", ".yml", ".json"].contains { name.hasSuffix($0) } }
        var all: [Object] = []
        for name in names.sorted() { all += try objects(inFile: "\(path)/\(name)") }
        return all
    }

    static func objects(inFile path: String) throws(Failure) -> [Object] {
        let documents: [JSONValue]
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            documents = try Yams.compose_all(yaml: text).map { try json($0) }
        } catch {
            throw .unreadable(path: path, detail: String(describing: error))
        }
        var objects: [Object] = []
        for (index, document) in documents.enumerated() where document != .null {
            guard let apiVersion = document["apiVersion"]?.stringValue, let kind = document["kind"]?.stringValue else {
                throw .notAnObject(path: path, document: index + 1)
            }
            if kind == "List" {
                for item in document["items"]?.arrayValue ?? [] {
                    guard let itemVersion = item["apiVersion"]?.stringValue, let itemKind = item["kind"]?.stringValue else { throw .notAnObject(path: path, document: index + 1) }
                    guard let type = ResourceType.known(apiVersion: itemVersion, kind: itemKind) else { throw .unknownKind(path: path, apiVersion: itemVersion, kind: itemKind) }
                    objects.append(Object(type: type, body: item))
                }
                continue
            }
            guard let type = ResourceType.known(apiVersion: apiVersion, kind: kind) else { throw .unknownKind(path: path, apiVersion: apiVersion, kind: kind) }
            objects.append(Object(type: type, body: document))
        }
        return objects
    }

    /// A YAML node as JSON, scalars typed by their resolved tag (`"8080"` stays a string, `8080` is a number).
    static func json(_ node: Yams.Node) throws -> JSONValue {
        switch node {
        case .scalar:
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(node.string ?? "")
            case .int: return node.int.map { .integer(Int64($0)) } ?? .string(node.string ?? "")
            case .float: return node.float.map(JSONValue.double) ?? .string(node.string ?? "")
            default: return .string(node.string ?? "")
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = try json(value) }
            return .object(object)
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .alias:
            return .null
        }
    }
}

extension ResourceType {
    /// The resource types this client knows by name.
    public static let known: [ResourceType] = [
        .namespaces, .nodes, .pods, .services, .endpoints, .endpointSlices, .configMaps, .secrets, .serviceAccounts, .events,
        .deployments, .replicaSets, .statefulSets, .ingresses, .jobs, .leases, .roles, .roleBindings,
    ]

    /// The known type of an `apiVersion` and `kind`.
    public static func known(apiVersion: String, kind: String) -> ResourceType? {
        known.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }
}
