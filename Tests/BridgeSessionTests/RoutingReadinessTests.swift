@testable import BridgeSession
import Foundation
import KubernetesClient
import Testing

/// What an isolated session reads back before it says it is connected: every router that may
/// still be sent requests sends its name to its copy.
@Suite struct RoutingReadinessTests {
    static func router(routes: String, phase: String = "Running", deletion: String? = nil, sidecarFirst: Bool = false) -> JSONValue {
        var containers: [JSONValue] = [["name": "router", "args": ["router", "--listen", .string("8080=10.0.0.9:8080\(routes)")]]]
        if sidecarFirst { containers.insert(["name": "proxy", "args": ["run"]], at: 0) }
        var metadata: JSONValue = ["name": "api-routing-router-1"]
        if let deletion { metadata["deletionTimestamp"] = .string(deletion) }
        return ["metadata": metadata, "spec": ["containers": .array(containers)], "status": ["phase": .string(phase)]]
    }

    @Test func aRouterRoutesANameOnlyWhenItsRouterContainerSendsItToTheCopy() {
        #expect(RoutingReadiness.routes(Self.router(routes: ",a=10.1.0.5:8080")["spec"], routeAs: "a", to: "10.1.0.5"))
        #expect(!RoutingReadiness.routes(Self.router(routes: ",a=10.1.0.6:8080")["spec"], routeAs: "a", to: "10.1.0.5"))
        #expect(!RoutingReadiness.routes(Self.router(routes: "")["spec"], routeAs: "a", to: "10.1.0.5"))
        // An injected sidecar placed first does not hide the router.
        #expect(RoutingReadiness.routes(Self.router(routes: ",a=10.1.0.5:8080", sidecarFirst: true)["spec"], routeAs: "a", to: "10.1.0.5"))
    }

    @Test func routersThatEndedOrShouldLongBeGoneAreNotWaitedFor() throws {
        let now = try #require(Timestamp.parse("2026-12-07T12:00:00Z"))
        #expect(RoutingReadiness.mayServe(Self.router(routes: ""), now: now))
        #expect(!RoutingReadiness.mayServe(Self.router(routes: "", phase: "Failed"), now: now))
        #expect(!RoutingReadiness.mayServe(Self.router(routes: "", phase: "Succeeded"), now: now))
        // Being stopped: waited for until a little past its deadline.
        #expect(RoutingReadiness.mayServe(Self.router(routes: "", deletion: "2026-12-07T12:00:04Z"), now: now))
        #expect(RoutingReadiness.mayServe(Self.router(routes: "", deletion: "2026-12-07T11:59:55Z"), now: now))
        #expect(!RoutingReadiness.mayServe(Self.router(routes: "", deletion: "2026-12-07T11:59:45Z"), now: now))
    }
}
