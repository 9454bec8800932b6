import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// How the kubelet ends a streaming WebSocket (exec, attach, port-forward) so that the API
/// server's client sees its last frames: the close frame first, the connection's end only once
/// the peer answered it (or after `answerTimeout`).
///
/// Why not a plain close: a WebSocket server's close sends the close frame and ends the
/// connection's output at once. A command that ends at once (`exec` of a missing command, `cp`'s
/// `tar`) then sends its output, status, close frame and the end of the TLS stream right behind
/// the 101. When those reach the API server's client in the same event-loop turn as the 101,
/// swift-nio's client upgrade loses them: its HTTP decoder, on its way out of the pipeline, passes
/// on leftover bytes only if the input has not ended (`HTTPDecoder.decodeLast`), and the end itself
/// reaches no one; the relay, and kubectl behind it, wait for ever (about one `kubectl exec` per
/// full test run on two loaded cores). The peer answers the close frame only once its upgrade is
/// done, so the end of the connection can no longer overtake it.
enum KubeletStreamEnd {
    /// How long the peer has to answer the close frame before the connection ends anyway.
    static let answerTimeout: Duration = .seconds(5)

    /// Sends a normal close frame, leaving the connection open for the peer's answer (the
    /// handler's end, or the answer, closes it).
    static func sendClose(_ outbound: WebSocketOutboundWriter) async throws {
        var code = ByteBuffer()
        code.writeInteger(UInt16(1000))
        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
    }

    /// Sends the close frame and waits until the peer answered it (its messages end), at most
    /// `answerTimeout`. For a handler that has not read `inbound` yet.
    static func close(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) async {
        do {
            try await sendClose(outbound)
        } catch {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { for try await _ in inbound.messages(maxSize: 16 << 20) {} } catch {}
            }
            group.addTask { try? await Task.sleep(for: answerTimeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
