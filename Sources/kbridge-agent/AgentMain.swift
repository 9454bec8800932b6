import BridgeTunnel
import Routing

/// `kbridge-agent`: what runs in the cluster.
///
/// ```
/// kbridge-agent agent [--control-port 7300] [--inbound-port 7301] [--ports 8080,9090]
/// kbridge-agent router --listen 8080=10.96.0.12:80,alice=10.1.2.3:8080
/// kbridge-agent guard --session ID --kind Deployment --name api --ttl 30 --original-digest D
/// kbridge-agent routing-manager --image IMAGE
/// ```
/// `agent` stands in for the app's container (`AgentProgram`); `router` is isolation mode's
/// header router (`HeaderRouter`). `guard` (the session's guard Job) and `routing-manager`
/// (isolation mode's routing manager) talk to the API server: the agent hands them over to
/// `kbridge-guard`, installed beside it (`ClusterProgram`). (The agent links NIO and nothing of
/// Foundation or the Kubernetes client, which would be half its memory in every redirected pod.)
@main
struct AgentMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let command = arguments.first, AgentContract.clusterCommands.contains(command) {
            let program = ContainerProcess.beside(AgentContract.clusterProgram)
            let reason = ContainerProcess.execute(program, arguments: arguments)
            ContainerProcess.fail("cannot run \(program): \(reason) (the agent image holds \(AgentContract.clusterProgram) beside kbridge-agent)", from: "kbridge-agent")
        }
        if arguments.first == RouterArguments.command {
            await RouterProgram.run(arguments)
            return
        }
        await AgentProgram.run(arguments)
    }
}
