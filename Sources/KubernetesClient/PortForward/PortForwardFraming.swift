import NIOCore

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

    /// The channel byte of the first (only) port's data.
    static let dataChannel: UInt8 = 0
}
