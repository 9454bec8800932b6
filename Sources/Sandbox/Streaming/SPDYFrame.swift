import NIOCore

/// The frames of SPDY/3.1 that a port-forward uses, read from and written to a byte stream
/// (here the binary messages of a `SPDY/3.1+portforward.k8s.io` WebSocket).
///
/// Control frames: `1 | version 3 (15 bits) | type (16) | flags (8) | length (24)`; data frames:
/// `0 | stream (31) | flags (8) | length (24)`. Flow control (`WINDOW_UPDATE`) is not kept, as
/// neither end of Kubernetes' SPDY (spdystream) keeps it.
enum SPDYFrame: Equatable {
    case synStream(stream: UInt32, flags: UInt8, headerBlock: [UInt8])
    case synReply(stream: UInt32, headerBlock: [UInt8])
    case rstStream(stream: UInt32, status: UInt32)
    case ping(id: UInt32)
    case goAway(lastStream: UInt32)
    case data(stream: UInt32, flags: UInt8, payload: ByteBuffer)
    /// SETTINGS, HEADERS, WINDOW_UPDATE and unknown types: read and left alone.
    case other(type: UInt16)

    static let finFlag: UInt8 = 0x01
    static let version: UInt16 = 3
    /// RST_STREAM's status for a stream the other end did not expect.
    static let protocolError: UInt32 = 1

    enum Failure: Error, Equatable {
        case unsupportedVersion(UInt16)
        case malformed(String)
    }

    /// Reads the next whole frame from `buffer`, consuming it; nil while it is incomplete.
    static func read(from buffer: inout ByteBuffer) throws(Failure) -> SPDYFrame? {
        guard buffer.readableBytes >= 8, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
        else { return nil }
        let length = Int(second & 0x00ff_ffff)
        let flags = UInt8(second >> 24)
        guard buffer.readableBytes >= 8 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 8)
        guard var body = buffer.readSlice(length: length) else { return nil }
        guard first & 0x8000_0000 != 0 else {
            return .data(stream: first & 0x7fff_ffff, flags: flags, payload: body)
        }
        let version = UInt16((first >> 16) & 0x7fff)
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let type = UInt16(first & 0xffff)
        func word() throws(Failure) -> UInt32 {
            guard let value = body.readInteger(as: UInt32.self) else { throw .malformed("control frame \(type) is too short") }
            return value
        }
        switch type {
        case 1:
            let stream = try word() & 0x7fff_ffff
            _ = try word()  // associated stream
            guard body.readInteger(as: UInt16.self) != nil else { throw .malformed("SYN_STREAM is too short") }
            return .synStream(stream: stream, flags: flags, headerBlock: body.readBytes(length: body.readableBytes) ?? [])
        case 2:
            let stream = try word() & 0x7fff_ffff
            return .synReply(stream: stream, headerBlock: body.readBytes(length: body.readableBytes) ?? [])
        case 3:
            let stream = try word() & 0x7fff_ffff
            return .rstStream(stream: stream, status: try word())
        case 6:
            return .ping(id: try word())
        case 7:
            return .goAway(lastStream: try word() & 0x7fff_ffff)
        default:
            return .other(type: type)
        }
    }

    /// The frame's bytes.
    func write(to buffer: inout ByteBuffer) {
        func control(_ type: UInt16, flags: UInt8 = 0, _ body: [UInt8]) {
            buffer.writeInteger(0x8000_0000 | UInt32(Self.version) << 16 | UInt32(type))
            buffer.writeInteger(UInt32(flags) << 24 | UInt32(body.count))
            buffer.writeBytes(body)
        }
        func words(_ values: UInt32...) -> [UInt8] {
            values.flatMap { [UInt8($0 >> 24), UInt8(($0 >> 16) & 0xff), UInt8(($0 >> 8) & 0xff), UInt8($0 & 0xff)] }
        }
        switch self {
        case .synStream(let stream, let flags, let headerBlock):
            control(1, flags: flags, words(stream, 0) + [0, 0] + headerBlock)
        case .synReply(let stream, let headerBlock):
            control(2, words(stream) + headerBlock)
        case .rstStream(let stream, let status):
            control(3, words(stream, status))
        case .ping(let id):
            control(6, words(id))
        case .goAway(let lastStream):
            control(7, words(lastStream, 0))
        case .data(let stream, let flags, let payload):
            buffer.writeInteger(stream & 0x7fff_ffff)
            buffer.writeInteger(UInt32(flags) << 24 | UInt32(payload.readableBytes))
            buffer.writeImmutableBuffer(payload)
        case .other:
            break
        }
    }

    var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return buffer
    }
}
