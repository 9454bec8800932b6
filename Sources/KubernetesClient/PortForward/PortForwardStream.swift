import AsyncAlgorithms
import NIOCore

/// One TCP connection to a pod's port, carried over the API server's port-forward WebSocket.
///
/// Bytes are delivered in order with back-pressure both ways: `write` waits until the
/// WebSocket has taken the bytes, and the WebSocket is not read faster than `inbound` is.
public final class PortForwardStream: Sendable {
    /// The pod's port this stream is connected to.
    public let remotePort: Int
    /// Bytes from the pod. Finishes when the pod side closes; throws when the server reports an error for the port.
    public let inbound: AsyncThrowingChannel<ByteBuffer, any Error>
    let outbound: AsyncChannel<ByteBuffer>

    init(remotePort: Int) {
        self.remotePort = remotePort
        self.inbound = AsyncThrowingChannel()
        self.outbound = AsyncChannel()
    }

    /// Sends bytes to the pod's port.
    public func write(_ bytes: ByteBuffer) async {
        await outbound.send(bytes)
    }

    /// Closes the connection; the pod's side sees the TCP connection end.
    public func close() {
        outbound.finish()
    }
}

/// The `v4.channel.k8s.io` framing of port-forward: each WebSocket message starts with a channel
/// byte (data = 2 × port index, error = data + 1), and the first message of each channel
/// carries the port number as two little-endian bytes.
struct PortForwardFraming {
    enum Inbound: Equatable {
        case data(ByteBuffer)
        case error(String)
        case nothing
    }

    private var dataPortSeen = false
    private var errorPortSeen = false
    private var errorText = ""

    /// Interprets one binary message from the server.
    mutating func receive(_ message: ByteBuffer) -> Inbound {
        var message = message
        guard let channel = message.readInteger(as: UInt8.self) else { return .nothing }
        switch channel {
        case 0:
            if !dataPortSeen {
                guard message.readableBytes >= 2 else { return .nothing }
                message.moveReaderIndex(forwardBy: 2)
                dataPortSeen = true
            }
            return message.readableBytes > 0 ? .data(message) : .nothing
        case 1:
            if !errorPortSeen {
                guard message.readableBytes >= 2 else { return .nothing }
                message.moveReaderIndex(forwardBy: 2)
                errorPortSeen = true
            }
            let text = message.readString(length: message.readableBytes) ?? ""
            errorText += text
            return errorText.isEmpty ? .nothing : .error(errorText)
        default:
            return .nothing
        }
    }

    /// Frames bytes for the data channel of the first (only) port.
    static func frame(_ bytes: ByteBuffer) -> ByteBuffer {
        var framed = ByteBuffer()
        framed.reserveCapacity(bytes.readableBytes + 1)
        framed.writeInteger(UInt8(0))
        framed.writeImmutableBuffer(bytes)
        return framed
    }
}
