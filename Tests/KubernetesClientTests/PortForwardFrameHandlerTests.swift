import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import KubernetesClient

/// The port-forward framing handler alone, on an `EmbeddedChannel`: what the caller's handlers
/// read and what goes to the server, frame by frame.
@Suite struct PortForwardFrameHandlerTests {
    /// A channel as a port-forward's: the outlet where encoded frames leave, then the handler.
    private static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(EncodedFrameOutlet())
        try channel.pipeline.syncOperations.addHandler(PortForwardFrameHandler(port: 8080, pod: "default/api"))
        return channel
    }

    /// A server's binary frame on `channel` (0 data, 1 error).
    private static func serverFrame(_ bytes: [UInt8], fin: Bool = true, opcode: WebSocketOpcode = .binary) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))
    }

    /// A client frame as it left: its opcode and unmasked payload.
    private static func decode(_ frame: ByteBuffer) throws -> (opcode: UInt8, payload: [UInt8]) {
        let bytes = Array(frame.readableBytesView)
        try #require(bytes.count >= 2)
        #expect(bytes[1] & 0x80 == 0x80, "a client's frames are masked")
        var length = Int(bytes[1] & 0x7f)
        var offset = 2
        if length >= 126 {
            // 126: the length in the next 2 bytes, 127: in the next 8 (network order).
            let width = length == 126 ? 2 : 8
            try #require(bytes.count >= 2 + width)
            length = bytes[2..<2 + width].reduce(0) { $0 << 8 | Int($1) }
            offset = 2 + width
        }
        try #require(bytes.count == offset + 4 + length, "one whole frame")
        let key = Array(bytes[offset..<offset + 4])
        let payload = bytes[(offset + 4)...].enumerated().map { $0.element ^ key[$0.offset % 4] }
        return (bytes[0] & 0x0f, payload)
    }

    /// The next frame the handler sent to the server.
    private static func nextSent(on channel: EmbeddedChannel) throws -> (opcode: UInt8, payload: [UInt8]) {
        let frame = try channel.readOutbound(as: ByteBuffer.self)
        return try decode(try #require(frame, "a frame was sent"))
    }

    /// What arrives before the caller's handlers are in place is held, then read in order; the
    /// port prefix of each channel's first message is not data.
    @Test func bytesBeforeTheCallerIsReadyAreHeldThenDeliveredInOrder() throws {
        let channel = try Self.channel()
        try channel.writeInbound(Self.serverFrame([0, 0x90, 0x1f]))  // the data channel's port
        try channel.writeInbound(Self.serverFrame([1, 0x90, 0x1f]))  // the error channel's port
        try channel.writeInbound(Self.serverFrame([0] + Array("first".utf8)))
        try channel.writeInbound(Self.serverFrame([0] + Array("second".utf8)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "held until the caller is ready")
        try channel.pipeline.triggerUserOutboundEvent(PortForwardFrameHandler.StartDelivering()).wait()
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "first")
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "second")
        try channel.writeInbound(Self.serverFrame([0] + Array("third".utf8)))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "third", "then passed on at once")
    }

    /// A message fragmented over several frames is read as one.
    @Test func aFragmentedMessageIsReadWhole() throws {
        let channel = try Self.channel()
        try channel.pipeline.triggerUserOutboundEvent(PortForwardFrameHandler.StartDelivering()).wait()
        try channel.writeInbound(Self.serverFrame([0, 0x90, 0x1f]))
        try channel.writeInbound(Self.serverFrame([0] + Array("par".utf8), fin: false))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "nothing before the last fragment")
        try channel.writeInbound(Self.serverFrame(Array("tial".utf8), fin: true, opcode: .continuation))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "partial")
    }

    /// Text on the error channel fails the connection with it and closes it.
    @Test func theErrorChannelFailsAndClosesTheConnection() throws {
        let channel = try Self.channel()
        try channel.pipeline.triggerUserOutboundEvent(PortForwardFrameHandler.StartDelivering()).wait()
        try channel.writeInbound(Self.serverFrame([1, 0x90, 0x1f]))
        #expect(throws: KubernetesError.self) {
            try channel.writeInbound(Self.serverFrame([1] + Array("connection refused".utf8)))
        }
        #expect(!channel.isActive, "closed")
    }

    /// A ping is answered with a pong carrying its payload; the server's close is answered and
    /// ends the connection.
    @Test func pingsAreAnsweredAndTheServersCloseEndsTheConnection() throws {
        let channel = try Self.channel()
        try channel.writeInbound(Self.serverFrame([7, 7], opcode: .ping))
        let pong = try Self.nextSent(on: channel)
        #expect(pong.opcode == 0xA && pong.payload == [7, 7])
        try channel.writeInbound(Self.serverFrame([0x03, 0xe8], opcode: .connectionClose))
        let close = try Self.nextSent(on: channel)
        #expect(close.opcode == 0x8)
        #expect(!channel.isActive)
    }

    /// A large write leaves as several data frames of at most `maximumMessage`, each on the data
    /// channel; its promise completes once the last one is written.
    @Test func aLargeWriteIsSplitIntoDataFrames() throws {
        let channel = try Self.channel()
        let size = 2 * PortForwardFrameHandler.maximumMessage + 10
        let sent = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0) })
        try channel.writeAndFlush(sent).wait()
        var received: [UInt8] = []
        var frames = 0
        while let frame = try channel.readOutbound(as: ByteBuffer.self) {
            let decoded = try Self.decode(frame)
            #expect(decoded.opcode == 0x2)
            #expect(decoded.payload.first == PortForwardFraming.dataChannel)
            #expect(decoded.payload.count - 1 <= PortForwardFrameHandler.maximumMessage)
            received += decoded.payload.dropFirst()
            frames += 1
        }
        #expect(frames == 3)
        #expect(received == Array(sent.readableBytesView))
    }

    /// Closing sends a normal close frame first, then closes.
    @Test func closingSendsACloseFrameFirst() throws {
        let channel = try Self.channel()
        try channel.close().wait()
        let close = try Self.nextSent(on: channel)
        #expect(close.opcode == 0x8 && close.payload == [0x03, 0xe8])
        #expect(!channel.isActive)
    }
}
