import NIOCore
import NIOWebSocket
import Testing

@testable import KubernetesClient

@Suite struct ClientWebSocketFrameTests {
    /// Every length form (7-bit, 16-bit, 64-bit), with and without the channel byte, read back
    /// with NIO's own unmasking.
    @Test(arguments: [0, 1, 7, 8, 9, 124, 125, 126, 65534, 65535, 65536, 300_001])
    func framesAreMaskedAsTheProtocolSays(length: Int) throws {
        let payload = ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let key: WebSocketMaskingKey = [0x12, 0x9a, 0xfe, 0x01]
        for prefix in [nil, UInt8(0)] {
            var frame = ClientWebSocketFrame.encode(.binary, prefix: prefix, payload: payload, key: key, allocator: ByteBufferAllocator())
            let expected = (prefix.map { [$0] } ?? []) + Array(payload.readableBytesView)
            #expect(frame.readInteger(as: UInt8.self) == 0x82, "final binary frame")
            let short = frame.readInteger(as: UInt8.self) ?? 0
            #expect(short & 0x80 == 0x80, "masked")
            let announced: Int
            switch short & 0x7f {
            case 126: announced = frame.readInteger(as: UInt16.self).map(Int.init) ?? -1
            case 127: announced = frame.readInteger(as: UInt64.self).map(Int.init) ?? -1
            default: announced = Int(short & 0x7f)
            }
            #expect(announced == expected.count)
            #expect(frame.readBytes(length: 4) == [0x12, 0x9a, 0xfe, 0x01])
            let slice = frame.readSlice(length: announced)
            var masked = try #require(slice)
            #expect(frame.readableBytes == 0)
            masked.webSocketMask(key)
            #expect(Array(masked.readableBytesView) == expected)
        }
    }

    /// Unmasking a received frame's payload in place gives what NIO's byte-at-a-time loop gives.
    @Test(arguments: [0, 1, 3, 8, 13, 4096, 65_541])
    func maskingInPlaceAgreesWithNIO(length: Int) {
        let key: WebSocketMaskingKey = [0xa5, 0x01, 0x7e, 0xc3]
        var ours = ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) })
        ours.moveReaderIndex(forwardBy: min(1, length))
        var theirs = ours
        WebSocketMasking.apply(key, to: &ours)
        theirs.webSocketMask(key)
        #expect(Array(ours.readableBytesView) == Array(theirs.readableBytesView))
    }
}
