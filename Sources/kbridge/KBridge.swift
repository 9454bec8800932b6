import ArgumentParser

@main
struct KBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kbridge",
        abstract: "Run one service of a Kubernetes application on this computer, connected to the rest of it in the cluster.",
        subcommands: [DemoCommand.self, ListCommand.self, SandboxCommand.self]
    )
}
