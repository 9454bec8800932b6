import NIOCore
import NIOWebSocket

/// The frames a WebSocket client sends: masked with a fresh key, as the protocol requires, eight
/// bytes at a time (`WebSocketMasking`; NIO's encoder masks one byte at a time).
enum ClientWebSocketFrame {
    /// One final frame of `opcode` carrying `prefix` (when given) then `payload`.
    static func encode(
        _ opcode: WebSocketOpcode, prefix: UInt8? = nil, payload: ByteBuffer, key: WebSocketMaskingKey = .random(), allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let length = payload.readableBytes + (prefix == nil ? 0 : 1)
        var frame = allocator.buffer(capacity: 14 + length)
        frame.writeInteger(0x80 | UInt8(webSocketOpcode: opcode))
        switch length {
        case ..<126:
            frame.writeInteger(0x80 | UInt8(length))
        case ..<65536:
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(length))
        default:
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(length))
        }
        frame.writeBytes((0..<4).map { key[$0] })
        let payloadStart = frame.writerIndex - frame.readerIndex
        if let prefix { frame.writeInteger(prefix) }
        frame.writeImmutableBuffer(payload)
        frame.withUnsafeMutableReadableBytes { bytes in
            WebSocketMasking.apply(key, to: UnsafeMutableRawBufferPointer(rebasing: bytes[payloadStart...]))
        }
        return frame
    }
}
