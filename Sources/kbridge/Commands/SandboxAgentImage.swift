import BridgeTunnel
import Foundation

/// The sandbox's registry entry for the agent image: a sandbox that kbridge starts maps the
/// default agent image to this very executable (`kbridge agent-image`, see `Entry`), as a
/// registry would serve the image built from the Containerfile. Whatever else is or is not
/// installed, the sandbox can always run the agent of the kbridge that started it.
enum SandboxAgentImage {
    /// The first argument that makes `kbridge` run as the agent image.
    static let entryArgument = "agent-image"

    /// Writes the image map file into `directory` and returns its path.
    static func mapFile(in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("agent-image.yaml")
        let text = """
            # Written by kbridge: the agent image of this sandbox's registry is kbridge itself.
            images:
              \(AgentImage.default):
                command: [\(Self.quoted(SandboxUp.currentExecutable)), \(entryArgument)]

            """
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// A YAML double-quoted scalar: the executable's path may hold spaces or `#`.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
