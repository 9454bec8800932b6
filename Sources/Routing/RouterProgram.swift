import BridgeTunnel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the agent image's `router` command does: parse the routing manager's arguments, listen,
/// route until stopped. A failure ends the process with a log line and status 2.
public enum RouterProgram {
    /// How a router stops on SIGTERM: within the routers' grace period (`RoutePlan`, 5 s), after
    /// the nodes have had time to drop its address.
    static let acceptingFor: Duration = .seconds(2)
    static let waitingAtMost: Duration = .seconds(2)

    public static func run(_ arguments: [String]) async {
        let parsed: RouterArguments
        do {
            parsed = try RouterArguments.parse(arguments)
        } catch {
            ContainerProcess.fail(error.message, from: "kbridge-router")
        }
        let environment = ContainerProcess.environment()
        let router = HeaderRouter(arguments: parsed, host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0")
        let (stop, stopRequested) = AsyncStream<Void>.makeStream()
        let signals = SignalWatch(signals: [SIGTERM]) { _ in stopRequested.yield() }
        defer { signals.cancel() }
        do {
            try await router.run(ready: { ports in
                for (listener, port) in zip(parsed.listeners, ports) {
                    let routes = listener.routes.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
                    ContainerProcess.log("listening on \(port): to \(listener.original)\(routes.isEmpty ? "" : "; " + routes.joined(separator: ", "))\(parsed.routeAs.map { "; every request as \($0)" } ?? "")", from: "kbridge-router")
                }
            }, stopRequested: {
                for await _ in stop { break }
                guard !Task.isCancelled else { return }
                ContainerProcess.log("stopping: taking connections for \(acceptingFor) more, then waiting for open ones", from: "kbridge-router")
            }, acceptingFor: acceptingFor, waitingAtMost: waitingAtMost)
            ContainerProcess.log("stopped (\(router.openConnections) connections still open)", from: "kbridge-router")
        } catch {
            ContainerProcess.fail("stopped: \(error)", from: "kbridge-router")
        }
    }
}
