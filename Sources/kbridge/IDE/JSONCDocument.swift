import Foundation
import KubernetesClient

/// A JSON-with-comments file (VS Code's `tasks.json`, `launch.json`) read with where each value
/// is, so that kbridge changes only the entries it owns and keeps every comment, entry and space
/// around them: edits splice text, they never re-serialise the file.
///
/// It reads what VS Code reads: `//` and `/* */` comments, and trailing commas.
struct JSONCDocument {
    /// A value and where it is in the text (byte offsets).
    indirect enum Node {
        case object([(key: String, value: Node)], range: Range<Int>)
        case array([Node], range: Range<Int>)
        case scalar(JSONValue, range: Range<Int>)

        var range: Range<Int> {
            switch self {
            case .object(_, let range), .array(_, let range), .scalar(_, let range): return range
            }
        }

        func member(_ key: String) -> Node? {
            guard case .object(let members, _) = self else { return nil }
            return members.last { $0.key == key }?.value
        }

        /// The value without comments (for reading and copying).
        var value: JSONValue {
            switch self {
            case .object(let members, _): return .object(Dictionary(members.map { ($0.key, $0.value.value) }) { _, last in last })
            case .array(let elements, _): return .array(elements.map(\.value))
            case .scalar(let value, _): return value
            }
        }
    }

    /// Why a file cannot be read: where (line and column) and what.
    struct Failure: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        var description: String { "line \(line), column \(column): \(message)" }
    }

    var bytes: [UInt8]
    let root: Node

    init(_ text: String) throws(Failure) {
        bytes = Array(text.utf8)
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        root = try reader.value()
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.failure("text after the end of the document") }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The line's indentation at `offset`.
    func indentation(at offset: Int) -> String {
        var start = offset
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\t") { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Replaces the text of `range`.
    mutating func replace(_ range: Range<Int>, with text: String) {
        bytes.replaceSubrange(range, with: Array(text.utf8))
    }

    /// Appends `element` (text, already indented) to the array `array`, after its last element
    /// (a trailing comma already there is kept as the separator).
    mutating func append(_ element: String, to array: Node) {
        guard case .array(let elements, let range) = array else { return }
        let closing = range.upperBound - 1
        let indent = elements.last.map { indentation(at: $0.range.lowerBound) } ?? indentation(at: range.lowerBound) + "    "
        guard let last = elements.last else {
            replace(closing..<closing, with: "\n\(indent)\(element)\n\(indentation(at: range.lowerBound))")
            return
        }
        if let comma = Reader(bytes: bytes).comma(between: last.range.upperBound, and: closing) {
            // The list ends with a comma: the new element goes after it, with one of its own.
            replace(comma + 1..<comma + 1, with: "\n\(indent)\(element),")
        } else {
            replace(last.range.upperBound..<last.range.upperBound, with: ",\n\(indent)\(element)")
        }
    }

    /// Adds the member `"key": value` to the object `object`, before its closing brace.
    mutating func add(_ key: String, _ valueText: String, to object: Node) {
        guard case .object(let members, let range) = object else { return }
        let closing = range.upperBound - 1
        let indent = members.last.map { indentation(at: $0.value.range.lowerBound) } ?? "    "
        let member = "\(JSONValue.string(key).jsonString): \(valueText)"
        guard let last = members.last else {
            replace(closing..<closing, with: "\n\(indent)\(member)\n")
            return
        }
        if let comma = Reader(bytes: bytes).comma(between: last.value.range.upperBound, and: closing) {
            replace(comma + 1..<comma + 1, with: "\n\(indent)\(member),")
        } else {
            replace(last.value.range.upperBound..<last.value.range.upperBound, with: ",\n\(indent)\(member)")
        }
    }

    /// `value` as pretty JSON, each line after the first indented by `indent`.
    static func render(_ value: JSONValue, indent: String) -> String {
        let pretty = (try? value.jsonData(pretty: true)).map { String(decoding: $0, as: UTF8.self) } ?? value.jsonString
        return pretty.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { $0.offset == 0 ? String($0.element) : indent + $0.element }.joined(separator: "\n")
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func failure(_ message: String) -> Failure {
            var line = 1
            var column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            return Failure(line: line, column: column, message: message)
        }

        /// Where a comma stands (outside comments) right after `start`, before `end`.
        func comma(between start: Int, and end: Int) -> Int? {
            var reader = Reader(bytes: bytes)
            reader.index = start
            reader.skipSpace()
            return reader.index < end && reader.bytes[reader.index] == UInt8(ascii: ",") ? reader.index : nil
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/"):
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                    index += 2
                    while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                    index = min(index + 2, bytes.count)
                default:
                    return
                }
            }
        }

        mutating func value() throws(Failure) -> Node {
            guard index < bytes.count else { throw failure("the document ends where a value was expected") }
            let start = index
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(key: String, value: Node)] = []
                while true {
                    skipSpace()
                    guard index < bytes.count else { throw failure("an object is not closed with }") }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                    guard bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
                    guard case .scalar(.string(let key), _) = try value() else { throw failure("expected a key") }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected : after the key \"\(key)\"") }
                    index += 1
                    skipSpace()
                    members.append((key, try value()))
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else { throw failure("expected , or } in an object") }
                }
                return .object(members, range: start..<index)
            case UInt8(ascii: "["):
                index += 1
                var elements: [Node] = []
                while true {
                    skipSpace()
                    guard index < bytes.count else { throw failure("a list is not closed with ]") }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                    elements.append(try value())
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "]") else { throw failure("expected , or ] in a list") }
                }
                return .array(elements, range: start..<index)
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { throw failure("a string is not closed") }
                index += 1
                return try scalar(from: start)
            default:
                while index < bytes.count, !" \t\r\n,]}/".utf8.contains(bytes[index]) { index += 1 }
                return try scalar(from: start)
            }
        }

        private mutating func scalar(from start: Int) throws(Failure) -> Node {
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = try? JSONValue.parse(Data(text.utf8)) else {
                index = start
                throw failure("\(text.prefix(40)) is not a JSON value")
            }
            return .scalar(value, range: start..<index)
        }
    }
}
