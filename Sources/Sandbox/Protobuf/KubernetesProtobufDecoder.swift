import Foundation
import KubernetesClient

/// Reads an object sent as `application/vnd.kubernetes.protobuf` into the JSON the API server
/// would have read for it, as Go's encoding/json writes the same Go value.
///
/// kubectl sends typed creates (`kubectl create deployment`, `create secret`, `create token`, …)
/// this way. The body is the magic `k8s\0` and a `runtime.Unknown`: the object's apiVersion and
/// kind, and its bytes as the message of that kind. In JSON a zero value of a non-pointer field
/// with `omitempty` is left out, a `metav1.Time` reads as RFC 3339 or null, a Quantity as its
/// string, an IntOrString as either, bytes as base64, embedded fields as their parent's.
struct KubernetesProtobufDecoder: Sendable {
    static let mediaType = "application/vnd.kubernetes.protobuf"
    static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    enum Failure: Error, Equatable, CustomStringConvertible {
        case notAnEnvelope
        case malformed(String)
        case encoded(String)
        case unknownKind(apiVersion: String, kind: String)
        case mismatchedWireType(field: String, message: String)

        var description: String {
            switch self {
            case .notAnEnvelope: "the body does not start with the protobuf magic k8s\\0"
            case .malformed(let reason): "the protobuf body is malformed: \(reason)"
            case .encoded(let encoding): "the protobuf body's content encoding \(encoding) is not supported"
            case .unknownKind(let apiVersion, let kind): "the sandbox cannot read \(kind) (\(apiVersion)) from protobuf; send it as application/json"
            case .mismatchedWireType(let field, let message): "field \(field) of \(message) has the wrong wire type"
            }
        }
    }

    private static let metaPackage = "k8s.io.apimachinery.pkg.apis.meta.v1"

    let schema: ProtobufSchema

    /// The object's JSON, with its apiVersion and kind.
    func decodeObject(_ body: [UInt8]) throws(Failure) -> JSONValue {
        guard body.starts(with: Self.magic) else { throw .notAnEnvelope }
        var apiVersion = "", kind = "", raw: ArraySlice<UInt8> = [], encoding = ""
        try Self.forEachField(of: body.dropFirst(Self.magic.count)) { field throws(Failure) in
            switch (field.number, field.value) {
            case (1, .lengthDelimited(let typeMeta)):
                try Self.forEachField(of: typeMeta) { meta throws(Failure) in
                    switch (meta.number, meta.value) {
                    case (1, .lengthDelimited(let text)): apiVersion = String(decoding: text, as: UTF8.self)
                    case (2, .lengthDelimited(let text)): kind = String(decoding: text, as: UTF8.self)
                    default: break
                    }
                }
            case (2, .lengthDelimited(let bytes)): raw = bytes
            case (3, .lengthDelimited(let text)): encoding = String(decoding: text, as: UTF8.self)
            default: break
            }
        }
        guard encoding.isEmpty else { throw .encoded(encoding) }
        guard let message = schema.messages[Self.messageName(apiVersion: apiVersion, kind: kind)] else {
            throw .unknownKind(apiVersion: apiVersion, kind: kind)
        }
        var object = try decode(raw, as: message)
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    /// `apps/v1` `Deployment` → `k8s.io.api.apps.v1.Deployment`; a group's first label names its
    /// package (`rbac.authorization.k8s.io` → `rbac`), the core group is `core`; meta/v1's kinds
    /// (DeleteOptions) wherever they are sent.
    static func messageName(apiVersion: String, kind: String) -> String {
        if ["DeleteOptions", "Status"].contains(kind) { return "\(metaPackage).\(kind)" }
        let parts = apiVersion.split(separator: "/")
        let group = parts.count == 2 ? String(parts[0].split(separator: ".").first ?? "core") : "core"
        return "k8s.io.api.\(group).\(parts.last ?? "").\(kind)"
    }

    /// A message's fields as JSON. Repeated fields and maps gather in their own collections and
    /// join the object once at the end: appending through the object would copy each collection
    /// once per element. A field the schema does not know is skipped, as Go's generated code does.
    private func decode(_ bytes: ArraySlice<UInt8>, as message: ProtobufSchema.Message) throws(Failure) -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        var lists: [String: [JSONValue]] = [:]
        var maps: [String: [String: JSONValue]] = [:]
        try Self.forEachField(of: bytes) { wire throws(Failure) in
            guard let field = message.fields[wire.number] else { return }
            if field.inline, case .message(let name) = field.type, case .lengthDelimited(let inner) = wire.value,
               let embedded = schema.messages[name] {
                object.merge(try decode(inner, as: embedded)) { _, new in new }
                return
            }
            if case .map(let keyType, let valueType) = field.type {
                guard case .lengthDelimited(let entry) = wire.value else { throw .mismatchedWireType(field: field.jsonName, message: message.name) }
                var key: JSONValue = .string(""), value: JSONValue?
                try Self.forEachField(of: entry) { part throws(Failure) in
                    switch part.number {
                    case 1: key = try self.value(part.value, of: .scalar(keyType), field: field, in: message)
                    case 2: value = try self.value(part.value, of: valueType, field: field, in: message)
                    default: break
                    }
                }
                guard case .string(let name) = key else { throw .malformed("map \(field.jsonName) of \(message.name) has a key that is not a string") }
                maps[field.jsonName, default: [:]][name] = value ?? Self.zero(of: valueType)
                return
            }
            if field.repeated {
                if case .scalar(let scalar) = field.type, [.int32, .int64, .bool].contains(scalar), case .lengthDelimited(let packed) = wire.value {
                    lists[field.jsonName, default: []] += try Self.unpack(packed, as: scalar, field: field.jsonName, in: message.name)
                } else {
                    lists[field.jsonName, default: []].append(try value(wire.value, of: field.type, field: field, in: message))
                }
                return
            }
            let decoded = try value(wire.value, of: field.type, field: field, in: message)
            if field.omitEmpty, !field.pointer, case .scalar = field.type, Self.isZero(decoded) {
                object[field.jsonName] = nil
            } else {
                object[field.jsonName] = decoded
            }
        }
        for (name, items) in lists { object[name] = .array(items) }
        for (name, entries) in maps { object[name] = .object(entries) }
        return object
    }

    private func value(_ wire: ProtobufWireReader.Value, of type: ProtobufSchema.FieldType, field: ProtobufSchema.Field, in message: ProtobufSchema.Message) throws(Failure) -> JSONValue {
        switch (type, wire) {
        case (.scalar(.string), .lengthDelimited(let bytes)):
            return .string(String(decoding: bytes, as: UTF8.self))
        case (.scalar(.bytes), .lengthDelimited(let bytes)):
            return .string(Data(bytes).base64EncodedString())
        case (.scalar(.int32), .varint(let number)):
            return .integer(Int64(Int32(truncatingIfNeeded: number)))
        case (.scalar(.int64), .varint(let number)):
            return .integer(Int64(bitPattern: number))
        case (.scalar(.bool), .varint(let number)):
            return .bool(number != 0)
        case (.scalar(.double), .fixed64(let bits)):
            return .double(Double(bitPattern: bits))
        case (.scalar(.float), .fixed32(let bits)):
            return .double(Double(Float(bitPattern: bits)))
        case (.message(let name), .lengthDelimited(let bytes)):
            guard let inner = schema.messages[name] else { throw .malformed("\(name) is not in the schema") }
            let object = try decode(bytes, as: inner)
            return try Self.special(name, object, empty: bytes.isEmpty) ?? .object(object)
        default:
            throw .mismatchedWireType(field: field.jsonName, message: message.name)
        }
    }

    /// The types whose JSON is not their message's fields. A Time sent empty is the zero time
    /// (null); otherwise it is its seconds (a Time keeps no fraction; a MicroTime its microseconds).
    private static func special(_ name: String, _ object: [String: JSONValue], empty: Bool) throws(Failure) -> JSONValue? {
        func integer(_ key: String) -> Int64 { Int64(object[key]?.intValue ?? 0) }
        switch name {
        case "\(metaPackage).Time", "\(metaPackage).MicroTime":
            guard !empty else { return .null }
            guard name.hasSuffix("MicroTime") else {
                return .string(Timestamp.format(Date(timeIntervalSince1970: TimeInterval(integer("seconds")))))
            }
            // As Go's time.Unix: nanoseconds outside a second carry into the seconds.
            let nanos = integer("nanos")
            let carry = nanos >= 0 ? nanos / 1_000_000_000 : (nanos + 1) / 1_000_000_000 - 1
            let seconds = integer("seconds").addingReportingOverflow(carry).partialValue
            let fraction = nanos - carry * 1_000_000_000
            let whole = Timestamp.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
            let micros = String(fraction / 1000)
            return .string("\(whole.dropLast()).\(String(repeating: "0", count: 6 - micros.count))\(micros)Z")
        case "\(metaPackage).FieldsV1", "k8s.io.apimachinery.pkg.runtime.RawExtension":
            guard let text = object["Raw"]?.stringValue ?? object["raw"]?.stringValue,
                  let raw = Data(base64Encoded: text), !raw.isEmpty else { return .null }
            guard let json = try? JSONValue.parse(raw) else { throw .malformed("\(name) does not hold JSON") }
            return json
        case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
            return integer("type") == 1 ? .string(object["strVal"]?.stringValue ?? "") : .integer(integer("intVal"))
        case "k8s.io.apimachinery.pkg.api.resource.Quantity":
            return .string(object["string"]?.stringValue ?? "")
        default:
            return nil
        }
    }

    private static func unpack(_ bytes: ArraySlice<UInt8>, as scalar: ProtobufSchema.Scalar, field: String, in message: String) throws(Failure) -> [JSONValue] {
        var reader = ProtobufWireReader(bytes)
        var values: [JSONValue] = []
        while !reader.isAtEnd {
            guard let number = try? reader.readVarint() else { throw .malformed("packed field \(field) of \(message)") }
            values.append(scalar == .bool ? .bool(number != 0) : .integer(scalar == .int32 ? Int64(Int32(truncatingIfNeeded: number)) : Int64(bitPattern: number)))
        }
        return values
    }

    private static func isZero(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text.isEmpty
        case .integer(let number): number == 0
        case .double(let number): number == 0
        case .bool(let flag): !flag
        default: false
        }
    }

    private static func zero(of type: ProtobufSchema.FieldType) -> JSONValue {
        switch type {
        case .scalar(.string), .scalar(.bytes): .string("")
        case .scalar(.bool): .bool(false)
        case .scalar: .integer(0)
        case .message, .map: .object([:])
        }
    }

    private static func forEachField(of bytes: ArraySlice<UInt8>, _ body: (ProtobufWireReader.Field) throws(Failure) -> Void) throws(Failure) {
        var reader = ProtobufWireReader(bytes)
        while true {
            let next: ProtobufWireReader.Field?
            do { next = try reader.next() } catch { throw .malformed(error.description) }
            guard let field = next else { return }
            try body(field)
        }
    }
}
