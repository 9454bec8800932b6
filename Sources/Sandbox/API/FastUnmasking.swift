import KubernetesClient
import NIOWebSocket
import WSCore

/// Unmasks each data frame a WebSocket server receives, eight bytes at a time
/// (`WebSocketMasking`), before the frame is read; left to the library, NIO unmasks one byte at a
/// time (the API server unmasks the client's frames, the kubelet the API server's), most of the
/// sandbox's CPU per MiB a client sends through a port-forward (bench/README.md).
/// Nothing is negotiated: it changes how a frame is read, not what is sent.
struct FastUnmasking: WebSocketExtension {
    let name = "kbridge-fast-unmasking"

    func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        guard let key = frame.maskKey else { return frame }
        var frame = frame
        WebSocketMasking.apply(key, to: &frame.data)
        frame.maskKey = nil
        return frame
    }

    func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        frame
    }

    func shutdown() async {}

    /// For a server's configuration.
    static let builder = WebSocketExtensionFactory.nonNegotiatedExtension { FastUnmasking() }
}
