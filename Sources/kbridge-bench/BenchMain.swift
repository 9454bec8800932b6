import BridgeTunnel
import Foundation

/// `kbridge-bench`: what a kbridge user gets, measured beside the direct paths in one run.
///
/// ```
/// kbridge-bench [--quick] [--no-sandbox] [--no-far] [--real-node KUBECONFIG [--real-node-up SCRIPT]] [--folder DIR]
///                                                      the end-to-end benchmark (bench/run)
/// kbridge-bench echo --port P [--name N] [--host H]    the echo server the pods and the local process run
/// ```
@main
struct BenchMain {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "echo" {
            await runEcho(Array(arguments.dropFirst()))
            return
        }
        let quick = arguments.contains("--quick")
        let sandbox = !arguments.contains("--no-sandbox")
        let far = !arguments.contains("--no-far")
        var folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-bench-\(getpid())")
        if let index = arguments.firstIndex(of: "--folder"), index + 1 < arguments.count {
            folder = URL(fileURLWithPath: arguments[index + 1])
            arguments.removeSubrange(index...index + 1)
        }
        func take(_ option: String) -> String? {
            guard let index = arguments.firstIndex(of: option), index + 1 < arguments.count else { return nil }
            defer { arguments.removeSubrange(index...index + 1) }
            return arguments[index + 1]
        }
        let realNode = take("--real-node").map { RealNodeTarget(kubeconfig: $0, prepare: take("--real-node-up")) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try await EndToEnd(binaries: .beside(), scale: quick ? .quick : BenchScale(), folder: folder).run(sandbox: sandbox, far: far, realNode: realNode)
        } catch {
            say("kbridge-bench: \(error)")
            say("logs: \(folder.path)")
            exit(1)
        }
    }

    /// Serves on `--host`, else `$KBRIDGE_LISTEN_ADDRESS` (a sandbox pod's address, 127.0.0.1 for
    /// the local process), else every address (a real pod's); answers
    /// `hello from` `--name`, else `$ECHO_NAME`.
    static func runEcho(_ arguments: [String]) async {
        let environment = ProcessInfo.processInfo.environment
        func value(_ option: String) -> String? {
            arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        guard let port = value("--port").flatMap(Int.init) else {
            say("usage: kbridge-bench echo --port P [--name N] [--host H]")
            exit(2)
        }
        let name = value("--name") ?? environment["ECHO_NAME"] ?? "echo"
        let host = value("--host") ?? environment[AgentContract.listenAddressVariable] ?? "0.0.0.0"
        do {
            _ = try await EchoServer.start(host: host, port: port, name: name)
            while true { try await Task.sleep(for: .seconds(3600)) }
        } catch {
            say("kbridge-bench echo: \(error)")
            exit(1)
        }
    }
}
