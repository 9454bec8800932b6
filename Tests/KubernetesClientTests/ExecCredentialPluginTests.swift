import Foundation
import Testing

@testable import KubernetesClient

@Suite struct ExecCredentialPluginTests {
    static var script: String {
        Bundle.module.url(forResource: "Fixtures/exec-credential-plugin", withExtension: "sh")!.path
    }

    private func plugin(_ apiVersion: String = "client.authentication.k8s.io/v1", environment: [String: String]) -> ExecCredentialPlugin {
        var base = ProcessInfo.processInfo.environment
        base.merge(environment) { $1 }
        return ExecCredentialPlugin(config: .init(apiVersion: apiVersion, command: Self.script), environment: base)
    }

    private func runs(_ file: String) -> Int {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test(arguments: ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"])
    func returnsTheTokenThePluginPrints(_ apiVersion: String) async throws {
        let credential = try await plugin(apiVersion, environment: ["PLUGIN_TOKEN": "from-plugin"]).credential()
        #expect(credential.token == "from-plugin")
        #expect(credential.expiration == nil)
    }

    @Test func cachesTheCredentialUntilItExpires() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let calls = folder.url.appendingPathComponent("calls").path
        let expires = Timestamp.format(Date().addingTimeInterval(3600))
        let cached = plugin(environment: ["PLUGIN_TOKEN": "t", "PLUGIN_CALLS": calls, "PLUGIN_EXPIRES": expires])
        _ = try await cached.credential()
        _ = try await cached.credential()
        #expect(runs(calls) == 1)
        _ = try await cached.credential(now: Date().addingTimeInterval(7200))
        #expect(runs(calls) == 2)
    }

    @Test func runsAgainAfterTheServerRejectsTheCredential() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let calls = folder.url.appendingPathComponent("calls").path
        let forever = plugin(environment: ["PLUGIN_TOKEN": "t", "PLUGIN_CALLS": calls])
        _ = try await forever.credential()
        await forever.invalidate()
        _ = try await forever.credential()
        #expect(runs(calls) == 2)
    }

    @Test func aFailingPluginSaysWhatItPrinted() async {
        do {
            _ = try await plugin(environment: ["PLUGIN_FAIL": "not logged in"]).credential()
            Issue.record("expected a failure")
        } catch {
            #expect(String(describing: error).contains("exited with status 3: plugin: not logged in"))
        }
    }

    @Test func aMissingPluginSaysHowToFixIt() async {
        let missing = ExecCredentialPlugin(config: .init(apiVersion: "client.authentication.k8s.io/v1", command: "no-such-kube-plugin"), environment: ["PATH": "/usr/bin"])
        do {
            _ = try await missing.credential()
            Issue.record("expected a failure")
        } catch {
            #expect(String(describing: error).contains("exec credential plugin \"no-such-kube-plugin\" not found"))
        }
    }
}
