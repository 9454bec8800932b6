import HummingbirdWebSocket
import NIOCore

/// Passes on the binary messages of a port-forward relay, each `delay` after it came, without
/// holding back the ones behind it: a far cluster's latency, not a slower link. With a delay, what
/// is in flight (the link's bandwidth times the delay) waits in memory, unbounded; the sandbox
/// delays only when asked to (`sandbox up --port-forward-delay`, for benchmarks).
enum DelayedRelay {
    static func relay<Messages: AsyncSequence>(
        _ messages: Messages, delay: Duration, write: @escaping @Sendable (ByteBuffer) async throws -> Void
    ) async throws where Messages.Element == WebSocketMessage {
        guard delay > .zero else {
            for try await message in messages {
                if case .binary(let bytes) = message { try await write(bytes) }
            }
            return
        }
        let (queue, enqueue) = AsyncStream<(due: ContinuousClock.Instant, bytes: ByteBuffer)>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in queue {
                    try await Task.sleep(until: message.due, clock: .continuous)
                    try await write(message.bytes)
                }
            }
            do {
                for try await message in messages {
                    if case .binary(let bytes) = message { enqueue.yield((ContinuousClock.now + delay, bytes)) }
                }
            } catch {
                enqueue.finish()
                throw error
            }
            enqueue.finish()
            try await group.waitForAll()
        }
    }
}
