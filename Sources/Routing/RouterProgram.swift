import BridgeTunnel

/// What the agent image's `router` command does: parse the routing manager's arguments, listen,
/// route until stopped. A failure ends the process with a log line and status 2.
public enum RouterProgram {
    public static func run(_ arguments: [String]) async {
        let parsed: RouterArguments
        do {
            parsed = try RouterArguments.parse(arguments)
        } catch {
            ContainerProcess.fail(error.message, from: "kbridge-router")
        }
        let environment = ContainerProcess.environment()
        let router = HeaderRouter(arguments: parsed, host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0")
        do {
            try await router.run { ports in
                for (listener, port) in zip(parsed.listeners, ports) {
                    let routes = listener.routes.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
                    ContainerProcess.log("listening on \(port): to \(listener.original)\(routes.isEmpty ? "" : "; " + routes.joined(separator: ", "))\(parsed.routeAs.map { "; every request as \($0)" } ?? "")", from: "kbridge-router")
                }
            }
        } catch {
            ContainerProcess.fail("stopped: \(error)", from: "kbridge-router")
        }
    }
}
