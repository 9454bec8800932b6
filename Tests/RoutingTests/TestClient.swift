import Foundation
import NIOCore
import NIOPosix

/// A plain TCP client that writes what a test says, byte for byte, and reads HTTP/1 answers
/// (each with a content-length) or raw bytes.
final class TestClient: @unchecked Sendable {
    private let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var received = ByteBuffer()
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Runs `body` with a client connected to `port`, closed after.
    static func with(port: Int, _ body: (TestClient) async throws -> Void) async throws {
        let client = try await TestClient(port: port)
        do {
            try await body(client)
            await client.close()
        } catch {
            await client.close()
            throw error
        }
    }

    init(port: Int) async throws {
        connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        iterator = connection.inbound.makeAsyncIterator()
        outbound = connection.outbound
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    func endOutput() {
        outbound.finish()
    }

    /// `GET PATH` with the headers given; the answer's status line and body.
    func get(_ path: String, headers: [String: String] = [:]) async throws -> (status: String, body: String) {
        let lines = headers.map { "\($0.key): \($0.value)\r\n" }.joined()
        try await send("GET \(path) HTTP/1.1\r\nHost: test\r\n\(lines)\r\n")
        return try await answer()
    }

    /// The next HTTP/1 answer: its status line and body (read by its content-length).
    func answer() async throws -> (status: String, body: String) {
        let head = try await readHead()
        let lines = head.split(separator: "\r\n")
        let length = lines.dropFirst().first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        let body = try await read(count: length)
        return (String(lines[0]), String(decoding: body, as: UTF8.self))
    }

    /// The next head (up to its empty line), as text.
    func readHead() async throws -> String {
        while true {
            if let end = received.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
                let length = end.upperBound - received.readerIndex
                return received.readString(length: length)!
            }
            guard try await more() else { throw TestClientError.closed(String(buffer: received)) }
        }
    }

    /// Exactly `count` bytes.
    func read(count: Int) async throws -> [UInt8] {
        while received.readableBytes < count {
            guard try await more() else { throw TestClientError.closed(String(buffer: received)) }
        }
        return received.readBytes(length: count)!
    }

    /// Everything until the server ends its output.
    func readToEnd() async throws -> [UInt8] {
        while try await more() {}
        return received.readBytes(length: received.readableBytes)!
    }

    private func more() async throws -> Bool {
        guard var bytes = try await iterator.next() else { return false }
        received.writeBuffer(&bytes)
        return true
    }

    func close() async {
        outbound.finish()
        try? await connection.channel.close()
    }
}

enum TestClientError: Error {
    case closed(String)
}

