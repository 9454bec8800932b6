import BridgeTunnel
import Foundation
import KubernetesClient

/// One `kbridge connect --service echo` run by the benchmark, its command the local echo server
/// (`hello from local`): how long it took to be answered through the cluster, step by step.
struct BenchSession: Sendable {
    /// The steps `connect` reports (`phase` of its JSON events), in order, as a user reads them.
    static let steps: [(phase: String, name: String)] = [
        ("found", "find the service and its workload"),
        ("recorded", "record the session, install its guard"),
        ("patched", "save the original, patch the workload"),
        ("agentReady", "agent pod Ready"),
        ("endpoints", "service's endpoints are the agent only"),
        ("tunnel", "port-forwards open, agent authenticated"),
        ("environment", "pod's environment read"),
        ("listeners", "service addresses and listeners"),
        ("connected", "names written, connected"),
        ("command", "local process started"),
    ]

    let process: WatchedProcess
    let localPort: Int
    /// Seconds from start to each step, and to the first request answered by the local process.
    let stepTimes: [(phase: String, seconds: Double)]
    let firstAnswer: Double
    /// Listener address of each service of the namespace, as the `connected` event lists them.
    let serviceAddresses: [String: String]

    static func start(cluster: BenchCluster, serviceIP: String, extraArguments: [String] = [], label: String) async throws -> BenchSession {
        let localPort = try FreePort.pick()
        let binaries = cluster.binaries
        let process = try WatchedProcess(
            binaries.kbridge,
            ["connect", "--kubeconfig", cluster.kubeconfig, "--service", "echo", "--local-port", String(localPort), "--output", "json"] + extraArguments
                + ["--", binaries.bench, "echo", "--port", String(localPort), "--name", "local"],
            log: cluster.directory.appendingPathComponent("connect-\(label).log")
        )
        // Asked through the service's cluster address until the local process answers.
        var firstAnswer: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .seconds(120)
        while firstAnswer == nil {
            guard process.process.isRunning else { throw process.exited }
            guard ContinuousClock.now < deadline else { throw BenchFailure("the local process was not reached through the cluster within 120 s") }
            let answer = try? await Probes.hello({ try await TunnelRelay.connect(host: serviceIP, port: BenchCluster.echoPort) })
            if answer == "hello from local" { firstAnswer = ContinuousClock.now } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        let connected = try await process.waitForEvent(timeout: .seconds(10)) { $0["event"]?.stringValue == "connected" }
        _ = try await process.waitForEvent(timeout: .seconds(10)) { $0["phase"]?.stringValue == "command" }
        let events = process.events
        let times = steps.compactMap { step -> (String, Double)? in
            let found = events.first { $0.event["phase"]?.stringValue == step.phase || (step.phase == "connected" && $0.event["event"]?.stringValue == "connected") }
            return found.map { (step.phase, Probes.seconds($0.at - process.started)) }
        }
        var addresses: [String: String] = [:]
        for entry in connected.event["services"]?.arrayValue ?? [] {
            let parts = (entry.stringValue ?? "").split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { addresses[parts[0]] = parts[1] }
        }
        return BenchSession(
            process: process, localPort: localPort, stepTimes: times, firstAnswer: Probes.seconds((firstAnswer ?? .now) - process.started), serviceAddresses: addresses
        )
    }

    /// Seconds each step took (from the end of the one before).
    var stepDurations: [(name: String, seconds: Double)] {
        var previous = 0.0
        return stepTimes.map { time in
            defer { previous = time.seconds }
            return (Self.steps.first { $0.phase == time.phase }?.name ?? time.phase, time.seconds - previous)
        }
    }

    /// The session's agent process (the sandbox runs it as a local process): the newest one, as
    /// an earlier session's agent may still be stopping.
    var agentPID: Int32? { ProcessStats.find("kbridge-agent", arguments: ["agent"]).max() }

    func stop() async throws {
        let status = await process.stop()
        guard status == 0 || status == 130 else { throw BenchFailure("kbridge connect ended with \(status)") }
    }
}

/// Picks a free local port by binding port 0 and closing it again.
enum FreePort {
    static func pick() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchFailure("no socket") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw BenchFailure("cannot bind a local port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
