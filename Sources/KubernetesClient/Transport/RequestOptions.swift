/// Options of list and watch calls.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size; the client follows `continue` tokens until the list is complete.
    public var limit: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
    }

    /// Lists what carries every label of `labels` (a service's or a workload's selector).
    public init(matching labels: [String: String]) {
        self.init(labelSelector: Self.labelSelector(matching: labels))
    }

    /// `key=value,…` for every label of `labels`, in key order.
    public static func labelSelector(matching labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        return items
    }
}

/// The patch types the API accepts.
public enum Patch: Sendable {
    /// RFC 6902 operations; a `test` makes the whole patch fail if the object is not as expected.
    case json([JSONPatchOperation])
    /// RFC 7386 merge patch.
    case merge(JSONValue)
    /// Kubernetes' strategic merge patch (lists merged by key, such as containers by name).
    case strategicMerge(JSONValue)

    var contentType: String {
        switch self {
        case .json: return "application/json-patch+json"
        case .merge: return "application/merge-patch+json"
        case .strategicMerge: return "application/strategic-merge-patch+json"
        }
    }

    var body: JSONValue {
        switch self {
        case .json(let operations): return .array(operations.map(\.json))
        case .merge(let value), .strategicMerge(let value): return value
        }
    }
}

/// One RFC 6902 operation.
public struct JSONPatchOperation: Sendable, Hashable {
    public var op: String
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public static func test(_ path: String, _ value: JSONValue) -> Self { .init(op: "test", path: path, value: value) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self { .init(op: "replace", path: path, value: value) }
    public static func add(_ path: String, _ value: JSONValue) -> Self { .init(op: "add", path: path, value: value) }
    public static func remove(_ path: String) -> Self { .init(op: "remove", path: path) }

    public init(op: String, path: String, value: JSONValue? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["op": .string(op), "path": .string(path)]
        if let value { object["value"] = value }
        if let from { object["from"] = .string(from) }
        return .object(object)
    }

    /// Escapes a key for use inside a JSON pointer (`~` and `/`).
    public static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

/// How dependents are handled when an owner is deleted.
public enum PropagationPolicy: String, Sendable {
    case background = "Background"
    case foreground = "Foreground"
    case orphan = "Orphan"
}

/// One event of a watch stream.
public struct WatchEvent<Object: Sendable>: Sendable {
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
    }
    public var type: Kind
    public var object: Object

    public init(type: Kind, object: Object) {
        self.type = type
        self.object = object
    }
}

extension WatchEvent: Equatable where Object: Equatable {}
