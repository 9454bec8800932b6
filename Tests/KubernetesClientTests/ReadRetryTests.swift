import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import KubernetesClient

/// A read that times out is tried once more on another connection.
@Suite struct ReadRetryTests {
    /// Answers every connection but the first, which it reads and never answers: a server that
    /// left one request waiting while it answered others.
    private final class FirstConnectionStalls: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        static let connections = Mutex(0)
        private var stalled = false

        func handlerAdded(context: ChannelHandlerContext) {
            stalled = Self.connections.withLock { count in
                count += 1
                return count == 1
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data), !stalled else { return }
            let body = ByteBuffer(string: #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"default"}}"#)
            var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(body.readableBytes))])
            headers.add(name: "connection", value: "keep-alive")
            context.write(wrapOutboundOut(.head(.init(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    @Test func aReadThatTimesOutIsTriedOnceMoreOnAnotherConnection() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FirstConnectionStalls())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let connection = ClusterConnection(server: try #require(URL(string: "http://127.0.0.1:\(port)")))
        let client = KubernetesClient(connection: connection)
        let namespace = try await client.getRaw(.namespaces, name: "default", namespace: nil)
        #expect(namespace[path: "metadata", "name"] == "default")
        #expect(FirstConnectionStalls.connections.withLock { $0 } == 2, "the first connection was left, a second one answered")
        try await server.close()
    }
}
