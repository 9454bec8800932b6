import ChildProcesses
import Foundation

/// A container's standard input when its spec keeps one open (`stdin: true`): the write end of a
/// pipe whose read end is the container's descriptor 0, written by `kubectl attach -i` (and
/// `kubectl run -i`). With `stdinOnce` the end of the first session's input is the container's,
/// as with containerd.
actor ContainerInput {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var descriptor: CInt?
    private var opening: Task<StandardInput, any Error>?
    private var input: StandardInput?
    private var isClosed = false
    private let closesAfterFirstSession: Bool

    /// A new pipe; `reading` is for the container and its owner closes it once the container has it.
    static func makePipe(stdinOnce: Bool) throws(Failure) -> (reading: CInt, input: ContainerInput) {
        let ends: (read: CInt, write: CInt)
        do { ends = try ProcessSpawner.closeOnExecPipe() } catch { throw Failure(description: "cannot make the container's stdin pipe: \(error.description)") }
        return (ends.read, ContainerInput(descriptor: ends.write, closesAfterFirstSession: stdinOnce))
    }

    private init(descriptor: CInt, closesAfterFirstSession: Bool) {
        self.descriptor = descriptor
        self.closesAfterFirstSession = closesAfterFirstSession
    }

    /// Writes `bytes` into the pipe; returns once they are in it. Throws once the input is closed.
    func write(_ bytes: [UInt8]) async throws {
        try await opened().write(bytes)
    }

    /// A session's input ended (its client closed stdin, or left). As containerd: with `stdinOnce`
    /// and no terminal the container's stdin ends too (true); otherwise it stays open for the next
    /// session (false), and the session detaches.
    func sessionInputEnded(tty: Bool) -> Bool {
        guard closesAfterFirstSession, !tty else { return false }
        close()
        return true
    }

    /// The container sees the end of its input.
    func close() {
        isClosed = true
        if let descriptor { Glibc.close(descriptor) }
        descriptor = nil
        input?.close()
        input = nil
    }

    deinit {
        if let descriptor { Glibc.close(descriptor) }
        input?.close()
    }

    /// The pipe as a channel, made once: concurrent first writers share it.
    private func opened() async throws -> StandardInput {
        guard !isClosed else { throw Failure(description: "the container's stdin is closed") }
        if let input { return input }
        if let opening { return try await opening.value }
        guard let descriptor else { throw Failure(description: "the container's stdin is closed") }
        self.descriptor = nil
        let task = Task { try await StandardInput(descriptor: descriptor) }
        opening = task
        let made = try await task.value
        guard !isClosed else {
            made.close()
            throw Failure(description: "the container's stdin is closed")
        }
        input = made
        return made
    }
}
