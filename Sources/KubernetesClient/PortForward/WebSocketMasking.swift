import NIOCore
import NIOWebSocket

/// The WebSocket masking operation (RFC 6455 §5.3), eight bytes at a time: XOR with the four-byte
/// key repeated from the payload's first byte; masking and unmasking are the same operation.
/// NIO's goes one byte at a time, a large share of the CPU of bulk data through a port-forward
/// (bench/README.md).
public enum WebSocketMasking {
    public static func apply(_ key: WebSocketMaskingKey, to bytes: UnsafeMutableRawBufferPointer) {
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { word in
            for index in 0..<8 { word[index] = key[index % 4] }
        }
        var index = 0
        while index + 8 <= bytes.count {
            let value = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            bytes.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            bytes[index] ^= key[index % 4]
            index += 1
        }
    }

    /// Masks (or unmasks) the readable bytes of `buffer` in place.
    public static func apply(_ key: WebSocketMaskingKey, to buffer: inout ByteBuffer) {
        buffer.withUnsafeMutableReadableBytes { apply(key, to: $0) }
    }
}
