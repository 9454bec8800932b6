import BridgeSession

/// `kbridge-guard`: the agent image's programs that talk to the API server (the session's guard,
/// isolation mode's routing manager), started by `kbridge-agent`, which hands them over; see
/// `ClusterProgram`.
@main
struct GuardMain {
    static func main() async {
        await ClusterProgram.run(Array(CommandLine.arguments.dropFirst()))
    }
}
