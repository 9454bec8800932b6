import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore

/// One `attach` WebSocket on the kubelet (`ExecChannel` framing): the client joins a running
/// container. Its input goes to the container's stdin when the spec keeps one (`stdin: true`);
/// the container's output from now on comes back until the container ends, then the error
/// stream says success and the WebSocket closes. A client that leaves detaches: the container
/// runs on (with `stdinOnce` its stdin closes, as when the client ends its input).
///
/// The sandbox writes a container's stdout and stderr to one log, as the process's descriptors
/// 1 and 2 share it: the output comes back on stdout when the client asked for it, else on stderr.
struct AttachSession {
    let process: ContainerProcess
    let logFile: URL
    let streams: ExecProcess.Streams
    let version: ExecChannel.Version
    let logger: Logger

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let input = streams.stdin ? process.input : nil
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 16 << 20) {
                        guard case .binary(let bytes) = message else { continue }
                        switch ExecChannel.read(bytes, version: version) {
                        case .input(let data): try await input?.write(data)
                        // The client's end of input ends the container's only with `stdinOnce`, as
                        // containerd's attach: another session may still write to it.
                        case .closeInput: await input?.sessionEnded()
                        case .resize, .ignored: break
                        }
                    }
                    throw CancellationError()
                }
                group.addTask {
                    try await followOutput(outbound)
                    let status = try ExecChannel.exitStatus(0).jsonData()
                    try await outbound.write(.binary(ExecChannel.frame(ExecChannel.error, ByteBuffer(bytes: status))))
                    try await outbound.close(.normalClosure, reason: nil)
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            logger.debug("attach ended", metadata: ["error": "\(error)"])
        }
        await input?.sessionEnded()
    }

    /// The log from its current end, as it grows, until the container has ended and all of it is sent.
    private func followOutput(_ outbound: WebSocketOutboundWriter) async throws {
        let stream = streams.stdout ? ExecChannel.stdout : ExecChannel.stderr
        let handle = try FileHandle(forReadingFrom: logFile)
        defer { try? handle.close() }
        try handle.seekToEnd()
        while true {
            let running = process.isRunning
            let more = handle.readDataToEndOfFile()
            if !more.isEmpty, streams.stdout || streams.stderr {
                try await outbound.write(.binary(ExecChannel.frame(stream, ByteBuffer(bytes: more))))
                continue
            }
            guard running else { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
