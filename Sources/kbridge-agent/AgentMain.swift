import BridgeTunnel
import NIOCore

/// `kbridge-agent`: what runs in the cluster.
///
/// ```
/// kbridge-agent agent [--control-port 7300] [--inbound-port 7301] [--ports 8080,9090]
/// kbridge-agent guard --session ID --kind Deployment --name api --ttl 30 --original-digest D
/// ```
/// `agent` stands in for the app's container (below); `guard` runs in the session's guard Job
/// with its own ServiceAccount: the agent hands over to `kbridge-guard`, installed beside it. (The
/// agent links NIO and nothing of Foundation or the Kubernetes client, which would be half its
/// memory in every redirected pod.)
///
/// The session secret comes from `AgentContract.secretVariable` (a Secret the pod spec
/// references); every carrier connection must prove it holds it. The agent listens on every
/// address of the pod, where a kubelet's port-forward (the pod's loopback) and the cluster's
/// callers (the pod IP) both reach it; a platform that gives each pod one address of a shared
/// network (the sandbox) names it in `AgentContract.listenAddressVariable`.
@main
struct AgentMain {
    static func main() async {
        // One event loop: every connection the agent relays and the carriers they cross live on
        // it, so a relay passes bytes without changing threads (and the agent stays small).
        NIOSingletons.groupLoopCountSuggestion = 1
        if CommandLine.arguments.dropFirst().first == AgentContract.guardCommand {
            let guardPath = ContainerProcess.beside(AgentContract.guardProgram)
            let reason = ContainerProcess.execute(guardPath, arguments: Array(CommandLine.arguments.dropFirst(2)))
            fail("cannot run the guard \(guardPath): \(reason) (the agent image holds kbridge-guard beside kbridge-agent)")
        }
        let arguments: AgentContract.Arguments
        do {
            arguments = try AgentContract.Arguments.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail(error.message)
        }
        let environment = ContainerProcess.environment()
        guard let secret = environment[AgentContract.secretVariable], !secret.isEmpty else {
            fail("\(AgentContract.secretVariable) is not set: the agent refuses to run without a session secret")
        }
        var reported = environment
        reported[AgentContract.secretVariable] = nil
        let agent = BridgeAgent(configuration: .init(
            secret: secret, host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0", arguments: arguments,
            environment: reported, log: { log($0) }
        ))
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
