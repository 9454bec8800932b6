import BridgeTunnel
import ChildProcesses
import Foundation
import KubernetesClient
import NIOCore

/// A path from this client to an `EchoServer`, and the name its server answers with.
struct BenchPath: Sendable {
    var name: String
    var answers: String
    var open: Opener
}

/// How much each scenario does (`--quick` for a short look).
struct BenchScale: Sendable {
    var roundTrips = 2000
    var opens = 500
    var bulkBytes = 128 << 20
    var bulkRounds = 3
    var concurrentConnections = 1000
    var concurrentRoundTrips = 10
    var serviceCounts = [10, 100, 500]
    var farRoundTrips = 200
    var farBulkBytes = 16 << 20

    static let quick = BenchScale(
        roundTrips: 300, opens: 100, bulkBytes: 32 << 20, bulkRounds: 1, concurrentConnections: 200, concurrentRoundTrips: 3,
        serviceCounts: [10, 100], farRoundTrips: 50, farBulkBytes: 4 << 20
    )
}

/// What a user gets: the sandbox, an echo service redirected to a local echo server by
/// `kbridge connect`, and every figure measured beside its baseline in the same run.
struct EndToEnd {
    let binaries: BenchBinaries
    let scale: BenchScale
    let folder: URL
    let report = Report()

    /// Every scenario on a sandbox (`sandbox`); the far-cluster ones on a second sandbox whose
    /// port-forward is slow (`far`); and the sandbox's scenarios again on the real node of
    /// `realNode` (made ready by its `prepare` script first, after the sandboxes are gone).
    func run(sandbox: Bool, far: Bool, realNode: RealNodeTarget?) async throws {
        say("kbridge-bench end-to-end: release build, \(ProcessInfo.processInfo.activeProcessorCount) cores; work folder \(folder.path)")
        // The local baseline: the same echo server as the pods', in a process of its own.
        let loopbackPort = try FreePort.pick()
        let loopback = try WatchedProcess(binaries.bench, ["echo", "--port", String(loopbackPort), "--name", "loopback", "--host", "127.0.0.1"], log: folder.appendingPathComponent("loopback-echo.log"))
        defer { _ = loopback.process.isRunning ? kill(loopback.pid, SIGKILL) : 0 }
        try await EchoServer.waitUntilAnswering(port: loopbackPort, name: "loopback")
        try await RouterOverhead.measure(binaries: binaries, requests: scale.roundTrips, folder: folder, report: report)

        if sandbox {
            try await on(try await BenchCluster.start(binaries: binaries, directory: folder.appendingPathComponent("near"))) { cluster in
                try await nearScenarios(cluster: cluster, loopbackPort: loopbackPort)
                try await serviceScaling(cluster: cluster)
            }
        }
        if sandbox && far {
            try await on(try await BenchCluster.start(binaries: binaries, directory: folder.appendingPathComponent("far"), portForwardDelayMilliseconds: 10)) { cluster in
                try await farScenarios(cluster: cluster)
            }
        }
        if let realNode {
            let directory = folder.appendingPathComponent("real-node")
            if let prepare = realNode.prepare {
                say("")
                say("preparing the real node (\(prepare); log in \(directory.path)/real-node-up.log)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                // Not Foundation's Process: it left this script unreaped (a zombie) once the script had
                // started the node's daemons, and waited forever.
                let log = directory.appendingPathComponent("real-node-up.log").path
                let script = try ChildProcess(spawning: .init(
                    executable: prepare, arguments: [binaries.folder.path], environment: ProcessInfo.processInfo.environment, output: log, errors: log
                ))
                let status = await script.waitForExit()
                guard status == 0 else { throw BenchFailure("\(prepare) failed (\(status)); see \(directory.path)/real-node-up.log") }
            }
            try await on(try await BenchCluster.onRealNode(admin: realNode.kubeconfig, binaries: binaries, directory: directory)) { cluster in
                try await nearScenarios(cluster: cluster, loopbackPort: loopbackPort)
                try await serviceScaling(cluster: cluster)
            }
        } else {
            report.note("real node: not measured (bench/run measures it where ../shared/real-node can run: as root, without --no-real-node)")
        }
        let json = folder.appendingPathComponent("results.json")
        try report.json().jsonData(pretty: true).write(to: json)
        say("")
        say("figures as JSON: \(json.path)")
    }

    /// Runs `scenarios` on `cluster`, then gives the cluster back whether they failed or not.
    private func on(_ cluster: BenchCluster, _ scenarios: (BenchCluster) async throws -> Void) async throws {
        do { try await scenarios(cluster) } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    // MARK: The cluster as it is

    private func nearScenarios(cluster: BenchCluster, loopbackPort: Int) async throws {
        try await cluster.deployEcho("echo")
        try await cluster.deployEcho("echo2")
        let echo = try await cluster.waitForEcho("echo")
        _ = try await cluster.waitForEcho("echo2")
        let echoIP = try await cluster.clusterIP(of: "echo")
        let echo2IP = try await cluster.clusterIP(of: "echo2")
        let port = BenchCluster.echoPort
        let client = cluster.client

        let loopback = BenchPath(name: "raw loopback (local echo)", answers: "loopback") { try await TunnelRelay.connect(host: "127.0.0.1", port: loopbackPort) }
        let pod = BenchPath(name: "direct to the pod IP", answers: "echo") { try await TunnelRelay.connect(host: echo.ip, port: port) }
        let service = BenchPath(name: "direct: service → pod", answers: "echo") { try await TunnelRelay.connect(host: echoIP, port: port) }
        let portForward = BenchPath(name: "plain port-forward (WebSocket) to the pod", answers: "echo") {
            try await client.portForward(pod: echo.pod, namespace: client.defaultNamespace, port: port)
        }
        // kubectl ≥ 1.31 speaks SPDY tunnelled in a WebSocket, else SPDY: the sandbox serves the
        // v4 WebSocket protocol only, so this baseline is measured where kubectl can use it.
        let kubectl = try KubectlPortForward(kubeconfig: cluster.kubeconfig, pod: echo.pod, port: port, log: cluster.directory.appendingPathComponent("kubectl-port-forward.log"))
        defer { kubectl.stop() }
        var kubectlPaths: [BenchPath] = []
        do {
            let kubectlLocalPort = try await kubectl.waitForLocalPort()
            kubectlPaths = [BenchPath(name: "kubectl port-forward to the pod", answers: "echo") { try await TunnelRelay.connect(host: "127.0.0.1", port: kubectlLocalPort) }]
        } catch {
            report.note("kubectl port-forward: not measured here (\(kubectl.failure ?? "\(error)"))")
        }
        let tunnelPair = try await TunnelPair.start(secret: "bench")
        let tunnelOnly = BenchPath(name: "kbridge tunnel alone, over loopback", answers: "loopback") { try await tunnelPair.dialer.open("127.0.0.1:\(loopbackPort)") }
        let echo2Direct = BenchPath(name: "direct: service echo2 → pod", answers: "echo2") { try await TunnelRelay.connect(host: echo2IP, port: port) }

        // Every baseline first, while the echo pod runs its own server.
        var latency: [String: Summary] = [:]
        var cpu: [String: [(String, Double)]] = [:]
        let clusterProcesses = cluster.processes
        for path in [loopback, pod, service, portForward] + kubectlPaths + [tunnelOnly, echo2Direct] {
            let (summary, cost) = try await measureRoundTrips(path, processes: clusterProcesses)
            latency[path.name] = summary
            cpu[path.name] = cost
        }
        var opens: [String: Summary] = [:]
        for path in [loopback, pod, service, portForward] + kubectlPaths + [tunnelOnly, echo2Direct] {
            opens[path.name] = Summary(try await Probes.opens(path.open, count: scale.opens, expected: path.answers))
        }
        var bulk: [String: (up: Summary, down: Summary)] = [:]
        var bulkCost: [String: (up: [(String, Double)], down: [(String, Double)])] = [:]
        let benchClient: (String, Int32?) = ("bench client", getpid())
        for path in [loopback, pod, service, portForward] + kubectlPaths + [tunnelOnly, echo2Direct] {
            let measured = try await measureBulk(path, processes: path.name == portForward.name ? clusterProcesses + [benchClient] : [])
            bulk[path.name] = (measured.up, measured.down)
            bulkCost[path.name] = (measured.upCost, measured.downCost)
        }
        let directConcurrency = await Probes.concurrent(service.open, connections: scale.concurrentConnections, roundTrips: scale.concurrentRoundTrips)

        // The session.
        let session = try await BenchSession.start(cluster: cluster, serviceIP: echoIP, extraArguments: ["--no-hosts"], label: "near")
        let agentPID = session.agentPID
        let memoryIdle = (cli: ProcessStats.memory(of: session.process.pid), agent: agentPID.flatMap(ProcessStats.memory(of:)))
        guard let echo2Address = session.serviceAddresses["echo2"] else { throw BenchFailure("the session lists no address for echo2") }
        let redirect = BenchPath(name: "through kbridge: service → agent → local", answers: "local") { try await TunnelRelay.connect(host: echoIP, port: port) }
        let outbound = BenchPath(name: "through kbridge: local → echo2 (outbound)", answers: "echo2") { try await TunnelRelay.connect(host: echo2Address, port: port) }
        let localPID = ProcessStats.find("kbridge-bench", arguments: ["echo"], containing: ["local"]).first

        reportConnect(session, scenario: cluster.titled("connect: kbridge connect start → first request answered locally"))

        let sessionProcesses = clusterProcesses + [("agent", agentPID), ("kbridge CLI", session.process.pid), ("local echo", localPID)]
        for path in [redirect, outbound] {
            let (summary, cost) = try await measureRoundTrips(path, processes: sessionProcesses)
            latency[path.name] = summary
            cpu[path.name] = cost
            opens[path.name] = Summary(try await Probes.opens(path.open, count: scale.opens, expected: path.answers))
        }
        let scenario = cluster.titled("round trip, 64 B, \(scale.roundTrips) sequential (µs)")
        for path in [loopback, pod, service, portForward] + kubectlPaths + [tunnelOnly] {
            report.add(Figure(scenario: scenario, path: path.name, unit: "µs", summary: latency[path.name]!, direction: .lowerIsBetter, baseline: path.name == loopback.name ? nil : (loopback.name, latency[loopback.name]!)))
        }
        report.add(Figure(scenario: scenario, path: redirect.name, unit: "µs", summary: latency[redirect.name]!, direction: .lowerIsBetter, baseline: (service.name, latency[service.name]!)))
        report.add(Figure(scenario: scenario, path: redirect.name, unit: "µs", summary: latency[redirect.name]!, direction: .lowerIsBetter, baseline: (portForward.name, latency[portForward.name]!)))
        report.add(Figure(scenario: scenario, path: echo2Direct.name, unit: "µs", summary: latency[echo2Direct.name]!, direction: .lowerIsBetter, baseline: (loopback.name, latency[loopback.name]!)))
        report.add(Figure(scenario: scenario, path: outbound.name, unit: "µs", summary: latency[outbound.name]!, direction: .lowerIsBetter, baseline: (echo2Direct.name, latency[echo2Direct.name]!)))
        reportHops(cluster, latency: latency, cpu: cpu, names: (loopback.name, pod.name, service.name, portForward.name, tunnelOnly.name, redirect.name, outbound.name, echo2Direct.name))

        let openScenario = cluster.titled("connection set-up: open + first byte, \(scale.opens) in a row (µs)")
        for path in [loopback, pod, service, portForward] + kubectlPaths + [tunnelOnly, echo2Direct] {
            report.add(Figure(scenario: openScenario, path: path.name, unit: "µs", summary: opens[path.name]!, direction: .lowerIsBetter, baseline: path.name == loopback.name ? nil : (loopback.name, opens[loopback.name]!)))
        }
        report.add(Figure(scenario: openScenario, path: redirect.name, unit: "µs", summary: opens[redirect.name]!, direction: .lowerIsBetter, baseline: (service.name, opens[service.name]!)))
        report.add(Figure(scenario: openScenario, path: outbound.name, unit: "µs", summary: opens[outbound.name]!, direction: .lowerIsBetter, baseline: (echo2Direct.name, opens[echo2Direct.name]!)))

        for path in [redirect, outbound] {
            let measured = try await measureBulk(path, processes: sessionProcesses + [benchClient])
            bulk[path.name] = (measured.up, measured.down)
            bulkCost[path.name] = (measured.upCost, measured.downCost)
        }
        let memoryBulk = (cli: ProcessStats.memory(of: session.process.pid), agent: agentPID.flatMap(ProcessStats.memory(of:)))
        let bulkScenario = cluster.titled("bulk, one connection, \(scale.bulkBytes >> 20) MiB × \(scale.bulkRounds) (MiB/s; up = client → server, down = server → client)")
        for direction in ["up", "down"] {
            func figure(_ name: String) -> Summary { direction == "up" ? bulk[name]!.up : bulk[name]!.down }
            for path in [loopback, pod, service, portForward] + kubectlPaths + [tunnelOnly] {
                report.add(Figure(scenario: bulkScenario, path: "\(path.name), \(direction)", unit: "MiB/s", summary: figure(path.name), direction: .higherIsBetter, baseline: path.name == loopback.name ? nil : (loopback.name, figure(loopback.name))))
            }
            let redirectNote = direction == "up" ? "cluster caller → local process" : "local process → cluster caller"
            report.add(Figure(scenario: bulkScenario, path: "\(redirect.name), \(direction)", unit: "MiB/s", summary: figure(redirect.name), direction: .higherIsBetter, baseline: (service.name, figure(service.name)), note: redirectNote))
            // The redirect's data crosses the port-forward the other way round: a caller's upload
            // is the pod's download, so it is held to the port-forward in that direction.
            let portForwardCarrying = "\(portForward.name), \(direction == "up" ? "down" : "up")"
            let carried = direction == "up" ? bulk[portForward.name]!.down : bulk[portForward.name]!.up
            report.add(Figure(scenario: bulkScenario, path: "\(redirect.name), \(direction)", unit: "MiB/s", summary: figure(redirect.name), direction: .higherIsBetter, baseline: (portForwardCarrying, carried), note: "the same way through the port-forward"))
            report.add(Figure(scenario: bulkScenario, path: "\(outbound.name), \(direction)", unit: "MiB/s", summary: figure(outbound.name), direction: .higherIsBetter, baseline: (echo2Direct.name, figure(echo2Direct.name)), note: direction == "up" ? "local → cluster" : "cluster → local"))
            report.add(Figure(scenario: bulkScenario, path: "\(outbound.name), \(direction)", unit: "MiB/s", summary: figure(outbound.name), direction: .higherIsBetter, baseline: (portForward.name, figure(portForward.name))))
        }
        reportBulkHops(cluster, cost: bulkCost, paths: [portForward.name, redirect.name, outbound.name])

        let throughKbridge = await Probes.concurrent(redirect.open, connections: scale.concurrentConnections, roundTrips: scale.concurrentRoundTrips)
        let memoryLoad = (cli: ProcessStats.memory(of: session.process.pid), agent: agentPID.flatMap(ProcessStats.memory(of:)))
        // Both give freed memory back every 10 s (`FreedMemory`): what they keep after a burst.
        try await Task.sleep(for: .seconds(12))
        let memorySettled = (cli: ProcessStats.memory(of: session.process.pid), agent: agentPID.flatMap(ProcessStats.memory(of:)))
        let concurrencyScenario = cluster.titled("\(scale.concurrentConnections) concurrent connections × \(scale.concurrentRoundTrips) echoes (µs per echo under that load)")
        report.add(Figure(scenario: concurrencyScenario, path: service.name, unit: "µs", summary: Summary(directConcurrency.samples), direction: .lowerIsBetter, baseline: nil, note: "\(directConcurrency.errors.count) errors"))
        report.add(Figure(scenario: concurrencyScenario, path: redirect.name, unit: "µs", summary: Summary(throughKbridge.samples), direction: .lowerIsBetter, baseline: (service.name, Summary(directConcurrency.samples)), note: "\(throughKbridge.errors.count) errors"))
        for error in Set(throughKbridge.errors + directConcurrency.errors).prefix(3) { report.note("error seen: \(error)") }

        let memoryScenario = cluster.titled("memory: resident set (MB; p99 column = highest so far)")
        for (moment, memory) in [("idle, just connected", memoryIdle), ("after the bulk scenario", memoryBulk), ("after the concurrency scenario", memoryLoad), ("12 s after the concurrency scenario", memorySettled)] {
            if let cli = memory.cli { report.add(Figure(scenario: memoryScenario, path: "kbridge CLI, \(moment)", unit: "MB", summary: Summary.single(cli.now, peak: cli.peak), direction: .lowerIsBetter, baseline: nil, note: Self.anonymousNote(cli.anonymous))) }
            if let agent = memory.agent { report.add(Figure(scenario: memoryScenario, path: "agent, \(moment)", unit: "MB", summary: Summary.single(agent.now, peak: agent.peak), direction: .lowerIsBetter, baseline: nil, note: Self.anonymousNote(agent.anonymous))) }
        }
        try await session.stop()
        await tunnelPair.close()
    }

    private static func anonymousNote(_ megabytes: Double) -> String {
        "of which \(Report.format(megabytes, digits: 1)) MB its own (anonymous), the rest mapped code"
    }

    /// Round trips along `path`, and the CPU each of `processes` spent per round trip meanwhile.
    private func measureRoundTrips(_ path: BenchPath, count: Int? = nil, processes: [(String, Int32?)]) async throws -> (Summary, [(String, Double)]) {
        let count = count ?? scale.roundTrips
        var before: [(String, Double?)] = []
        let samples = try await Probes.roundTrips(path.open, count: count) {
            before = processes.map { ($0.0, $0.1.flatMap(ProcessStats.cpuSeconds(of:))) }
        }
        let cost = zip(processes, before).compactMap { process, start -> (String, Double)? in
            guard let pid = process.1, let start = start.1, let end = ProcessStats.cpuSeconds(of: pid) else { return nil }
            return (process.0, (end - start) / Double(count) * 1e6)
        }
        return (Summary(samples), cost)
    }

    private func measureBulk(_ path: BenchPath, bytes: Int? = nil) async throws -> (up: Summary, down: Summary) {
        let measured = try await measureBulk(path, bytes: bytes, processes: [])
        return (measured.up, measured.down)
    }

    /// Bulk each way along `path`, and the CPU milliseconds each of `processes` spent per MiB moved
    /// in each direction meanwhile (this process is the client at both ends of the probe).
    private func measureBulk(_ path: BenchPath, bytes: Int? = nil, processes: [(String, Int32?)]) async throws -> (up: Summary, down: Summary, upCost: [(String, Double)], downCost: [(String, Double)]) {
        let bytes = bytes ?? scale.bulkBytes
        var up: [Double] = []
        var down: [Double] = []
        var upSeconds = Array(repeating: 0.0, count: processes.count)
        var downSeconds = upSeconds
        func cpu() -> [Double?] { processes.map { $0.1.flatMap(ProcessStats.cpuSeconds(of:)) } }
        func add(_ start: [Double?], to total: inout [Double]) {
            for (index, (start, end)) in zip(start, cpu()).enumerated() {
                if let start, let end { total[index] += end - start }
            }
        }
        do {
            for _ in 0..<scale.bulkRounds {
                let beforeUp = cpu()
                up.append(try await Probes.upload(path.open, bytes: bytes))
                add(beforeUp, to: &upSeconds)
                let beforeDown = cpu()
                down.append(try await Probes.download(path.open, bytes: bytes))
                add(beforeDown, to: &downSeconds)
            }
        } catch {
            throw BenchFailure("bulk on \(path.name): \(error)")
        }
        let mebibytes = Double(bytes * scale.bulkRounds) / Double(1 << 20)
        func perMiB(_ seconds: [Double]) -> [(String, Double)] {
            zip(processes, seconds).filter { $0.0.1 != nil }.map { ($0.0.0, $0.1 / mebibytes * 1e3) }
        }
        return (Summary(up), Summary(down), perMiB(upSeconds), perMiB(downSeconds))
    }

    private func reportConnect(_ session: BenchSession, scenario: String) {
        report.add(Figure(scenario: scenario, path: "kbridge connect → first answer from the local process", unit: "s", summary: Summary.single(session.firstAnswer), direction: .lowerIsBetter, baseline: nil))
        for step in session.stepDurations {
            report.add(Figure(scenario: scenario, path: "  step: \(step.name)", unit: "s", summary: Summary.single(step.seconds), direction: .lowerIsBetter, baseline: nil))
        }
    }

    /// The redirect's and the outbound path's p50 split into the hops that make it up, from paths
    /// measured in the same run that each add one hop; and the CPU each process spends per echo.
    private func reportHops(_ cluster: BenchCluster, latency: [String: Summary], cpu: [String: [(String, Double)]], names: (loopback: String, pod: String, service: String, portForward: String, tunnel: String, redirect: String, outbound: String, echo2: String)) {
        let scenario = cluster.titled("hops of the redirect (p50 µs of a 64 B round trip, by difference of paths measured above; CPU µs per round trip per process)")
        func p50(_ name: String) -> Double { latency[name]?.median ?? 0 }
        let pod = p50(names.pod)
        let kubeProxy = p50(names.service) - pod
        let portForward = p50(names.portForward) - pod
        let tunnel = p50(names.tunnel) - p50(names.loopback)
        let kbridgeOwn = p50(names.redirect) - pod - kubeProxy - portForward
        let rows: [(String, Double)] = [
            ("client ↔ pod, TCP", pod),
            ("kube-proxy (service → pod − pod)", kubeProxy),
            ("port-forward relays: API server + kubelet (plain PF − pod)", portForward),
            ("kbridge's own: agent + tunnel + CLI (redirect − the above)", kbridgeOwn),
            ("  of which HTTP/2 tunnel + relay alone (tunnel over loopback − loopback)", tunnel),
            ("outbound: kbridge's own (outbound − PF relays − service echo2)", p50(names.outbound) - portForward - p50(names.echo2)),
        ]
        for (name, value) in rows { report.add(Figure(scenario: scenario, path: name, unit: "µs", summary: Summary.single(value), direction: .lowerIsBetter, baseline: nil)) }
        for path in [names.portForward, names.redirect, names.outbound] {
            for (process, microseconds) in cpu[path] ?? [] {
                report.add(Figure(scenario: scenario, path: "CPU, \(process), on \(path)", unit: "µs", summary: Summary.single(microseconds), direction: .lowerIsBetter, baseline: nil))
            }
        }
    }

    /// Where the CPU of a bulk transfer goes: milliseconds per MiB moved, per process, each way.
    private func reportBulkHops(_ cluster: BenchCluster, cost: [String: (up: [(String, Double)], down: [(String, Double)])], paths: [String]) {
        let scenario = cluster.titled("hops of bulk (CPU ms per MiB moved, per process; up = client → server)")
        for path in paths {
            guard let cost = cost[path] else { continue }
            for (direction, processes) in [("up", cost.up), ("down", cost.down)] {
                for (process, milliseconds) in processes {
                    report.add(Figure(scenario: scenario, path: "\(process), \(path), \(direction)", unit: "ms", summary: Summary.single(milliseconds), direction: .lowerIsBetter, baseline: nil))
                }
            }
        }
    }

    // MARK: Many services

    private func serviceScaling(cluster: BenchCluster) async throws {
        let echoIP = try await cluster.clusterIP(of: "echo")
        let scenario = cluster.titled("services in the namespace: names and listeners set up (s, from the tunnel open to connected)")
        var created = 0
        for count in scale.serviceCounts {
            while created < count {
                try await cluster.createService("svc-\(created)", selector: .object(["app": "none"]))
                created += 1
            }
            try await waitForEndpointSlices(cluster: cluster, services: created)
            let hosts = cluster.directory.appendingPathComponent("hosts-\(count)")
            try "127.0.0.1 localhost\n".write(to: hosts, atomically: true, encoding: .utf8)
            let session = try await BenchSession.start(cluster: cluster, serviceIP: echoIP, extraArguments: ["--hosts-file", hosts.path], label: "services-\(count)")
            let times = Dictionary(session.stepTimes, uniquingKeysWith: { first, _ in first })
            let setUp = (times["connected"] ?? 0) - (times["tunnel"] ?? 0)
            report.add(Figure(scenario: scenario, path: "\(count + 3) services (\(count) added)", unit: "s", summary: Summary.single(setUp), direction: .lowerIsBetter, baseline: nil, note: "connect → first answer \(Report.format(session.firstAnswer, digits: 2)) s; \(session.serviceAddresses.count) addresses"))
            try await session.stop()
        }
    }

    /// Waits until the endpoints controller wrote a slice for each added service: a real one
    /// writes about 20 objects a second (kube-controller-manager's API rate), and a session started
    /// meanwhile would be timed waiting for the controller's backlog, not for kbridge.
    private func waitForEndpointSlices(cluster: BenchCluster, services: Int) async throws {
        guard let type = await cluster.client.endpointSliceType() else { return }
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let slices = try await cluster.client.listRaw(type).items
            let named = Set(slices.compactMap { $0[path: "metadata", "labels", EndpointSlice.serviceNameLabel]?.stringValue }.filter { $0.hasPrefix("svc-") })
            if named.count >= services { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw BenchFailure("the endpoints controller did not write slices for \(services) services within 120 s")
    }

    // MARK: A far cluster

    private func farScenarios(cluster: BenchCluster) async throws {
        try await cluster.deployEcho("echo")
        let echo = try await cluster.waitForEcho("echo")
        let echoIP = try await cluster.clusterIP(of: "echo")
        let port = BenchCluster.echoPort
        let client = cluster.client
        let portForward = BenchPath(name: "plain port-forward (WebSocket), 20 ms RTT", answers: "echo") { try await client.portForward(pod: echo.pod, namespace: client.defaultNamespace, port: port) }
        let (plainLatency, _) = try await measureRoundTrips(portForward, count: scale.farRoundTrips, processes: [])
        let plainBulk = try await measureBulk(portForward, bytes: scale.farBulkBytes)
        let plainConcurrency = await Probes.concurrent(portForward.open, connections: min(scale.concurrentConnections, 100), roundTrips: scale.concurrentRoundTrips)

        let session = try await BenchSession.start(cluster: cluster, serviceIP: echoIP, extraArguments: ["--no-hosts"], label: "far")
        reportConnect(session, scenario: "far cluster (port-forward relay delays each message 10 ms each way): connect")
        let redirect = BenchPath(name: "through kbridge, 20 ms RTT", answers: "local") { try await TunnelRelay.connect(host: echoIP, port: port) }
        let (redirectLatency, _) = try await measureRoundTrips(redirect, count: scale.farRoundTrips, processes: [])
        let redirectBulk = try await measureBulk(redirect, bytes: scale.farBulkBytes)
        let redirectConcurrency = await Probes.concurrent(redirect.open, connections: scale.concurrentConnections, roundTrips: scale.concurrentRoundTrips)
        try await session.stop()

        let scenario = "far cluster: 20 ms round trip on the port-forward path"
        report.add(Figure(scenario: scenario, path: "round trip, \(portForward.name)", unit: "µs", summary: plainLatency, direction: .lowerIsBetter, baseline: nil))
        report.add(Figure(scenario: scenario, path: "round trip, \(redirect.name)", unit: "µs", summary: redirectLatency, direction: .lowerIsBetter, baseline: (portForward.name, plainLatency)))
        report.add(Figure(scenario: scenario, path: "bulk up, \(portForward.name)", unit: "MiB/s", summary: plainBulk.up, direction: .higherIsBetter, baseline: nil))
        report.add(Figure(scenario: scenario, path: "bulk up, \(redirect.name)", unit: "MiB/s", summary: redirectBulk.up, direction: .higherIsBetter, baseline: ("bulk down, \(portForward.name)", plainBulk.down), note: "cluster caller → local: the port-forward's down"))
        report.add(Figure(scenario: scenario, path: "bulk down, \(portForward.name)", unit: "MiB/s", summary: plainBulk.down, direction: .higherIsBetter, baseline: nil))
        report.add(Figure(scenario: scenario, path: "bulk down, \(redirect.name)", unit: "MiB/s", summary: redirectBulk.down, direction: .higherIsBetter, baseline: ("bulk up, \(portForward.name)", plainBulk.up), note: "local → cluster caller: the port-forward's up"))
        report.add(Figure(scenario: scenario, path: "\(min(scale.concurrentConnections, 100)) concurrent, \(portForward.name) (one each)", unit: "µs", summary: Summary(plainConcurrency.samples), direction: .lowerIsBetter, baseline: nil, note: "\(plainConcurrency.errors.count) errors"))
        report.add(Figure(scenario: scenario, path: "\(scale.concurrentConnections) concurrent, \(redirect.name)", unit: "µs", summary: Summary(redirectConcurrency.samples), direction: .lowerIsBetter, baseline: nil, note: "\(redirectConcurrency.errors.count) errors"))
    }
}

extension Summary {
    /// A figure measured once (`peak`: its highest, in the p99 column).
    static func single(_ value: Double, peak: Double? = nil) -> Summary {
        var summary = Summary([value])
        summary.p99 = peak ?? value
        return summary
    }
}

/// `kubectl port-forward` to a pod, the baseline users know.
final class KubectlPortForward: Sendable {
    let process: WatchedProcess
    let log: URL

    init(kubeconfig: String, pod: String, port: Int, log: URL) throws {
        self.log = log
        let kubectl = ProcessInfo.processInfo.environment["PATH"].flatMap { path in
            path.split(separator: ":").map { "\($0)/kubectl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard let kubectl else { throw BenchFailure("kubectl is not on PATH: the kubectl port-forward baseline needs it") }
        process = try WatchedProcess(kubectl, ["--kubeconfig", kubeconfig, "port-forward", "pod/\(pod)", ":\(port)"], log: log)
    }

    func waitForLocalPort() async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            // "Forwarding from 127.0.0.1:41234 -> 9000"
            for line in process.output where line.text.hasPrefix("Forwarding from 127.0.0.1:") {
                let rest = line.text.dropFirst("Forwarding from 127.0.0.1:".count)
                if let port = Int(rest.prefix { $0.isNumber }) { return port }
            }
            guard process.process.isRunning else { throw BenchFailure("kubectl port-forward ended") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchFailure("kubectl port-forward did not say its local port within 30 s")
    }

    /// What kubectl said when it gave up.
    var failure: String? {
        process.process.isRunning ? nil : (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init)
    }

    func stop() { if process.process.isRunning { kill(process.pid, SIGTERM) } }
}
