import NIOCore

/// What the agent image's `agent` command does, wherever it is started from: `kbridge-agent`
/// in the image, or `kbridge agent-image` in a sandbox that kbridge started.
///
/// The session secret comes from `AgentContract.secretVariable` (a Secret the pod spec
/// references); every carrier connection must prove it holds it. The agent listens on every
/// address of the pod, where a kubelet's port-forward (the pod's loopback) and the cluster's
/// callers (the pod IP) both reach it; a platform that gives each pod one address of a shared
/// network (the sandbox) names it in `AgentContract.listenAddressVariable`.
public enum AgentProgram {
    /// Runs the agent with `arguments` (the program name dropped) until it stops; a failure
    /// ends the process with a log line and status 2.
    public static func run(_ arguments: [String]) async {
        // One event loop: every connection the agent relays and the carriers they cross live on
        // it, so a relay passes bytes without changing threads (and the agent stays small).
        NIOSingletons.groupLoopCountSuggestion = 1
        let parsed: AgentContract.Arguments
        do {
            parsed = try AgentContract.Arguments.parse(arguments)
        } catch {
            fail(error.message)
        }
        let environment = ContainerProcess.environment()
        guard let secret = environment[AgentContract.secretVariable], !secret.isEmpty else {
            fail("\(AgentContract.secretVariable) is not set: the agent refuses to run without a session secret")
        }
        var reported = environment
        reported[AgentContract.secretVariable] = nil
        reported[AgentContract.containerRootVariable] = nil
        var configuration = BridgeAgent.Configuration(
            secret: secret, host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0", arguments: parsed,
            environment: reported, log: { log($0) }
        )
        configuration.fileRoot = environment[AgentContract.containerRootVariable] ?? ""
        let agent = BridgeAgent(configuration: configuration)
        do {
            try await agent.run { bound in log("listening: control \(bound[0]), inbound \(bound[1]), service ports \(bound.dropFirst(2).map(String.init).joined(separator: ","))") }
        } catch {
            fail("stopped: \(error)")
        }
    }

    static func log(_ message: String) {
        ContainerProcess.log(message, from: "kbridge-agent")
    }

    static func fail(_ message: String) -> Never {
        ContainerProcess.fail(message, from: "kbridge-agent")
    }
}
