import ChildProcesses
import Foundation
import KubernetesClient
import Sandbox
import SandboxTesting
import Testing

/// `kbridge sandbox down` leaves nothing of the sandbox running, even a container that was
/// being started while the sandbox shut down.
@Suite struct SandboxShutdownTests {
    @Test func downRacingAPodStartLeavesNoProcessOfTheSandbox() async throws {
        let manifest = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-race-\(UUID().uuidString.prefix(8)).json")
        try #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"racer"},"spec":{"containers":[{"name":"app","image":"storefront/inventory:1"}]}}"#
            .write(to: manifest, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: manifest) }
        // Each round stops the sandbox a little later after the pod was created: somewhere among
        // them is the moment the kubelet spawns the container.
        for round in 0..<8 {
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-race-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let up = try await Tools.run(Tools.kbridge, ["sandbox", "up", "--dir", directory, "--detach", "--images", Tools.storefrontImages])
            try #require(up.status == 0, "\(up.stderr)")
            let state = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(directory)/sandbox.json")))
            let session = pid_t(try #require(state["pid"]?.intValue))

            let create = try await Tools.kubectl("\(directory)/kubeconfig", ["create", "-f", manifest.path])
            #expect(create.status == 0, "\(create.stderr)")
            try await Task.sleep(for: .milliseconds(40 * round))
            let down = try await Tools.run(Tools.kbridge, ["sandbox", "down", "--dir", directory])
            #expect(down.status == 0, "round \(round): \(down.stderr)")
            let left = ProcessLiveness.members(ofSession: session)
            #expect(left.isEmpty, "round \(round): processes of the sandbox's session still run: \(left.map { Self.commandLine($0) })")
            for pid in left { kill(pid, SIGKILL) }
        }
    }

    static func commandLine(_ pid: pid_t) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return "\(pid): " + data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }
}

extension SandboxShutdownTests {
    /// The same race in a sandbox run inside a process that goes on (the demo, the tests): the
    /// kubelet itself starts nothing once it stops, and stops what it started.
    @Test func stoppingAnInProcessSandboxRacingAPodStartLeavesNoContainer() async throws {
        for round in 0..<8 {
            let sandbox = try await TestSandbox.start(imageFiles: [Tools.storefrontImages])
            let client = try sandbox.client()
            _ = try await client.createRaw(.pods, [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "racer"],
                "spec": ["containers": [["name": "app", "image": "storefront/inventory:1"]]],
            ], namespace: "default")
            try await Task.sleep(for: .milliseconds(25 * round))
            await sandbox.stop()
            let left = CommandLineTests.containerProcesses(ofSandboxIn: sandbox.directory.path)
            #expect(left.isEmpty, "round \(round): container processes outlived the sandbox: \(left.map { Self.commandLine($0) })")
            for pid in left { kill(pid, SIGKILL) }
        }
    }
}
