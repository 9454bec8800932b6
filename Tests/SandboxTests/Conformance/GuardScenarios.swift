import BridgeSession
import ChildProcesses
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// `kill -9` of `kbridge connect` at each step of a session, for each kind of workload: the
/// session's guard in the cluster gives the workload back with no command run, nothing of the
/// session is left in the cluster, and `kbridge clean` removes what is left on this machine.
enum GuardScenarios {
    /// The steps to kill at, as `connect -o json` names them in its events.
    static let steps = ["recorded", "patched", "agentReady", "tunnel", "command", "giveBack"]

    /// The lease's lifetime in these tests: short, so that the guard acts soon.
    static let ttl = 5

    static func killedAtEveryStepIsGivenBackByTheGuard(_ storefront: Storefront, kind: WorkloadReference.Kind) async throws {
        let service = try await GuardWorkloads.create(kind, in: storefront)
        var timings: [String] = []
        for step in steps {
            let measured = try await killedAt(step, service: service, kind: kind, storefront: storefront)
            timings.append("\(step): \(measured.map { String(format: "%.1fs", Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) } ?? "-")")
        }
        // For the closing note: how long the guard took from the kill to the workload given back.
        print("guard timings (\(kind.rawValue), ttl \(ttl)s): \(timings.joined(separator: ", "))")
    }

    /// Kills connect at `step`, waits for the guard, then runs `kbridge clean`; returns how long
    /// after the kill the cluster was as before.
    static func killedAt(_ step: String, service: String, kind: WorkloadReference.Kind, storefront: Storefront) async throws -> Duration? {
        // The workload given back at the previous step runs again (a real kubelet takes a while).
        let running = await TestSandbox.eventually(timeout: .seconds(120)) { try await storefront.sample.hasReadyEndpoint(service: service) }
        try #require(running, "\(kind.rawValue) \(service) has a ready pod before the kill at \(step)")
        let before = try await GuardWorkloads.state(storefront, service: service, kind: kind)
        let hosts = try Storefront.hostsCopy()
        let hostsBefore = try Data(contentsOf: hosts)
        let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        let output = records + "/connect.out"
        // At the give-back step the command ends by itself so that the session gives back.
        let command = step == "giveBack" ? "sleep 1" : "exec sleep 600"
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = records
        let pid = try ProcessSpawner.spawn(.init(
            executable: Tools.kbridge,
            arguments: [
                "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", service, "--local-port", String(Storefront.freePort()),
                "--hosts-file", hosts.path, "--ttl", String(ttl), "-o", "json", "--", "sh", "-c", command,
            ],
            environment: environment, output: output
        ))
        let reached = await TestSandbox.eventually(timeout: .seconds(180)) {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains(#""phase":"\#(step)""#)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let killedAt = ContinuousClock.now
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        try #require(reached, "connect reached step \(step) (\(kind.rawValue)): \(printed)")

        // The guard alone: the workload as it was, no Lease, Secret or guard left.
        var after = before
        let givenBack = await TestSandbox.eventually(timeout: .seconds(180)) {
            after = try await GuardWorkloads.state(storefront, service: service, kind: kind)
            return after == before
        }
        let took = ContinuousClock.now - killedAt
        #expect(givenBack, "killed at \(step) (\(kind.rawValue)), the guard gave back everything:\n\(GuardWorkloads.difference(before, after))\nconnect printed:\n\(printed)")

        let clean = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath, "--hosts-file", hosts.path], environment: ["TMPDIR": records])
        #expect(clean.status == 0, "\(clean.stderr)")
        // What clean deletes, the garbage collector finishes (the guard's pod goes with its Job).
        var cleaned = after
        _ = await TestSandbox.eventually(timeout: .seconds(60)) {
            cleaned = try await GuardWorkloads.state(storefront, service: service, kind: kind)
            return cleaned == before
        }
        #expect(cleaned == before, "after kbridge clean (killed at \(step), \(kind.rawValue)):\n\(GuardWorkloads.difference(before, cleaned))")
        #expect(try Data(contentsOf: hosts) == hostsBefore, "kbridge clean removed the hosts block (killed at \(step), \(kind.rawValue))")
        let again = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath, "--hosts-file", hosts.path], environment: ["TMPDIR": records])
        #expect(again.stdout.contains("nothing to clean"), "clean is idempotent: \(again.stdout)\(again.stderr)")
        return givenBack ? took : nil
    }
}

extension GuardScenarios {
    /// This machine sleeps (the CLI is stopped) longer than the Lease lives: the guard gives the
    /// workload back meanwhile; the CLI, woken, says so, removes its hosts block and ends non-zero.
    static func aSessionThatWakesAfterItsGuardActedSaysSoAndEnds(_ storefront: Storefront) async throws {
        let before = try await GuardWorkloads.state(storefront, service: "api", kind: .deployment)
        let hosts = try Storefront.hostsCopy()
        let hostsBefore = try Data(contentsOf: hosts)
        let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        let output = records + "/connect.out"
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = records
        let pid = try ProcessSpawner.spawn(.init(
            executable: Tools.kbridge,
            arguments: [
                "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", "api", "--local-port", String(Storefront.freePort()),
                "--hosts-file", hosts.path, "--ttl", String(ttl), "-o", "json", "--", "sh", "-c", "exec sleep 600",
            ],
            environment: environment, output: output
        ))
        defer { kill(pid, SIGKILL) }
        let connected = await TestSandbox.eventually(timeout: .seconds(180)) {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains(#""phase":"command""#)
        }
        try #require(connected, "connected: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        kill(pid, SIGSTOP)
        let givenBack = await TestSandbox.eventually(timeout: .seconds(120)) {
            try await GuardWorkloads.state(storefront, service: "api", kind: .deployment) == before
        }
        kill(pid, SIGCONT)
        #expect(givenBack, "the guard gave the deployment back while the CLI slept")
        var status: Int32 = 0
        let ended = await TestSandbox.eventually(timeout: .seconds(60)) { waitpid(pid, &status, WNOHANG) == pid }
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(ended, "the CLI ended once awake: \(printed)")
        #expect(ProcessSpawner.exitCode(fromWaitStatus: status) == 1, "\(printed)")
        #expect(printed.contains("the cluster's guard gave deployment \\\"api\\\""), "\(printed)")
        #expect(try Data(contentsOf: hosts) == hostsBefore, "the CLI removed its hosts block")
        #expect(try await GuardWorkloads.state(storefront, service: "api", kind: .deployment) == before)
    }
}

extension GuardScenarios {
    /// What someone deletes of a session's guard while it runs.
    enum Deleted: String, CaseIterable, Sendable {
        case lease, job
    }

    /// The session's Lease (or the guard's Job) is deleted mid-session: the CLI notices, installs
    /// the guard again and says so; a `kill -9` afterwards is still given back by the new guard.
    static func aGuardDeletedUnderTheSessionIsInstalledAgain(_ storefront: Storefront, deleting deleted: Deleted) async throws {
        let client = storefront.client
        let before = try await GuardWorkloads.state(storefront, service: "api", kind: .deployment)
        let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        let output = records + "/connect.out"
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = records
        let pid = try ProcessSpawner.spawn(.init(
            executable: Tools.kbridge,
            arguments: [
                "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", "api", "--local-port", String(Storefront.freePort()),
                "--no-hosts", "--ttl", String(ttl), "-o", "json", "--", "sh", "-c", "exec sleep 600",
            ],
            environment: environment, output: output
        ))
        defer { kill(pid, SIGKILL) }
        let printed = { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        let connected = await TestSandbox.eventually(timeout: .seconds(180)) { printed().contains(#""phase":"command""#) }
        try #require(connected, "connected: \(printed())")
        let events = printed().split(separator: "\n").compactMap { line -> JSONValue? in try? JSONValue.parse(Data(line.utf8)) }
        let sessions = events.compactMap { event -> String? in event["session"]?.stringValue }
        let session = try #require(sessions.first, "the events name the session: \(printed())")
        let leaseName = ClusterNames.session(session)
        let firstMark = try await client.getRaw(.leases, name: leaseName)[path: "metadata", "annotations", ClusterNames.aliveAnnotation]?.stringValue
        let firstGuard = try #require(firstMark.flatMap { $0.split(separator: " ").first }.map(String.init), "the guard marked its lease")
        switch deleted {
        case .lease: try await client.delete(.leases, name: leaseName)
        case .job: try await client.delete(.jobs, name: ClusterNames.guardName(session))
        }

        // A guard of another pod marks the Lease again: the new guard watches.
        let watchedAgain = await TestSandbox.eventually(timeout: .seconds(120)) {
            let mark = try? await client.getRaw(.leases, name: leaseName)[path: "metadata", "annotations", ClusterNames.aliveAnnotation]?.stringValue
            return mark.map { !$0.hasPrefix(firstGuard + " ") } ?? false
        }
        #expect(watchedAgain, "a new guard watches the session (deleted: \(deleted)): \(printed())")
        let said = deleted == .lease ? "lost its lease \(leaseName), which someone deleted: created lease \(leaseName)" : "has not marked lease \(leaseName) for"
        #expect(printed().contains(said), "the CLI says what it found and did: \(printed())")
        #expect(printed().contains("created job \(ClusterNames.guardName(session)) again") || deleted == .lease, "\(printed())")

        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let killedAt = ContinuousClock.now
        let givenBack = await TestSandbox.eventually(timeout: .seconds(120)) {
            try await GuardWorkloads.state(storefront, service: "api", kind: .deployment) == before
        }
        #expect(givenBack, "after kill -9, the guard installed again gave the deployment back (deleted: \(deleted)): \(printed())")
        print("guard installed again after its \(deleted) was deleted: kill -9 given back after \(ContinuousClock.now - killedAt) (ttl \(ttl)s)")
        _ = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath], environment: ["TMPDIR": records])
    }
}

/// The three kinds of workload kbridge takes over, each behind a service of its own, made from
/// the storefront's inventory (its pod template as it runs on this cluster).
enum GuardWorkloads {
    static func create(_ kind: WorkloadReference.Kind, in storefront: Storefront) async throws -> String {
        let client = storefront.client
        switch kind {
        case .deployment:
            return "api"
        case .statefulSet, .pod:
            let name = kind == .statefulSet ? "ledger" : "audit"
            let inventory = try await client.getRaw(.deployments, name: "inventory")
            var template = try #require(inventory[path: "spec", "template"])
            template[path: "metadata", "labels"] = ["app": "storefront", "component": .string(name)]
            if kind == .statefulSet {
                try await client.createRaw(.statefulSets, [
                    "metadata": ["name": .string(name)],
                    "spec": ["serviceName": .string(name), "replicas": 1, "selector": ["matchLabels": ["app": "storefront", "component": .string(name)]], "template": template],
                ])
            } else {
                var pod = template
                pod[path: "metadata", "name"] = .string(name)
                // Slow to go, as many apps are: it ignores SIGTERM and is killed after its grace
                // period, longer than the Lease lives, so the take-over (which waits for it to be
                // gone before creating the agent's pod) outlasts the TTL and must keep renewing.
                let container = template[path: "spec", "containers"]?[0]
                let script = container?["command"]?.arrayValue?.last?.stringValue ?? Tools.storefront.appendingPathComponent("app/inventory.py").path
                let python = container?["command"]?.arrayValue?.first?.stringValue ?? "python3"
                var containers = template[path: "spec", "containers"]?.arrayValue ?? []
                containers[0]["command"] = [
                    .string(python), "-c",
                    .string("import os, runpy, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); sys.argv = [\"\(script)\"]; sys.path.insert(0, os.path.dirname(sys.argv[0])); runpy.run_path(sys.argv[0], run_name=\"__main__\")"),
                ]
                pod[path: "spec", "containers"] = .array(containers)
                pod[path: "spec", "terminationGracePeriodSeconds"] = .integer(Int64(GuardScenarios.ttl + 3))
                try await client.createRaw(.pods, pod)
            }
            try await client.createRaw(.services, [
                "metadata": ["name": .string(name)],
                "spec": ["selector": ["app": "storefront", "component": .string(name)], "ports": [["name": "http", "port": 8080, "targetPort": 8080]]],
            ])
            let ready = await TestSandbox.eventually(timeout: .seconds(120)) { try await StorefrontSample(client: client).hasReadyEndpoint(service: name) }
            try #require(ready, "\(kind.rawValue) \(name) has a ready pod")
            return name
        }
    }

    /// What a session may change: the workload's spec (a pod's without the node it was scheduled
    /// to), its annotations, and kbridge's Secrets, Leases and guard parts.
    static func state(_ storefront: Storefront, service: String, kind: WorkloadReference.Kind) async throws -> [String] {
        let client = storefront.client
        var state: [String] = []
        let workload = try await client.getRaw(kind.resourceType, name: service)
        var spec = workload["spec"] ?? .null
        if kind == .pod { spec["nodeName"] = nil }
        var annotations = workload[path: "metadata", "annotations"]?.objectValue ?? [:]
        annotations["deployment.kubernetes.io/revision"] = nil
        state.append("\(kind.rawValue) \(service): \(spec.jsonString) \(JSONValue.object(annotations).jsonString)")
        for type in [ResourceType.secrets, .leases, .jobs, .serviceAccounts, .roles, .roleBindings] {
            let names = try await client.listRaw(type).items.compactMap { $0[path: "metadata", "name"]?.stringValue }
            state.append("\(type.name): " + names.filter { $0.hasPrefix("kbridge-") }.sorted().joined(separator: ","))
        }
        let guardPods = try await client.listRaw(.pods, options: ListOptions(labelSelector: "kbridge.dev/part=guard")).items
        state.append("guard pods: " + guardPods.compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted().joined(separator: ","))
        return state
    }

    static func difference(_ before: [String], _ after: [String]) -> String {
        zip(before, after).filter { $0 != $1 }.map { "before: \($0)\nafter:  \($1)" }.joined(separator: "\n")
    }
}
