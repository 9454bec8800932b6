import BridgeSession

/// `kbridge-guard`: the session's guard, run in its Job by the agent image (`kbridge-agent guard`
/// hands over to it); see `GuardProgram`.
@main
struct GuardMain {
    static func main() async {
        await GuardProgram.run(Array(CommandLine.arguments.dropFirst()))
    }
}
