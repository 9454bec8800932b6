/// What the fields of protocol buffer messages mean: their numbers, JSON names and types, and the
/// two facts of the Go types behind them that decide how a value reads in JSON (a pointer, and
/// `omitempty`).
///
/// Read from a compact text, one message per `message NAME` line and one field per line after it:
/// `NUMBER JSONNAME TYPE FLAGS`, TYPE a scalar, a message's full name or `map:KEY:VALUE`, FLAGS
/// `-` or a comma-separated list of `repeated`, `pointer`, `omitempty`, `inline`.
struct ProtobufSchema: Sendable {
    enum Scalar: String, Sendable {
        case string, bytes, int32, int64, bool, double, float
    }

    indirect enum FieldType: Sendable, Equatable {
        case scalar(Scalar)
        case message(String)
        case map(key: Scalar, value: FieldType)
    }

    struct Field: Sendable {
        var number: Int
        var jsonName: String
        var type: FieldType
        var repeated = false
        /// The Go field is a pointer: present only when set, so a zero value is meant.
        var pointer = false
        /// The Go field's JSON tag has `omitempty`: a zero value of a non-pointer is left out.
        var omitEmpty = false
        /// The Go field is embedded: its fields are the parent's in JSON.
        var inline = false
    }

    struct Message: Sendable {
        var name: String
        var fields: [Int: Field] = [:]
    }

    struct ParseFailure: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "protobuf schema line \(line): \(reason)" }
    }

    let messages: [String: Message]

    init(parsing text: String) throws(ParseFailure) {
        var messages: [String: Message] = [:]
        var current: Message?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty else { continue }
            if words[0] == "message" {
                guard words.count == 2 else { throw ParseFailure(line: index + 1, reason: "a message line has one name") }
                if let finished = current { messages[finished.name] = finished }
                current = Message(name: words[1])
                continue
            }
            guard current != nil else { throw ParseFailure(line: index + 1, reason: "a field before any message") }
            guard words.count == 4, let number = Int(words[0]), number > 0 else {
                throw ParseFailure(line: index + 1, reason: "a field line is NUMBER JSONNAME TYPE FLAGS")
            }
            guard let type = Self.fieldType(words[2]) else { throw ParseFailure(line: index + 1, reason: "unknown type \(words[2])") }
            var field = Field(number: number, jsonName: words[1], type: type)
            for flag in words[3].split(separator: ",") where flag != "-" {
                switch flag {
                case "repeated": field.repeated = true
                case "pointer": field.pointer = true
                case "omitempty": field.omitEmpty = true
                case "inline": field.inline = true
                default: throw ParseFailure(line: index + 1, reason: "unknown flag \(flag)")
                }
            }
            current?.fields[number] = field
        }
        if let finished = current { messages[finished.name] = finished }
        self.messages = messages
    }

    /// The message types that fields name but the schema does not define.
    var undefinedMessages: Set<String> {
        var missing: Set<String> = []
        func check(_ type: FieldType) {
            switch type {
            case .scalar: break
            case .message(let name): if messages[name] == nil { missing.insert(name) }
            case .map(_, let value): check(value)
            }
        }
        for message in messages.values { for field in message.fields.values { check(field.type) } }
        return missing
    }

    private static func fieldType(_ word: String) -> FieldType? {
        if word.hasPrefix("map:") {
            let parts = word.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let key = Scalar(rawValue: parts[1]), let value = fieldType(parts[2]) else { return nil }
            return .map(key: key, value: value)
        }
        if let scalar = Scalar(rawValue: word) { return .scalar(scalar) }
        return word.contains(".") ? .message(word) : nil
    }
}
