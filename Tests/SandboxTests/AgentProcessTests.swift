import BridgeTunnel
import ChildProcesses
import Foundation
import SandboxTesting
import Testing

/// The built `kbridge-agent`, run as a process the way a pod runs it.
@Suite struct AgentProcessTests {
    /// Opens a TCP connection to `port` and resets it at once (SO_LINGER 0).
    static func connectAndReset(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
        close(fd)
    }

    @Test func connectionsResetAtOnceOnEveryPortDoNotStopTheAgent() async throws {
        let ports = (0..<3).map { _ in Storefront.freePort() }
        let folder = NSTemporaryDirectory() + "kbridge-agent-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["KBRIDGE_SESSION_TOKEN"] = "t0ken"
        environment["KBRIDGE_LISTEN_ADDRESS"] = "127.0.0.1"
        let agent = try ChildProcess(spawning: .init(
            executable: Tools.kbridgeAgent,
            arguments: ["agent", "--control-port", String(ports[0]), "--inbound-port", String(ports[1]), "--ports", String(ports[2])],
            environment: environment, output: folder + "/agent.log", errors: folder + "/agent.log"
        ))
        defer {
            kill(agent.pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: folder)
        }
        let listening = await TestSandbox.eventually(timeout: .seconds(30)) {
            guard let probe = try? await TunnelRelay.connect(host: "127.0.0.1", port: ports[2]) else { return false }
            await TunnelRelay.discard(probe)
            return true
        }
        try #require(listening)
        for port in ports {
            for _ in 0..<50 { Self.connectAndReset(port: port) }
        }
        // The agent accepts connections in order on one loop: once a later one is served, the
        // reset ones were handled.
        let control = try await TunnelRelay.connect(host: "127.0.0.1", port: ports[0])
        await TunnelRelay.discard(control)
        let log = (try? String(contentsOfFile: folder + "/agent.log", encoding: .utf8)) ?? ""
        #expect(agent.isRunning, "the agent is still running: \(log)")
    }

    /// The guard Job runs the agent image with `guard …`, the routing manager with
    /// `routing-manager …`: the agent hands both over to `kbridge-guard` beside it (here refusing
    /// command lines without a session or an image), and says so when it is missing.
    @Test func theAgentImageRunsTheGuardBesideTheAgentAndSaysWhenItIsMissing() async throws {
        let folder = NSTemporaryDirectory() + "kbridge-agent-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func run(_ executable: String, _ arguments: [String] = ["guard", "--kind", "Deployment"]) async throws -> (status: Int32, log: String) {
            let log = folder + "/out-\(UUID().uuidString.prefix(8)).log"
            let process = try ChildProcess(spawning: .init(executable: executable, arguments: arguments, environment: [:], output: log, errors: log))
            let status = await process.waitForExit()
            return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        let handedOver = try await run(Tools.kbridgeAgent)
        #expect(handedOver.status != 0)
        #expect(handedOver.log.hasPrefix("kbridge-guard: --session is required"), "the guard itself refused the arguments: \(handedOver.log)")
        let manager = try await run(Tools.kbridgeAgent, ["routing-manager"])
        #expect(manager.status != 0)
        #expect(manager.log.hasPrefix("kbridge-routing-manager: usage: routing-manager --image IMAGE"), "the routing manager itself refused the arguments: \(manager.log)")

        let alone = folder + "/kbridge-agent"
        try FileManager.default.copyItem(atPath: Tools.kbridgeAgent, toPath: alone)
        let missing = try await run(alone)
        #expect(missing.status != 0)
        #expect(missing.log.contains("cannot run \(folder)/kbridge-guard"), "\(missing.log)")
    }
}
