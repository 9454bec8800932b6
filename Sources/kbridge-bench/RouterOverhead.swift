import BridgeTunnel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What isolation mode costs everyone else: HTTP requests without `kubernetes-route-as` to a
/// service behind `kbridge-agent router` (they go on to the original), beside the same requests
/// sent straight to the service. Sequential requests on keep-alive connections, the two paths
/// taking turns in blocks so that both see the same machine.
enum RouterOverhead {
    static func measure(binaries: BenchBinaries, requests: Int, folder: URL, report: Report) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(FixedAnswer()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let servicePort = server.localAddress!.port!
        let routerPort = try FreePort.pick()
        let router = try WatchedProcess(
            binaries.agent, ["router", "--listen", "\(routerPort)=127.0.0.1:\(servicePort),someone-else=127.0.0.1:\(servicePort)"],
            log: folder.appendingPathComponent("router.log")
        )
        defer { kill(router.pid, SIGKILL) }
        try await waitUntilListening(routerPort)

        var direct: [Double] = []
        var routed: [Double] = []
        let block = 100
        for _ in 0..<max(1, requests / block) {
            direct += try await roundTrips(port: servicePort, count: block)
            routed += try await roundTrips(port: routerPort, count: block)
        }
        let scenario = "isolation: a routed service's requests for no session (HTTP/1.1 keep-alive, \(routed.count) requests)"
        report.add(Figure(scenario: scenario, path: "straight to the service", unit: "µs", summary: Summary(direct), direction: .lowerIsBetter, baseline: nil))
        report.add(Figure(scenario: scenario, path: "through kbridge-agent router", unit: "µs", summary: Summary(routed), direction: .lowerIsBetter, baseline: ("straight to the service", Summary(direct)), note: "target: +300 µs at most"))
    }

    private static func waitUntilListening(_ port: Int) async throws {
        for _ in 0..<100 {
            if let connection = try? await TunnelRelay.connect(host: "127.0.0.1", port: port) {
                await TunnelRelay.discard(connection)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchFailure("kbridge-agent router did not listen on \(port)")
    }

    /// µs of each of `count` sequential requests on one keep-alive connection.
    private static func roundTrips(port: Int, count: Int) async throws -> [Double] {
        let connection = try await TunnelRelay.connect(host: "127.0.0.1", port: port)
        return try await connection.executeThenClose { inbound, outbound in
            var input = inbound.makeAsyncIterator()
            var samples: [Double] = []
            let request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
            for _ in 0..<count {
                let start = ContinuousClock.now
                try await outbound.write(request)
                var received = ByteBuffer()
                while !(received.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)).map { $0.upperBound + FixedAnswer.body.count <= received.writerIndex } ?? false) {
                    guard var bytes = try await input.next() else { throw BenchFailure("the connection to \(port) ended mid-answer") }
                    received.writeBuffer(&bytes)
                }
                samples.append(Probes.microseconds(ContinuousClock.now - start))
                guard received.readableBytesView.starts(with: Array("HTTP/1.1 200".utf8)) else { throw BenchFailure("unexpected answer: \(String(buffer: received))") }
            }
            outbound.finish()
            return samples
        }
    }
}

/// Answers every request with 200 and a fixed body, keeping the connection.
private final class FixedAnswer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = Array("original".utf8)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: String(Self.body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: Self.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
