import Yams

/// One line a person can act on for a YAML file that could not be read: where (line and column)
/// and what, instead of the decoder's debug text.
public enum YAMLProblem {
    public static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError { return describe(yaml) }
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        switch decoding {
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? YamlError { return describe(underlying) }
            return at(context.codingPath) + context.debugDescription
        case .typeMismatch(let type, let context):
            return at(context.codingPath) + "expected \(expected(type))"
        case .valueNotFound(let type, let context):
            return at(context.codingPath) + "expected \(expected(type)), found nothing"
        case .keyNotFound(let key, let context):
            return at(context.codingPath) + "the required field \"\(key.stringValue)\" is missing"
        @unknown default:
            return String(describing: error)
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)\(offset.map { " at byte \($0)" } ?? "")"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "line \(context.mark.line), column \(context.mark.column): the key \(duplicates.joined(separator: ", ")) appears twice"
        case .dataCouldNotBeDecoded:
            return "it is not UTF-8 text"
        default:
            return String(describing: error)
        }
    }

    private static func at(_ path: [any CodingKey]) -> String {
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        guard !names.isEmpty else { return "" }
        return "field " + names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + ": "
    }

    private static func expected(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name.hasPrefix("Sequence") || name.contains("[") { return "a list" }
        if name.hasPrefix("Dictionary") || name.contains("Mapping") { return "a mapping" }
        if name == "String" { return "text" }
        if name.hasPrefix("Int") || name == "Double" { return "a number" }
        if name == "Bool" { return "true or false" }
        return "a \(name)"
    }
}
