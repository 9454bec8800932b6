/// Reads protocol buffers' wire format: a sequence of fields, each a number and a value of one
/// of four wire types (varint, 64-bit, length-delimited, 32-bit).
///
/// Only the wire format, no schema: `ProtobufSchema` says what a field number means. swift-protobuf
/// decodes only into messages generated ahead of time, and generating the whole Kubernetes API
/// would cost minutes of compile time for a request body the sandbox reads once.
struct ProtobufWireReader {
    enum Value: Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case lengthDelimited(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    struct Field: Equatable {
        var number: Int
        var value: Value
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        case truncated
        case varintTooLong
        case unsupportedWireType(Int, field: Int)
        case fieldNumberZero

        var description: String {
            switch self {
            case .truncated: "the message ends inside a field"
            case .varintTooLong: "a varint is longer than 10 bytes"
            case .unsupportedWireType(let type, let field): "field \(field) has wire type \(type), which is neither varint, 64-bit, length-delimited nor 32-bit"
            case .fieldNumberZero: "a field has number 0"
            }
        }
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(Failure) -> Field? {
        guard !bytes.isEmpty else { return nil }
        let key = try readVarint()
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0 else { throw .fieldNumberZero }
        switch key & 7 {
        case 0:
            return Field(number: number, value: .varint(try readVarint()))
        case 1:
            return Field(number: number, value: .fixed64(try readLittleEndian(8)))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.count) else { throw .truncated }
            let value = bytes.prefix(Int(length))
            bytes = bytes.dropFirst(Int(length))
            return Field(number: number, value: .lengthDelimited(value))
        case 5:
            return Field(number: number, value: .fixed32(UInt32(try readLittleEndian(4))))
        default:
            throw .unsupportedWireType(Int(key & 7), field: number)
        }
    }

    var isAtEnd: Bool { bytes.isEmpty }

    /// A bare varint, as the values of a packed repeated field follow each other.
    mutating func readVarint() throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<10 {
            guard let byte = bytes.popFirst() else { throw .truncated }
            value |= UInt64(byte & 0x7f) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        throw .varintTooLong
    }

    private mutating func readLittleEndian(_ count: Int) throws(Failure) -> UInt64 {
        guard bytes.count >= count else { throw .truncated }
        var value: UInt64 = 0
        for (index, byte) in bytes.prefix(count).enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        bytes = bytes.dropFirst(count)
        return value
    }
}
