import ArgumentParser
import BridgeSession
import BridgeTunnel
import Routing

/// The `kbridge` executable: the CLI, and also the agent image of a sandbox that kbridge starts.
///
/// `kbridge agent-image ARGS...` behaves as the agent image's entry point does with ARGS
/// (`agent`, `router`, `guard`, `routing-manager`), so a sandbox needs nothing but `kbridge` itself to run the
/// agent: not a `kbridge-agent` built or installed beside it (`swift run kbridge` builds the
/// `kbridge` product alone). Real clusters run the image built from the Containerfile.
@main
enum Entry {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == SandboxAgentImage.entryArgument else {
            await runCLI(arguments)
            return
        }
        let imageArguments = Array(arguments.dropFirst())
        if let command = imageArguments.first, AgentContract.clusterCommands.contains(command) {
            await ClusterProgram.run(imageArguments)
        }
        if imageArguments.first == RouterArguments.command {
            await RouterProgram.run(imageArguments)
            return
        }
        await AgentProgram.run(imageArguments)
    }

    /// As `KBridge.main()`, with one more check on what was typed (`RepeatedOptionCheck`).
    private static func runCLI(_ arguments: [String]) async {
        do {
            var command = try KBridge.parseAsRoot(arguments)
            try RepeatedOptionCheck.check(arguments, command: type(of: command))
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            KBridge.exit(withError: error)
        }
    }
}
