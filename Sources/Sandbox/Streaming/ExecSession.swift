import Foundation
import HummingbirdWebSocket
import KubernetesClient
import Logging
import NIOCore
import NIOPosix

/// One `exec` WebSocket on the kubelet (`ExecChannel`): the client's stdin, closes and resizes
/// go to the command; its stdout and stderr come back on their streams until they end, then the
/// error stream says how it ended and the WebSocket closes (`KubeletStreamEnd`). A client that goes away takes the
/// command with it.
struct ExecSession {
    let process: ExecProcess
    let version: ExecChannel.Version
    let logger: Logger

    private typealias Pipe = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        defer {
            process.kill()
            process.close()
        }
        do {
            // Inside the output pipes' scopes: when stdin cannot be wrapped they are still closed.
            try await Self.withPipe(process.output) { stdout in
                try await Self.withPipe(process.errors) { stderr in
                    var stdin: StandardInput?
                    if let input = process.input { stdin = try await StandardInput(descriptor: input) }
                    defer { stdin?.close() }
                    try await relay(stdin: stdin, stdout: stdout, stderr: stderr, inbound: inbound, outbound: outbound)
                }
            }
        } catch {
            logger.debug("exec ended", metadata: ["error": "\(error)"])
        }
    }

    private func relay(
        stdin: StandardInput?,
        stdout: (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>)?,
        stderr: (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>)?,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { client in
            // The client's side: stdin, its end, resizes. When the client goes, everything ends.
            client.addTask {
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .binary(let bytes) = message else { continue }
                    switch ExecChannel.read(bytes, version: version) {
                    case .input(let data): try await stdin?.write(data)
                    case .closeInput: stdin?.close()
                    case .resize(let width, let height): process.resize(width: width, height: height)
                    case .ignored: break
                    }
                }
                throw CancellationError()
            }
            // The command's side: its output until both streams end and it has exited.
            client.addTask {
                try await withThrowingTaskGroup(of: Void.self) { streams in
                    for (stream, number) in [(stdout, ExecChannel.stdout), (stderr, ExecChannel.stderr)] {
                        guard let stream else { continue }
                        streams.addTask {
                            do {
                                for try await bytes in stream.0 { try await outbound.write(.binary(ExecChannel.frame(number, bytes))) }
                            } catch let error as IOError where error.errnoCode == EIO {
                                // A terminal's master side reads EIO once the command's side is closed: its end.
                            }
                        }
                    }
                    try await streams.waitForAll()
                }
                let code = await process.waitForExit()
                let status = try ExecChannel.exitStatus(code).jsonData()
                try await outbound.write(.binary(ExecChannel.frame(ExecChannel.error, ByteBuffer(bytes: status))))
                // The client's side ends once it answered; ended here only if it does not.
                try await KubeletStreamEnd.sendClose(outbound)
                try await Task.sleep(for: KubeletStreamEnd.answerTimeout)
            }
            try await client.next()
            client.cancelAll()
        }
    }

    /// Runs `body` with `descriptor` read as an NIO pipe (nil: no such stream).
    private static func withPipe(
        _ descriptor: CInt?,
        _ body: ((NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>)?) async throws -> Void
    ) async throws {
        guard let descriptor else { return try await body(nil) }
        let pipe = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton).takingOwnershipOfDescriptor(input: descriptor) { channel in
            channel.eventLoop.makeCompletedFuture { try Pipe(wrappingChannelSynchronously: channel) }
        }
        try await pipe.executeThenClose { inbound, outbound in try await body((inbound, outbound)) }
    }
}
