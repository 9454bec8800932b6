import Synchronization

/// A request to end the session (Ctrl-C, SIGTERM, `kbridge disconnect`), with the signal that asked.
public final class StopRequest: Sendable {
    private struct State {
        var signal: Int32?
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Asks the session to stop; the first request wins.
    public func request(signal: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32?, Never>] in
            guard state.signal == nil else { return [] }
            state.signal = signal
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: signal) }
    }

    public var signal: Int32? { state.withLock { $0.signal } }

    /// The signal once a stop was requested; nil if the waiting task is cancelled first.
    public func wait() async -> Int32? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Int32?? in
                    if let signal = state.signal { return .some(signal) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
