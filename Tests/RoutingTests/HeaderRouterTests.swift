import RoutingTesting
import Foundation
import NIOCore
import NIOHPACK
import NIOPosix
import Routing
import Testing

/// The router between a service's callers and its pods: HTTP requests go where their
/// `kubernetes-route-as` says, everything else passes untouched to the original pods.
@Suite(.timeLimit(.minutes(1))) struct HeaderRouterTests {
    @Test func eachRequestOfAConnectionGoesWhereItsRouteAsHeaderSays() async throws {
        try await withRouter(copies: ["alice", "bob"]) { port in
            try await TestClient.with(port: port) { client in
                let plain = try await client.get("/a")
                #expect(plain.status == "HTTP/1.1 200 OK")
                #expect(plain.body == "original GET /a route-as=")
                #expect(try await client.get("/b", headers: ["kubernetes-route-as": "alice"]).body == "alice GET /b route-as=alice")
                let spaced = try await client.get("/c", headers: ["Kubernetes-Route-As": " bob "])
                #expect(spaced.body.hasPrefix("bob GET /c route-as="), "\(spaced)")
                #expect(try await client.get("/d", headers: ["kubernetes-route-as": "carol"]).body == "original GET /d route-as=carol")
                #expect(try await client.get("/e", headers: ["kubernetes-route-as": "alice"]).body == "alice GET /e route-as=alice")
                #expect(try await client.get("/f").body == "original GET /f route-as=")
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderFromTheirOwnDestinations() async throws {
        try await withRouter(copies: ["alice"]) { port in
            try await TestClient.with(port: port) { client in
                try await client.send(
                    "GET /1 HTTP/1.1\r\nHost: t\r\nkubernetes-route-as: alice\r\n\r\nGET /2 HTTP/1.1\r\nHost: t\r\n\r\nGET /3 HTTP/1.1\r\nHost: t\r\nkubernetes-route-as: alice\r\n\r\n"
                )
                #expect(try await client.answer().body == "alice GET /1 route-as=alice")
                #expect(try await client.answer().body == "original GET /2 route-as=")
                #expect(try await client.answer().body == "alice GET /3 route-as=alice")
            }
        }
    }

    @Test func theRouterBehindAnIngressStampsItsNameOnEveryRequest() async throws {
        try await withRouter(copies: [], routeAs: "alice") { port in
            try await TestClient.with(port: port) { client in
                let plain = try await client.get("/")
                let other = try await client.get("/", headers: ["kubernetes-route-as": "bob"])
                #expect(plain.body == "original GET / route-as=alice")
                #expect(other.body == "original GET / route-as=alice")
            }
        }
    }

    @Test func bodiesStreamBothWaysIntact() async throws {
        try await withRouter(copies: ["alice"]) { port in
            try await TestClient.with(port: port) { client in
                let body = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
                try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nkubernetes-route-as: alice\r\ntransfer-encoding: chunked\r\n\r\n")
                for chunk in stride(from: 0, to: body.count, by: 100_000) {
                    let part = Array(body[chunk..<min(chunk + 100_000, body.count)])
                    try await client.send(String(part.count, radix: 16) + "\r\n")
                    try await client.send(part)
                    try await client.send("\r\n")
            }
                try await client.send("0\r\n\r\n")
                let head = try await client.readHead()
                #expect(head.hasPrefix("HTTP/1.1 200 OK"))
                #expect(try await client.read(count: body.count) == body)
            }
        }
    }

    @Test func aWebsocketStyleUpgradeBecomesAByteRelayToTheRoutedCopy() async throws {
        try await withRouter(copies: ["alice"]) { port in
            try await TestClient.with(port: port) { client in
                // The first bytes of the new protocol come in the same write as the request.
                try await client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: echo\r\nkubernetes-route-as: alice\r\n\r\nfirst;")
                let head = try await client.readHead()
                #expect(head.hasPrefix("HTTP/1.1 101"), "\(head)")
                #expect(try await client.read(count: 6) == Array("first;".utf8))
                let more = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
                try await client.send(more)
                #expect(try await client.read(count: more.count) == more)
            }
        }
    }

    @Test func aWebSocketGoesToTheCopyItsHandshakeNames() async throws {
        try await withRouter(copies: ["alice"]) { port in
            try await TestClient.with(port: port) { client in
                let routed = try await client.webSocketExchange("/ws", headers: ["kubernetes-route-as": "alice"], message: "hello")
                #expect(routed.status == "HTTP/1.1 101 Switching Protocols" && routed.reply == "alice: hello", "\(routed)")
            }
            try await TestClient.with(port: port) { client in
                let plain = try await client.webSocketExchange("/ws", message: "hello")
                #expect(plain.reply == "original: hello", "\(plain)")
            }
        }
    }

    @Test func aClientThatEndsItsSideIsAnsweredAndClosed() async throws {
        try await withRouter(copies: ["alice"]) { port in
            try await TestClient.with(port: port) { client in
                // Between requests: the connection ends.
                _ = try await client.get("/")
                client.endOutput()
                #expect(try await client.readToEnd().isEmpty)
            }
            try await TestClient.with(port: port) { client in
                // Right after a request: it is answered first.
                try await client.send("GET /last HTTP/1.1\r\nHost: t\r\nkubernetes-route-as: alice\r\n\r\n")
                client.endOutput()
                let answer = String(decoding: try await client.readToEnd(), as: UTF8.self)
                #expect(answer.hasSuffix("alice GET /last route-as=alice"), "\(answer)")
            }
        }
    }

    @Test func aLargeAnswerBeforeConnectionCloseArrivesWhole() async throws {
        try await withRouter(copies: []) { port in
            try await TestClient.with(port: port) { client in
                let body = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 5) }
                try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\ncontent-length: \(body.count)\r\n\r\n")
                try await client.send(body)
                // Read slowly at first: the router must not drop what is still queued when it closes.
                try await Task.sleep(for: .milliseconds(300))
                let head = try await client.readHead()
                #expect(head.hasPrefix("HTTP/1.1 200 OK"))
                #expect(try await client.read(count: body.count) == body)
                #expect(try await client.readToEnd().isEmpty)
            }
        }
    }

    @Test func aDeclinedUpgradeIsAnsweredAndEndsTheConnection() async throws {
        try await withRouter(copies: []) { port in
            try await TestClient.with(port: port) { client in
                try await client.send("GET /a HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: nothing-known\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try await client.answer().body == "original GET /a route-as=")
                #expect(try await client.readToEnd().isEmpty)
            }
        }
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST / HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        "TRACE / HTTP/1.1\r\nHost: t\r\ncontent-length: 5\r\n\r\nhello",
    ])
    func requestsWhoseBodyCouldBeReadTwoWaysAreRefused(request: String) async throws {
        try await withRouter(copies: []) { port in
            try await TestClient.with(port: port) { client in
                try await client.send(request)
                #expect(try await client.answer().status == "HTTP/1.1 400 Bad Request")
            }
        }
    }

    @Test func tlsAndOtherProtocolsPassByteForByteToTheOriginal() async throws {
        let echo = try await TestServers.echo()
        defer { echo.close(promise: nil) }
        let listener = RouterArguments.Listener(port: 0, original: .init(host: "127.0.0.1", port: echo.localAddress!.port!))
        try await withRouter(listener) { port in
            // A TLS ClientHello's first bytes, then anything.
            try await TestClient.with(port: port) { client in
                let bytes = [0x16, 0x03, 0x01, 0x02, 0x00] + (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                try await client.send(bytes)
                #expect(try await client.read(count: bytes.count) == bytes)
                // An end of output passes too: the echo ends its own, and the connection ends.
                client.endOutput()
                #expect(try await client.readToEnd().isEmpty)
            }
        }
    }

    @Test func aServerThatSpeaksFirstIsReachedThroughTheRouter() async throws {
        let greeter = try await TestServers.echo(greeting: "220 ready\r\n")
        defer { greeter.close(promise: nil) }
        let listener = RouterArguments.Listener(port: 0, original: .init(host: "127.0.0.1", port: greeter.localAddress!.port!))
        try await withRouter(listener) { port in
            try await TestClient.with(port: port) { client in
                #expect(try await client.read(count: 11) == Array("220 ready\r\n".utf8))
                try await client.send("HELO x\r\n")
                #expect(try await client.read(count: 8) == Array("HELO x\r\n".utf8))
            }
        }
    }

    @Test func aCopyThatCannotBeReachedIsAnswered502() async throws {
        let closed = try await TestServers.closedPort()
        let original = try await TestServers.http(named: "original")
        defer { original.close(promise: nil) }
        let listener = RouterArguments.Listener(
            port: 0, original: .init(host: "127.0.0.1", port: original.localAddress!.port!),
            routes: ["alice": .init(host: "127.0.0.1", port: closed)]
        )
        try await withRouter(listener) { port in
            try await TestClient.with(port: port) { client in
                let answer = try await client.get("/", headers: ["kubernetes-route-as": "alice"])
                #expect(answer.status == "HTTP/1.1 502 Bad Gateway")
                #expect(answer.body.contains("127.0.0.1:\(closed)"))
                // Others still reach the original.
            }
            try await TestClient.with(port: port) { other in
                let answer = try await other.get("/")
                #expect(answer.body == "original GET / route-as=")
            }
        }
    }
}

/// The same routing for HTTP/2 without TLS (gRPC), stream by stream on one connection.
@Suite(.timeLimit(.minutes(1))) struct HeaderRouterHTTP2Tests {
    /// The router dials the original at once; an HTTP/2 server sends its SETTINGS at once: that is
    /// not a server that speaks first, and the client's streams are still routed.
    @Test func aClientThatSpeaksAfterTheOriginalsSettingsIsStillRouted() async throws {
        try await withRouter(copies: ["alice"], serving: { try await HTTP2TestPeers.server(named: $0) }) { port in
            let client = try await HTTP2TestPeers.connect(port: port, after: .milliseconds(300))
            defer { client.channel.close(promise: nil) }
            let answer = try await HTTP2TestPeers.request(client.multiplexer, on: client.channel.eventLoop, headers: [("kubernetes-route-as", "alice")])
            #expect(answer.headers.first(name: "x-served-by") == "alice")
        }
    }

    /// curl (and most clients with prior knowledge) send the preface, their SETTINGS and the first
    /// request in one packet: the request read with the preface is routed too.
    @Test func aRequestThatCameWithThePrefaceIsRouted() async throws {
        try await withRouter(copies: ["alice"], serving: { try await HTTP2TestPeers.server(named: $0) }) { port in
            try await TestClient.with(port: port) { client in
                let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
                let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
                // :method GET, :path /, :scheme http, :authority t, kubernetes-route-as: alice (literal, new name).
                let block: [UInt8] = [0x82, 0x84, 0x86, 0x41, 0x01, 0x74, 0x00, 0x13] + Array("kubernetes-route-as".utf8) + [0x05] + Array("alice".utf8)
                let headers: [UInt8] = [0, 0, UInt8(block.count), 1, 0x05, 0, 0, 0, 1] + block
                try await client.send(preface + settings + headers)
                // The server's SETTINGS (and its ACK of ours) come first; then the answer's headers on stream 1.
                var answer: HPACKHeaders?
                while answer == nil {
                    let head = try await client.read(count: 9)
                    let length = Int(head[0]) << 16 | Int(head[1]) << 8 | Int(head[2])
                    var payload = ByteBuffer(bytes: try await client.read(count: length))
                    if head[3] == 1, Array(head[5...8]) == [0, 0, 0, 1] {
                        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
                        answer = try decoder.decodeHeaders(from: &payload)
                    }
                }
                #expect(answer?.first(name: "x-served-by") == "alice")
            }
        }
    }

    @Test func eachStreamOfAConnectionGoesWhereItsRouteAsHeaderSays() async throws {
        try await withRouter(copies: ["alice", "bob"], serving: { try await HTTP2TestPeers.server(named: $0) }) { port in
            let client = try await HTTP2TestPeers.connect(port: port)
            defer { client.channel.close(promise: nil) }
            let loop = client.channel.eventLoop
            // Several streams at once, on one connection, each to its own destination.
            let large = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            async let plain = HTTP2TestPeers.request(client.multiplexer, on: loop)
            async let alice = HTTP2TestPeers.request(client.multiplexer, on: loop, headers: [("kubernetes-route-as", "alice")], body: large)
            async let bob = HTTP2TestPeers.request(client.multiplexer, on: loop, headers: [("kubernetes-route-as", "bob")])
            async let carol = HTTP2TestPeers.request(client.multiplexer, on: loop, headers: [("kubernetes-route-as", "carol")])
            let answers = try await [plain, alice, bob, carol]
            #expect(answers.map { $0.headers.first(name: "x-served-by") } == ["original", "alice", "bob", "original"])
            #expect(answers.map { $0.headers.first(name: "x-route-as") } == ["", "alice", "bob", "carol"])
            #expect(answers[1].body == large)
            // And again on the same connection, after those streams ended.
            let again = try await HTTP2TestPeers.request(client.multiplexer, on: loop, headers: [("kubernetes-route-as", "bob")])
            #expect(again.headers.first(name: "x-served-by") == "bob")
        }
    }
}

// MARK: Harness

/// A router listening on a free port, with a server (`serving`) for the original and one per copy.
private func withRouter(
    copies: [String], routeAs: String? = nil, serving: (String) async throws -> any Channel = { try await TestServers.http(named: $0) },
    _ body: (Int) async throws -> Void
) async throws {
    var servers = [try await serving("original")]
    var routes: [String: RouterArguments.Endpoint] = [:]
    for copy in copies {
        let server = try await serving(copy)
        servers.append(server)
        routes[copy] = .init(host: "127.0.0.1", port: server.localAddress!.port!)
    }
    defer { for server in servers { server.close(promise: nil) } }
    let listener = RouterArguments.Listener(port: 0, original: .init(host: "127.0.0.1", port: servers[0].localAddress!.port!), routes: routes)
    try await withRouter(listener, routeAs: routeAs, body)
}

/// A router for `listener` on a free port, running while `body` runs.
private func withRouter(_ listener: RouterArguments.Listener, routeAs: String? = nil, _ body: (Int) async throws -> Void) async throws {
    let router = HeaderRouter(arguments: RouterArguments(listeners: [listener], routeAs: routeAs), host: "127.0.0.1")
    let (ports, portsGiven) = AsyncStream<Int>.makeStream()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await router.run { bound in portsGiven.yield(bound[0]) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body(port)
        group.cancelAll()
    }
}


/// A router asked to stop (its pod is being deleted) keeps taking connections for a moment, then
/// closes its listeners, asks the open connections to finish, and ends once they have, or once
/// it has waited long enough.
@Suite(.timeLimit(.minutes(1))) struct RouterStopTests {
    /// A router on a free port to `original`, stopping when `stop` yields; its port and its run.
    private static func stoppable(
        to original: any Channel, stop: AsyncStream<Void>, acceptingFor: Duration, waitingAtMost: Duration
    ) async throws -> (router: HeaderRouter, port: Int, running: Task<Void, any Error>) {
        let listener = RouterArguments.Listener(port: 0, original: .init(host: "127.0.0.1", port: original.localAddress!.port!))
        let router = HeaderRouter(arguments: RouterArguments(listeners: [listener]), host: "127.0.0.1")
        let (ports, portsGiven) = AsyncStream<Int>.makeStream()
        let running = Task {
            try await router.run(
                ready: { portsGiven.yield($0[0]) }, stopRequested: { for await _ in stop { break } }, acceptingFor: acceptingFor, waitingAtMost: waitingAtMost
            )
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            running.cancel()
            throw TestClientError.closed("the router did not say its port")
        }
        return (router, port, running)
    }

    /// Whether the port refuses connections within half a minute.
    private static func refuses(_ port: Int) async -> Bool {
        for _ in 0..<300 {
            guard let late = try? await TestClient(port: port) else { return true }
            await late.close()
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func aStoppingRouterTakesConnectionsAMomentThenClosesIdleOnesAndEnds() async throws {
        let original = try await TestServers.http(named: "original")
        defer { original.close(promise: nil) }
        let (stop, stopNow) = AsyncStream<Void>.makeStream()
        let (router, port, running) = try await Self.stoppable(to: original, stop: stop, acceptingFor: .seconds(6), waitingAtMost: .seconds(50))
        defer { running.cancel() }
        try await TestClient.with(port: port) { held in
            let before = try await held.get("/before")
            #expect(before.body == "original GET /before route-as=")

            stopNow.yield()
            try await Task.sleep(for: .seconds(1))
            try await TestClient.with(port: port) { client in
                let during = try await client.get("/during")
                #expect(during.body == "original GET /during route-as=", "a connection made while the router stops is served")
            }
            #expect(await Self.refuses(port), "then the listener closes")
            // The connection kept open since before, idle, is closed by the router, which then ends.
            let rest = try await held.readToEnd()
            #expect(rest.isEmpty)
        }
        try await running.value
        #expect(router.openConnections == 0)
    }

    @Test func aStoppingRouterEndsAfterItsWaitThoughAConnectionStaysOpen() async throws {
        let echo = try await TestServers.echo()
        defer { echo.close(promise: nil) }
        let (stop, stopNow) = AsyncStream<Void>.makeStream()
        let (router, port, running) = try await Self.stoppable(to: echo, stop: stop, acceptingFor: .milliseconds(100), waitingAtMost: .milliseconds(500))
        defer { running.cancel() }
        // Not HTTP: relayed byte for byte, and not asked to finish.
        try await TestClient.with(port: port) { client in
            try await client.send([0x16, 0x03, 0x01])
            let echoed = try await client.read(count: 3)
            #expect(echoed == [0x16, 0x03, 0x01])
            stopNow.yield()
            try await running.value
            #expect(router.openConnections == 1)
        }
    }
}
