import Foundation
import Synchronization
import HummingbirdWebSocket
import Logging
import NIOCore

/// One `attach` WebSocket on the kubelet (`ExecChannel` framing): the client joins a running
/// container. Its input goes to the container's stdin when the spec keeps one (`stdin: true`);
/// the container's output from now on comes back until the container ends, then the error
/// stream says success and the WebSocket closes.
///
/// The end of the client's input follows containerd: with `stdinOnce` (and no terminal) the
/// container's stdin ends and the session follows the output on; otherwise the stdin stays open
/// for the next session and this one detaches (success). A client that leaves detaches; the
/// container runs on.
///
/// The sandbox writes a container's stdout and stderr to one log, as the process's descriptors
/// 1 and 2 share it: the output comes back on stdout when the client asked for it, else on stderr.
struct AttachSession {
    let process: ContainerProcess
    let logFile: URL
    let streams: ExecProcess.Streams
    let version: ExecChannel.Version
    let logger: Logger

    /// At most this much output per message: the API server relays messages of up to 16 MiB.
    static let chunkSize = 64 << 10

    private enum Ending {
        case containerEnded, detached, clientLeft
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let input = streams.stdin ? process.input : nil
        var ending = Ending.clientLeft
        do {
            let containerEnded = EndFlag()
            ending = try await withThrowingTaskGroup(of: Ending.self) { group in
                group.addTask {
                    let ending = try await relayInput(inbound, to: input)
                    // Once the container ended, the client's side ends when it answered the close.
                    return containerEnded.isSet ? .containerEnded : ending
                }
                group.addTask {
                    try await followOutput(outbound)
                    containerEnded.set()
                    try await Self.writeStatus(outbound)
                    try await KubeletStreamEnd.sendClose(outbound)
                    try await Task.sleep(for: KubeletStreamEnd.answerTimeout)
                    return .containerEnded
                }
                let first = try await group.next() ?? .clientLeft
                group.cancelAll()
                return first
            }
            if ending == .detached {
                try await Self.writeStatus(outbound)
                try await outbound.close(.normalClosure, reason: nil)
            }
        } catch {
            logger.debug("attach ended", metadata: ["error": "\(error)"])
        }
        if ending == .clientLeft { _ = await input?.sessionInputEnded(tty: streams.tty) }
    }

    private static func writeStatus(_ outbound: WebSocketOutboundWriter) async throws {
        let status = try ExecChannel.exitStatus(0).jsonData()
        try await outbound.write(.binary(ExecChannel.frame(ExecChannel.error, ByteBuffer(bytes: status))))
    }

    /// The client's messages until it leaves (or detaches at the end of its input).
    private func relayInput(_ inbound: WebSocketInboundStream, to input: ContainerInput?) async throws -> Ending {
        var input = input
        for try await message in inbound.messages(maxSize: 16 << 20) {
            guard case .binary(let bytes) = message else { continue }
            switch ExecChannel.read(bytes, version: version) {
            case .input(let data):
                do {
                    try await input?.write(data)
                } catch {
                    // As containerd: input that cannot be written is dropped; the output goes on.
                    logger.debug("attach input dropped", metadata: ["error": "\(error)"])
                    input = nil
                }
            case .closeInput:
                guard let ended = input else { continue }
                input = nil
                if await !ended.sessionInputEnded(tty: streams.tty) { return .detached }
            case .resize, .ignored:
                break
            }
        }
        return .clientLeft
    }

    /// The log from its current end, as it grows, until the container has ended and all of it is sent.
    private func followOutput(_ outbound: WebSocketOutboundWriter) async throws {
        let stream = streams.stdout ? ExecChannel.stdout : ExecChannel.stderr
        let handle = try FileHandle(forReadingFrom: logFile)
        defer { try? handle.close() }
        try handle.seekToEnd()
        while true {
            let running = process.isRunning
            if let more = try handle.read(upToCount: Self.chunkSize), !more.isEmpty {
                if streams.stdout || streams.stderr { try await outbound.write(.binary(ExecChannel.frame(stream, ByteBuffer(bytes: more)))) }
                continue
            }
            guard running else { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Set once, read from another task: whether the container's output ended first.
private final class EndFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
