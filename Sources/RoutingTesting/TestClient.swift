import Foundation
import NIOCore
import NIOPosix

/// A plain TCP client that writes what a test says, byte for byte, and reads HTTP/1 answers
/// (each with a content-length) or raw bytes.
public final class TestClient: @unchecked Sendable {
    private let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var received = ByteBuffer()
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Runs `body` with a client connected to `port`, closed after.
    public static func with(host: String = "127.0.0.1", port: Int, _ body: (TestClient) async throws -> Void) async throws {
        let client = try await TestClient(host: host, port: port)
        do {
            try await body(client)
            await client.close()
        } catch {
            await client.close()
            throw error
        }
    }

    public init(host: String = "127.0.0.1", port: Int) async throws {
        connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        iterator = connection.inbound.makeAsyncIterator()
        outbound = connection.outbound
    }

    public func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    public func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    public func endOutput() {
        outbound.finish()
    }

    /// `GET PATH` with the headers given; the answer's status line and body.
    public func get(_ path: String, headers: [String: String] = [:]) async throws -> (status: String, body: String) {
        let lines = headers.map { "\($0.key): \($0.value)\r\n" }.joined()
        try await send("GET \(path) HTTP/1.1\r\nHost: test\r\n\(lines)\r\n")
        return try await answer()
    }

    /// The next HTTP/1 answer: its status line and body (read by its content-length).
    public func answer() async throws -> (status: String, body: String) {
        let head = try await readHead()
        let lines = head.split(separator: "\r\n")
        let length = lines.dropFirst().first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        let body = try await read(count: length)
        return (String(lines[0]), String(decoding: body, as: UTF8.self))
    }

    /// The next head (up to its empty line), as text.
    public func readHead() async throws -> String {
        while true {
            if let end = received.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
                let length = end.upperBound - received.readerIndex
                return received.readString(length: length)!
            }
            guard try await more() else { throw TestClientError.closed(String(buffer: received)) }
        }
    }

    /// Exactly `count` bytes.
    public func read(count: Int) async throws -> [UInt8] {
        while received.readableBytes < count {
            guard try await more() else { throw TestClientError.closed(String(buffer: received)) }
        }
        return received.readBytes(length: count)!
    }

    /// Everything until the server ends its output.
    public func readToEnd() async throws -> [UInt8] {
        while try await more() {}
        return received.readBytes(length: received.readableBytes)!
    }

    /// Opens a WebSocket on `path` (the headers given added to the handshake), sends `message`
    /// as one masked text frame and returns the handshake's status line and the first text frame
    /// answered (frames of up to 125 bytes, as the test servers send).
    public func webSocketExchange(_ path: String, headers: [String: String] = [:], message: String) async throws -> (status: String, reply: String) {
        let lines = headers.map { "\($0.key): \($0.value)\r\n" }.joined()
        try await send("GET \(path) HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(lines)\r\n")
        let head = try await readHead()
        let status = String(head.split(separator: "\r\n").first ?? "")
        guard status.contains(" 101 ") else { return (status, "") }
        let payload = Array(message.utf8)
        precondition(payload.count < 126, "a test message fits one short frame")
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        try await send([0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        let frameHead = try await read(count: 2)
        let reply = try await read(count: Int(frameHead[1] & 0x7f))
        return (status, String(decoding: reply, as: UTF8.self))
    }

    private func more() async throws -> Bool {
        guard var bytes = try await iterator.next() else { return false }
        received.writeBuffer(&bytes)
        return true
    }

    public func close() async {
        outbound.finish()
        try? await connection.channel.close()
    }
}

public enum TestClientError: Error {
    case closed(String)
}

