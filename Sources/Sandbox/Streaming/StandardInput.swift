import NIOCore
import NIOPosix

/// A process's standard input, the write end of its pipe: each write finishes once it is in the pipe, so that closing it
/// (the client's end of input) never drops what is still queued.
struct StandardInput: Sendable {
    let channel: any Channel

    init(descriptor: CInt) async throws {
        channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton).takingOwnershipOfDescriptor(output: descriptor).get()
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func close() {
        channel.close(promise: nil)
    }
}
