import ArgumentParser

struct KBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kbridge",
        abstract: "Run one service of a Kubernetes application on this computer, connected to the rest of it in the cluster.",
        subcommands: [ConnectCommand.self, StatusCommand.self, DiagnosticsCommand.self, DisconnectCommand.self, VSCodeCommand.self, CleanCommand.self, DemoCommand.self, ListCommand.self, SandboxCommand.self, ExecTiedCommand.self]
    )
}
