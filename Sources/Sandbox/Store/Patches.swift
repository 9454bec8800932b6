import KubernetesClient

/// The three patch formats of the Kubernetes API, applied to a JSON object.
enum Patches {
    enum Failure: Error, Equatable {
        /// A `test` operation did not match.
        case testFailed
        /// The patch could not be applied (bad pointer, wrong shape).
        case invalid(String)
    }

    // MARK: RFC 6902 JSON patch

    static func applyJSONPatch(_ operations: JSONValue, to document: JSONValue) throws(Failure) -> JSONValue {
        guard let operations = operations.arrayValue else { throw .invalid("a JSON patch must be an array of operations") }
        var document = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw .invalid("every operation needs \"op\" and \"path\"")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add":
                document = try add(operation["value"] ?? .null, at: pointer, in: document)
            case "remove":
                document = try remove(at: pointer, in: document).document
            case "replace":
                guard try value(at: pointer, in: document) != nil else { throw .invalid("replace operation does not apply: doc is missing key: \(path)") }
                document = try remove(at: pointer, in: document).document
                document = try add(operation["value"] ?? .null, at: pointer, in: document)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw .invalid("\(op) needs \"from\"") }
                let fromPointer = try parsePointer(from)
                guard let moved = try value(at: fromPointer, in: document) else { throw .invalid("\(op) operation does not apply: missing \(from)") }
                if op == "move" { document = try remove(at: fromPointer, in: document).document }
                document = try add(moved, at: pointer, in: document)
            case "test":
                guard try value(at: pointer, in: document) == (operation["value"] ?? .null) else { throw .testFailed }
            default:
                throw .invalid("unknown JSON patch operation \"\(op)\"")
            }
        }
        return document
    }

    private static func parsePointer(_ path: String) throws(Failure) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw .invalid("a JSON pointer must start with /: \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func value(at pointer: [String], in document: JSONValue) throws(Failure) -> JSONValue? {
        var current = document
        for token in pointer {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at pointer: [String], in document: JSONValue) throws(Failure) -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var object):
            if rest.isEmpty {
                object[token] = value
            } else {
                guard let child = object[token] else { throw .invalid("add operation does not apply: doc is missing path: /\(pointer.joined(separator: "/"))") }
                object[token] = try add(value, at: rest, in: child)
            }
            return .object(object)
        case .array(var array):
            if rest.isEmpty {
                if token == "-" {
                    array.append(value)
                } else {
                    guard let index = Int(token), index >= 0, index <= array.count else { throw .invalid("add operation does not apply: index \(token) out of range") }
                    array.insert(value, at: index)
                }
            } else {
                guard let index = Int(token), array.indices.contains(index) else { throw .invalid("index \(token) out of range") }
                array[index] = try add(value, at: rest, in: array[index])
            }
            return .array(array)
        default:
            throw .invalid("add operation does not apply: /\(pointer.joined(separator: "/")) is not in an object or array")
        }
    }

    private static func remove(at pointer: [String], in document: JSONValue) throws(Failure) -> (document: JSONValue, removed: JSONValue) {
        guard let token = pointer.first else { throw .invalid("cannot remove the whole document") }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var object):
            guard let child = object[token] else { throw .invalid("remove operation does not apply: doc is missing path: /\(pointer.joined(separator: "/"))") }
            if rest.isEmpty {
                object[token] = nil
                return (.object(object), child)
            }
            let result = try remove(at: rest, in: child)
            object[token] = result.document
            return (.object(object), result.removed)
        case .array(var array):
            guard let index = Int(token), array.indices.contains(index) else { throw .invalid("remove operation does not apply: index \(token) out of range") }
            if rest.isEmpty {
                let removed = array.remove(at: index)
                return (.array(array), removed)
            }
            let result = try remove(at: rest, in: array[index])
            array[index] = result.document
            return (.array(array), result.removed)
        default:
            throw .invalid("remove operation does not apply")
        }
    }

    // MARK: RFC 7386 merge patch

    static func applyMergePatch(_ patch: JSONValue, to document: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result = document.objectValue ?? [:]
        for (key, value) in patchObject {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = applyMergePatch(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    // MARK: Strategic merge patch

    /// Lists whose items are merged by a key instead of replaced, by field name.
    private static func mergeKey(forList field: String, items: [JSONValue]) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets", "readinessGates":
            return "name"
        case "volumeMounts":
            return "mountPath"
        case "volumeDevices":
            return "devicePath"
        case "ports":
            if items.contains(where: { $0["containerPort"] != nil }) { return "containerPort" }
            if items.contains(where: { $0["port"] != nil }) { return "port" }
            return nil
        case "conditions":
            return "type"
        case "ownerReferences":
            return "uid"
        case "hostAliases":
            return "ip"
        case "tolerations", "finalizers", "args", "command":
            return nil
        default:
            return nil
        }
    }

    /// Applies a strategic merge patch: maps merge like a merge patch, known lists merge by key,
    /// and the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList` directives are honoured.
    static func applyStrategicMergePatch(_ patch: JSONValue, to document: JSONValue) throws(Failure) -> JSONValue {
        guard case .object(var patchObject) = patch else { return patch }
        if let directive = patchObject["$patch"]?.stringValue {
            patchObject["$patch"] = nil
            switch directive {
            case "replace": return .object(patchObject)
            case "delete": return .null
            default: break
            }
        }
        var result = document.objectValue ?? [:]
        if let retain = patchObject.removeValue(forKey: "$retainKeys")?.arrayValue?.compactMap(\.stringValue) {
            let keep = Set(retain)
            result = result.filter { keep.contains($0.key) }
        }
        for (key, value) in patchObject {
            if key.hasPrefix("$setElementOrder/") { continue }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let removed = Set(value.arrayValue ?? [])
                if let list = result[field]?.arrayValue { result[field] = .array(list.filter { !removed.contains($0) }) }
                continue
            }
            if value == .null {
                result[key] = nil
                continue
            }
            switch (value, result[key]) {
            case (.object, let existing):
                let merged = try applyStrategicMergePatch(value, to: existing ?? .object([:]))
                result[key] = merged == .null ? nil : merged
            case (.array(let patchItems), .array(let existingItems)?):
                if let mergeKey = mergeKey(forList: key, items: patchItems + existingItems) {
                    let order = patchObject["$setElementOrder/\(key)"]?.arrayValue
                    result[key] = .array(try mergeList(existingItems, patchItems, by: mergeKey, order: order))
                } else {
                    result[key] = .array(patchItems.filter { $0["$patch"] == nil })
                }
            default:
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func mergeList(_ existing: [JSONValue], _ patch: [JSONValue], by key: String, order: [JSONValue]?) throws(Failure) -> [JSONValue] {
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
            return patch.filter { $0["$patch"] == nil }
        }
        var merged = existing
        for item in patch {
            let identity = item[key]
            let index = merged.firstIndex { $0[key] == identity }
            if item["$patch"]?.stringValue == "delete" {
                if let index { merged.remove(at: index) }
                continue
            }
            if let index {
                merged[index] = try applyStrategicMergePatch(item, to: merged[index])
            } else {
                merged.append(try applyStrategicMergePatch(item, to: .object([:])))
            }
        }
        guard let order else { return merged }
        let positions = Dictionary(order.enumerated().map { ($0.element[key] ?? .null, $0.offset) }, uniquingKeysWith: { first, _ in first })
        return merged.enumerated().sorted { lhs, rhs in
            let left = positions[lhs.element[key] ?? .null] ?? (order.count + lhs.offset)
            let right = positions[rhs.element[key] ?? .null] ?? (order.count + rhs.offset)
            return left < right
        }.map(\.element)
    }
}
