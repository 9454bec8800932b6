import RoutingTesting
import Foundation
import NIOCore
@testable import Routing
import Testing

@Suite struct RouterArgumentsTests {
    @Test func whatTheRoutingManagerWritesTheRouterReads() throws {
        let arguments = RouterArguments(listeners: [
            .init(port: 8080, original: .init(host: "api-cloned-routing-svc", port: 80), routes: ["bob": .init(host: "10.1.2.4", port: 8080), "alice": .init(host: "10.1.2.3", port: 8080)]),
            .init(port: 9090, original: .init(host: "fd00::1", port: 90)),
        ], routeAs: "alice")
        #expect(arguments.encoded == [
            "router", "--listen", "8080=api-cloned-routing-svc:80,alice=10.1.2.3:8080,bob=10.1.2.4:8080",
            "--listen", "9090=[fd00::1]:90", "--route-as", "alice",
        ])
        #expect(try RouterArguments.parse(arguments.encoded) == arguments)
    }

    @Test(arguments: [
        (["router"], "no --listen given"),
        (["router", "--listen", "8080"], "expected PORT=HOST:PORT first"),
        (["router", "--listen", "8080=svc"], "svc is not HOST:PORT"),
        (["router", "--listen", "8080=svc:80,Alice=1.2.3.4:80"], "\"Alice\" is not a DNS label"),
        (["router", "--listen", "8080=svc:80,a=1.2.3.4:80,a=1.2.3.5:80"], "a is routed twice"),
        (["router", "--listen", "8080=svc:80", "--listen", "8080=other:80"], "given to --listen twice"),
        (["router", "--listen", "8080=svc:80", "--route-as", "-x"], "\"-x\" is not a DNS label"),
        (["router", "--listen", "8080=svc:80", "--wat", "1"], "unknown option --wat"),
        (["agent"], "usage: kbridge-agent router"),
    ])
    func badArgumentsAreRefusedSayingWhy(arguments: [String], message: String) {
        #expect(throws: RouterArgumentError.self) { try RouterArguments.parse(arguments) }
        do {
            _ = try RouterArguments.parse(arguments)
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func routingNamesAreDNSLabels() {
        #expect(RouteAs.problem(with: "alice-1a2b") == nil)
        #expect(RouteAs.problem(with: "a") == nil)
        #expect(RouteAs.problem(with: "") != nil)
        #expect(RouteAs.problem(with: String(repeating: "a", count: 64)) != nil)
        #expect(RouteAs.problem(with: "alice_1") != nil)
        #expect(RouteAs.problem(with: "alice-") != nil)
        #expect(RouteAs.problem(with: "Alice") != nil)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n", FirstBytes.http1),
        ("POST /x?y=1 HTTP/1.0\r\nHost: a\r\n", .http1),
        ("GET / HTTP/1.1", .undecided),
        ("G", .undecided),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .http2),
        ("PRI * HTTP/2", .undecided),
        ("GET / HTTP/2.0\r\n", .other),
        ("HELLO\r\n", .other),
        ("\u{16}\u{03}\u{01}", .other),
        ("get / HTTP/1.1\r\n", .other),
    ])
    func theFirstBytesTellWhatAClientSpeaks(bytes: String, kind: FirstBytes) {
        #expect(FirstBytes.classify(ByteBuffer(string: bytes).readableBytesView) == kind)
    }
}

@Suite struct ServerPrefaceTests {
    @Test func anHTTP2ServersSettingsAreToldFromAGreeting() {
        // SETTINGS, 12 bytes of settings, stream 0; then a MySQL greeting; then SMTP's.
        #expect(FirstBytes.isHTTP2ServerPreface(ByteBuffer(bytes: [0, 0, 12, 4, 0, 0, 0, 0, 0] + Array(repeating: 1, count: 12)).readableBytesView) == true)
        #expect(FirstBytes.isHTTP2ServerPreface(ByteBuffer(bytes: [0x4a, 0, 0, 0, 0x0a, 0x38, 0x2e, 0x30, 0x2e]).readableBytesView) == false)
        #expect(FirstBytes.isHTTP2ServerPreface(ByteBuffer(string: "220 mail ESMTP\r\n").readableBytesView) == false)
        #expect(FirstBytes.isHTTP2ServerPreface(ByteBuffer(bytes: [0, 0, 12, 4, 0]).readableBytesView) == nil)
        #expect(FirstBytes.isHTTP2ServerPreface(ByteBuffer(bytes: [0, 0, 0, 5]).readableBytesView) == false)
    }
}
