import Foundation

/// A container's standard input when its spec keeps one open (`stdin: true`): the write end of a
/// pipe whose read end is the container's descriptor 0, written by `kubectl attach -i` (and
/// `kubectl run -i`). With `stdinOnce` the first attach session that used it closes it, and the
/// container reads its end, as on a kubelet.
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
        var ends: [CInt] = [0, 0]
        // Close-on-exec at once (pipe2 is not imported); a child spawned between the two calls
        // closes it anyway (ProcessSpawner closes every descriptor above 2).
        guard pipe(&ends) == 0 else { throw Failure(description: "cannot make the container's stdin pipe: \(String(cString: strerror(errno)))") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ContainerInput(descriptor: ends[1], closesAfterFirstSession: stdinOnce))
    }

    private init(descriptor: CInt, closesAfterFirstSession: Bool) {
        self.descriptor = descriptor
        self.closesAfterFirstSession = closesAfterFirstSession
    }

    /// Writes `bytes` into the pipe; returns once they are in it. Throws once the input is closed.
    func write(_ bytes: [UInt8]) async throws {
        try await opened().write(bytes)
    }

    /// An attach session that used the input ended.
    func sessionEnded() {
        if closesAfterFirstSession { close() }
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
        if let input { return input }
        if let opening { return try await opening.value }
        guard let descriptor, !isClosed else { throw Failure(description: "the container's stdin is closed") }
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
