import Foundation
import KubernetesClient
@testable import Sandbox
import SandboxTesting
import Testing

/// The built `kbridge` binary, as a user runs it.
@Suite struct CommandLineTests {
    @Test func demoShowsTheWholeStoryAndExitsZero() async throws {
        // The whole story under the suite's load can take minutes; time is not what this test judges.
        let demo = try await Tools.run(Tools.kbridge, ["demo", "--sample", Tools.storefront.path, "--output", "json"], timeout: .seconds(600))
        #expect(demo.status == 0, "\(demo.stdout)\(demo.stderr)")
        let events = demo.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(events.compactMap { $0["step"]?.stringValue } == ["sandbox", "deploy", "wait", "request", "connect", "request-redirected", "disconnect", "restored", "teardown"])
        #expect(events.contains { $0[path: "answer", "api", "inventory", "routeAs"] == "demo" })
        let answers = events.filter { $0["event"] == "answer" }.compactMap { $0[path: "answer", "api", "version"]?.stringValue }
        #expect(answers == ["1", "local"], "the cluster's api answered, then the local one")
        #expect(events.contains { $0["event"] == "connected" }, "the session reported it was connected")
        #expect(events.contains { $0["event"] == "restored" }, "the session reported everything given back")
        #expect(events.last?["event"] == "demo-passed")
    }

    @Test func listServicesPrintsATableAndJSON() async throws {
        try await withTestSandbox(imageFiles: [Tools.storefrontImages]) { sandbox in
            let apply = try await Tools.kubectl(sandbox.kubeconfigPath, ["apply", "-f", Tools.storefrontManifests])
            #expect(apply.status == 0, "\(apply.stderr)")
            _ = try await Tools.kubectl(sandbox.kubeconfigPath, ["wait", "--for=condition=Available", "deployment", "--all", "--timeout=90s"])

            let text = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", sandbox.kubeconfigPath])
            #expect(text.status == 0, "\(text.stderr)")
            let lines = text.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("NAME") == true)
            let web = try #require(lines.first { $0.hasPrefix("web ") })
            #expect(web.contains("8080→http/TCP") && web.contains("app=storefront,component=web") && web.hasSuffix("1"))

            let json = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", sandbox.kubeconfigPath, "--output", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let document = try JSONValue.parse(json.stdout)
            #expect(document["event"] == "services")
            let names = document["services"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == ["api", "inventory", "kubernetes", "web"])
        }
    }

    @Test func listServicesInAMissingNamespaceFailsWithOneLine() async throws {
        try await withTestSandbox() { sandbox in
            let result = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", sandbox.kubeconfigPath, "-n", "nope"])
            #expect(result.status == 1)
            #expect(result.stderr == "error: namespace \"nope\" not found: check -n/--namespace or the context's namespace\n")
            #expect(result.stdout.isEmpty)
        }
    }

    /// Processes whose environment contains `text` (`HOSTNAME=POD`).
    static func processes(withEnvironmentContaining text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return String(decoding: environment, as: UTF8.self).contains(text)
        }
    }

    /// The container processes of the sandbox in `directory`: its files are their root
    /// (`CONTAINER_ROOT` under the folder), or, isolated, their pod's folder is mounted from it
    /// (the folder's own name, random, is in their mount table).
    static func containerProcesses(ofSandboxIn directory: String) -> [Int32] {
        let name = "/" + URL(fileURLWithPath: directory).lastPathComponent + "/"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let mounts = (try? FileHandle(forReadingAtPath: "/proc/\(pid)/mountinfo")?.readToEnd()).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return environment.contains("CONTAINER_ROOT=\(directory)/") || mounts.split(separator: "\n").contains { $0.contains(ContainerLaunch.podMountPoint) && $0.contains(name) }
        }
    }

    @Test func sandboxUpDetachStatusAndDown() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-cli-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let up = try await Tools.run(Tools.kbridge, ["sandbox", "up", "--dir", directory, "--detach", "--images", Tools.storefrontImages])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("sandbox ready: https://127.0.0.1:"))

        let again = try await Tools.run(Tools.kbridge, ["sandbox", "up", "--dir", directory, "--detach"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("a sandbox is already running in \(directory)"))

        let status = try await Tools.run(Tools.kbridge, ["sandbox", "status", "--dir", directory, "-o", "json"])
        #expect(status.status == 0)
        #expect(try JSONValue.parse(status.stdout)["nodes"] == 1)

        let apply = try await Tools.kubectl("\(directory)/kubeconfig", ["apply", "-f", Tools.storefrontManifests])
        #expect(apply.status == 0, "\(apply.stderr)")
        let wait = try await Tools.kubectl("\(directory)/kubeconfig", ["wait", "--for=condition=Available", "deployment", "--all", "--timeout=90s"])
        #expect(wait.status == 0, "\(wait.stderr)")
        let state = try JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/sandbox.json")))
        let pid = try #require(state["pid"]?.intValue)

        let down = try await Tools.run(Tools.kbridge, ["sandbox", "down", "--dir", directory])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(!SandboxDaemon.isAlive(Int32(pid)), "the sandbox process is still running")
        #expect(Self.containerProcesses(ofSandboxIn: directory).isEmpty, "container processes survived the sandbox")

        let after = try await Tools.run(Tools.kbridge, ["sandbox", "status", "--dir", directory])
        #expect(after.status == 3)
    }
}
