import BridgeSession
import Foundation

/// The sandbox's registry entry for the agent image: a sandbox that kbridge starts maps the
/// default agent image to the `kbridge-agent` binary installed beside `kbridge`, as a registry
/// would serve the image built from the Containerfile.
enum SandboxAgentImage {
    /// Writes the image map file into `directory` and returns its path; nil when no
    /// `kbridge-agent` is installed beside this executable.
    static func mapFile(in directory: URL) -> String? {
        let agent = URL(fileURLWithPath: SandboxUp.currentExecutable).deletingLastPathComponent().appendingPathComponent("kbridge-agent").path
        guard FileManager.default.isExecutableFile(atPath: agent) else { return nil }
        let file = directory.appendingPathComponent("agent-image.yaml")
        let text = """
            # Written by kbridge: the agent image of this sandbox's registry.
            images:
              \(AgentImage.default):
                command: [\(agent)]

            """
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        } catch {
            return nil
        }
        return file.path
    }
}
