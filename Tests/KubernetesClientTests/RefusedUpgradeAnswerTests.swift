import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import KubernetesClient

/// The answer of a server that did not switch a port-forward to WebSocket, read alone on an
/// `EmbeddedChannel`: what the error will quote.
@Suite struct RefusedUpgradeAnswerTests {
    private func answering() throws -> (EmbeddedChannel, EventLoopFuture<PortForwardRefused>) {
        let channel = EmbeddedChannel()
        let answer = RefusedUpgradeAnswer(promise: channel.eventLoop.makePromise())
        try channel.pipeline.syncOperations.addHandler(answer)
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, answer.promise.futureResult)
    }

    @Test func theWholeAnswerIsReadThenTheConnectionClosed() throws {
        let (channel, answer) = try answering()
        try channel.writeInbound(HTTPClientResponsePart.head(.init(version: .http1_1, status: .forbidden)))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: #"{"kind":"Status","#)))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: #""reason":"Forbidden"}"#)))
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        let refused = try answer.wait()
        #expect(refused.status == .forbidden)
        #expect(refused.body == #"{"kind":"Status","reason":"Forbidden"}"#)
        #expect(!channel.isActive)
    }

    @Test func aConnectionThatEndsEarlyGivesWhatWasRead() throws {
        let (channel, answer) = try answering()
        try channel.writeInbound(HTTPClientResponsePart.head(.init(version: .http1_1, status: .badRequest)))
        try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(string: "upgrade request required")))
        try channel.close().wait()
        let refused = try answer.wait()
        #expect(refused.status == .badRequest && refused.body == "upgrade request required")
    }

    @Test func aBodyIsKeptUpTo16KiB() throws {
        let (channel, answer) = try answering()
        try channel.writeInbound(HTTPClientResponsePart.head(.init(version: .http1_1, status: .badGateway)))
        for _ in 0..<40 { try channel.writeInbound(HTTPClientResponsePart.body(ByteBuffer(repeating: 0x61, count: 1024))) }
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
        #expect(try answer.wait().body.utf8.count == 16 << 10)
    }
}
