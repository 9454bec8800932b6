import BridgeTunnel
import Routing

/// `kbridge-agent`: what runs in the cluster.
///
/// ```
/// kbridge-agent agent [--control-port 7300] [--inbound-port 7301] [--ports 8080,9090]
/// kbridge-agent guard --session ID --kind Deployment --name api --ttl 30 --original-digest D
/// kbridge-agent router --listen 8080=api-cloned-routing-svc:80,alice=10.1.2.3:8080
/// ```
/// `agent` stands in for the app's container (`AgentProgram`); `guard` runs in the session's
/// guard Job with its own ServiceAccount: the agent hands over to `kbridge-guard`, installed
/// beside it; `router` is isolation mode's header router (`HeaderRouter`). (The agent links NIO and nothing of Foundation or the Kubernetes client, which
/// would be half its memory in every redirected pod.)
@main
struct AgentMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == AgentContract.guardCommand {
            let guardPath = ContainerProcess.beside(AgentContract.guardProgram)
            let reason = ContainerProcess.execute(guardPath, arguments: Array(arguments.dropFirst()))
            ContainerProcess.fail("cannot run the guard \(guardPath): \(reason) (the agent image holds kbridge-guard beside kbridge-agent)", from: "kbridge-agent")
        }
        if arguments.first == RouterArguments.command {
            await RouterProgram.run(arguments)
            return
        }
        await AgentProgram.run(arguments)
    }
}
