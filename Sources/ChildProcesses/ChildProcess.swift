import Foundation
import Synchronization

/// A process this process started and reaps: its exit code can be awaited by any number of tasks.
public final class ChildProcess: Sendable {
    private struct State {
        var exitCode: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    private let state = Mutex(State())
    public let pid: pid_t

    /// Starts the process (see `ProcessSpawner`) from a thread that then reaps it: that thread
    /// lives as long as the child, as `ParentDeath` needs.
    public init(spawning request: ProcessSpawner.Request) throws(ProcessSpawner.Failure) {
        let started = Mutex<Result<pid_t, ProcessSpawner.Failure>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let box = ReaperBox()
        Thread.detachNewThread {
            let spawned = Result { () throws(ProcessSpawner.Failure) -> pid_t in try ProcessSpawner.spawn(request) }
            started.withLock { $0 = spawned }
            ready.signal()
            guard case .success(let pid) = spawned else { return }
            var status: Int32 = 0
            var reaped: pid_t = -1
            repeat { reaped = waitpid(pid, &status, 0) } while reaped == -1 && errno == EINTR
            // Not reaped here (someone else took it): its exit code is unknown, not 0.
            box.wait()?.finish(reaped == pid ? ProcessSpawner.exitCode(fromWaitStatus: status) : 255)
        }
        ready.wait()
        switch started.withLock({ $0 }) {
        case .success(let pid): self.pid = pid
        case .failure(let failure): throw failure
        case nil: throw ProcessSpawner.Failure(description: "the process was not started")
        }
        box.set(self)
    }

    private func finish(_ code: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.exitCode = code
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: code) }
    }

    public var isRunning: Bool { state.withLock { $0.exitCode == nil } }

    /// Its exit code (128 + signal when a signal ended it), once it has ended.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = state.withLock { state -> Int32? in
                if let code = state.exitCode { return code }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    /// Waits up to `grace` for the process to end; returns whether it did.
    public func waitForExit(within grace: Duration) async -> Bool {
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !isRunning
    }
}

/// Hands the reaping thread its `ChildProcess` once the initializer has one.
private final class ReaperBox: Sendable {
    private let process = Mutex<ChildProcess?>(nil)
    private let set = DispatchSemaphore(value: 0)

    func set(_ child: ChildProcess) {
        process.withLock { $0 = child }
        set.signal()
    }

    func wait() -> ChildProcess? {
        set.wait()
        return process.withLock { $0 }
    }
}
