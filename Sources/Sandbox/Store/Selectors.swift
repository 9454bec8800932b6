import KubernetesClient

/// A parsed label selector (`app=web,tier!=db,env in (a,b),!legacy`).
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]

    static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// Parses the query-string form; throws a 400 like the real server for bad syntax.
    init(parsing text: String) throws(APIError) {
        var requirements: [Requirement] = []
        for term in Self.splitTerms(text) {
            let term = term.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            if let match = term.range(of: " notin ") ?? term.range(of: " in ") {
                let key = term[..<match.lowerBound].trimmingCharacters(in: .whitespaces)
                let list = term[match.upperBound...].trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else { throw .badRequest("unable to parse requirement: found '\(list)', expected: '('") }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                requirements.append(term[match].contains("notin") ? .notIn(key, values) : .in(key, values))
            } else if let range = term.range(of: "!=") {
                requirements.append(.notEquals(term[..<range.lowerBound].trimmingCharacters(in: .whitespaces), term[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(.equals(term[..<range.lowerBound].trimmingCharacters(in: .whitespaces), term[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if term.hasPrefix("!") {
                requirements.append(.doesNotExist(String(term.dropFirst()).trimmingCharacters(in: .whitespaces)))
            } else {
                guard term.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else {
                    throw .badRequest("unable to parse requirement: invalid label key \"\(term)\"")
                }
                requirements.append(.exists(term))
            }
        }
        self.requirements = requirements
    }

    /// The selector of a `matchLabels`/`matchExpressions` object.
    init(spec: JSONValue?) {
        var requirements: [Requirement] = []
        for (key, value) in (spec?["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            requirements.append(.equals(key, value.stringValue ?? ""))
        }
        for expression in spec?["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = Set(expression["values"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            switch expression["operator"]?.stringValue {
            case "In": requirements.append(.in(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.doesNotExist(key))
            default: continue
            }
        }
        self.requirements = requirements
    }

    /// A selector that matches exactly these labels (a service's `spec.selector`).
    init(labels: [String: String]) {
        requirements = labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .in(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): return labels[key] != nil
            case .doesNotExist(let key): return labels[key] == nil
            }
        }
    }

    func matches(object: JSONValue) -> Bool {
        matches(Self.labels(of: object))
    }

    static func labels(of object: JSONValue) -> [String: String] {
        (object[path: "metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// Splits on commas that are not inside parentheses.
    private static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: terms.append(current); current = ""
            default: current.append(character)
            }
        }
        terms.append(current)
        return terms
    }
}

/// A parsed field selector (`metadata.name=web,status.phase!=Running`).
struct FieldSelector: Sendable, Equatable {
    var requirements: [(field: String, value: String, equal: Bool)]

    static let everything = FieldSelector(requirements: [])

    init(requirements: [(field: String, value: String, equal: Bool)]) {
        self.requirements = requirements
    }

    static func == (lhs: FieldSelector, rhs: FieldSelector) -> Bool {
        lhs.requirements.map { "\($0.field)\($0.equal)\($0.value)" } == rhs.requirements.map { "\($0.field)\($0.equal)\($0.value)" }
    }

    init(parsing text: String, for type: ResourceType) throws(APIError) {
        var requirements: [(String, String, Bool)] = []
        for term in text.split(separator: ",").map(String.init) where !term.isEmpty {
            let equal: Bool
            let parts: [String]
            if let range = term.range(of: "!=") {
                equal = false
                parts = [String(term[..<range.lowerBound]), String(term[range.upperBound...])]
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                equal = true
                parts = [String(term[..<range.lowerBound]), String(term[range.upperBound...])]
            } else {
                throw .badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            guard Self.supportedFields(for: type).contains(parts[0]) else {
                throw .badRequest("\"\(parts[0])\" is not a known field selector: only \"\(Self.supportedFields(for: type).sorted().joined(separator: "\", \""))\"")
            }
            requirements.append((parts[0], parts[1], equal))
        }
        self.requirements = requirements
    }

    func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let value = Self.value(of: requirement.field, in: object) ?? ""
            return (value == requirement.value) == requirement.equal
        }
    }

    static func supportedFields(for type: ResourceType) -> Set<String> {
        var fields: Set<String> = ["metadata.name"]
        if type.namespaced { fields.insert("metadata.namespace") }
        switch type {
        case .pods: fields.formUnion(["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"])
        case .events: fields.formUnion(["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "source", "type"])
        case .secrets: fields.insert("type")
        case .namespaces: fields.insert("status.phase")
        case .nodes: fields.insert("spec.unschedulable")
        case .replicaSets: fields.insert("status.replicas")
        case .jobs: fields.insert("status.successful")
        default: break
        }
        return fields
    }

    static func value(of field: String, in object: JSONValue) -> String? {
        var current: JSONValue? = object
        for key in field.split(separator: ".") { current = current?[String(key)] }
        switch current {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: return nil
        }
    }
}
