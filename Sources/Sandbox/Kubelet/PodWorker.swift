import ChildProcesses
import Foundation
import KubernetesClient
import Logging

/// What every pod worker of a kubelet shares.
struct KubeletRuntime: Sendable {
    let client: KubernetesClient
    let images: ImageMap
    let root: URL
    let nodeName: String
    let hostIP: String
    let addresses: PodIPAllocator
    let logger: Logger
    /// First delay before restarting a container that exited; doubles up to `maxRestartBackoff`.
    let restartBackoff: Duration
    let maxRestartBackoff: Duration
    /// How containers are isolated; nil when the kubelet cannot (not root).
    let launch: ContainerLaunch?
    /// The cluster DNS server's address, when the kubelet runs one.
    let clusterDNS: String?

    func podDirectory(uid: String) -> URL { root.appendingPathComponent("pods").appendingPathComponent(uid) }

    func logFile(uid: String, container: String, restart: Int) -> URL {
        podDirectory(uid: uid).appendingPathComponent("logs").appendingPathComponent(container).appendingPathComponent("\(restart).log")
    }
}

/// Runs one pod on the node: its IP, volumes, container processes with restarts and back-off,
/// probes, status reports, and graceful termination when the pod is deleted.
actor PodWorker {
    private struct Container {
        var spec: JSONValue
        var process: ContainerProcess?
        var restartCount = 0
        var ready = false
        var started = false
        var startedAt: Date?
        var waiting: (reason: String, message: String)?
        var lastTermination: ContainerStatus.State.Terminated?
        /// Set when a container will not run again (restart policy), with how it ended.
        var finished: ContainerStatus.State.Terminated?
        var nextStart = ContinuousClock.now
        var probeSuccesses = 0
        var probeFailures = 0
        var livenessFailures = 0
        var nextProbe = ContinuousClock.now
        var pullAttempts = 0
        /// What the running process was started with (`exec` runs commands the same way).
        var context: ContainerContext?
    }

    let uid: String
    private let runtime: KubeletRuntime
    private var pod: JSONValue
    private var podIP: String?
    private var containers: [String: Container] = [:]
    private var order: [String] = []
    private var lastReported: JSONValue?
    private var startTime = Timestamp.format(Date())
    private var deleting = false
    private var loop: Task<Void, Never>?
    private var volumeError: String?
    private var lastVolumeSync = ContinuousClock.now - .seconds(60)
    private var networkFiles: PodNetworkFiles?

    init(pod: JSONValue, runtime: KubeletRuntime) {
        self.pod = pod
        self.uid = pod.uid
        self.runtime = runtime
        for spec in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            let name = spec["name"]?.stringValue ?? ""
            order.append(name)
            containers[name] = Container(spec: spec)
        }
    }

    func start() {
        loop = Task { await run() }
    }

    /// A newer version of the pod from the API.
    func update(_ newer: JSONValue) {
        pod = newer
        if newer.isTerminating { deleting = true }
    }

    /// The pod is gone from the API: stop everything now.
    func remove() async {
        deleting = true
        loop?.cancel()
        await stopContainers(grace: .seconds(2))
        await release()
    }

    var logsFolder: URL { runtime.podDirectory(uid: uid).appendingPathComponent("logs") }

    /// The log of a container's current run (or the previous one), or nil before it ever started.
    /// While a crashed container waits to restart, its current log is the last run's, as on a kubelet.
    func logFile(container: String, previous: Bool) -> URL? {
        guard let state = containers[container] else { return nil }
        let current = runtime.logFile(uid: uid, container: container, restart: state.restartCount)
        let last = runtime.logFile(uid: uid, container: container, restart: state.restartCount - 1)
        let exists = { (file: URL) in FileManager.default.fileExists(atPath: file.path) }
        if previous { return state.restartCount > 0 && exists(last) ? last : nil }
        if exists(current) { return current }
        return state.restartCount > 0 && exists(last) ? last : nil
    }

    func isRunning(container: String) -> Bool { containers[container]?.process?.isRunning ?? false }

    /// The names of the pod's containers, in the pod's order.
    var containerNames: [String] { order }

    /// How to run a command in `container` as it runs (`exec`); nil while it does not run.
    func execContext(container: String) -> ContainerContext? {
        guard let state = containers[container], state.process?.isRunning == true else { return nil }
        return state.context
    }

    /// What an attach session joins: the running process of `container` (its stdin, when the spec
    /// keeps one) and the log its output goes to; nil while it does not run.
    func attachTarget(container: String) -> (process: ContainerProcess, logFile: URL)? {
        guard let state = containers[container], let process = state.process, process.isRunning,
              let logFile = logFile(container: container, previous: false) else { return nil }
        return (process, logFile)
    }

    func waitingReason(container: String) -> String? { containers[container]?.waiting?.reason }

    var ip: String? { podIP }

    // MARK: The loop

    private func run() async {
        let logger = runtime.logger
        do {
            podIP = try await runtime.addresses.allocate(uid: uid)
        } catch {
            logger.error("no pod IP left", metadata: ["pod": "\(pod.namespace ?? "")/\(pod.name)"])
            return
        }
        writeNetworkFiles()
        while !Task.isCancelled && !deleting {
            await syncVolumes()
            if volumeError == nil { await startDueContainers() }
            await probe()
            await report()
            try? await Task.sleep(for: .milliseconds(250))
        }
        guard !Task.isCancelled else { return }
        let grace = pod[path: "metadata", "deletionGracePeriodSeconds"]?.intValue ?? pod[path: "spec", "terminationGracePeriodSeconds"]?.intValue ?? 30
        await stopContainers(grace: .seconds(grace))
        await report()
        do {
            try await runtime.client.deleteNow(pod: pod.name, namespace: pod.namespace ?? "", uid: uid)
        } catch {
            logger.debug("final delete failed", metadata: ["pod": "\(pod.name)", "error": "\(error)"])
        }
        await release()
    }

    /// Writes the pod's resolver and hosts files; they are bind-mounted into its containers.
    private func writeNetworkFiles() {
        let files = PodNetworkFiles(pod: pod, podIP: podIP ?? "", clusterDNS: runtime.clusterDNS)
        let folder = runtime.podDirectory(uid: uid).appendingPathComponent("etc")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? Data(files.hosts.utf8).write(to: folder.appendingPathComponent("hosts"))
        if let resolvConf = files.resolvConf {
            try? Data(resolvConf.utf8).write(to: folder.appendingPathComponent("resolv.conf"))
        }
        networkFiles = files
    }

    /// How a container of this pod is started: isolated as its runtime would (when the kubelet
    /// can), as the user its security context names.
    private func isolation(for spec: JSONValue, executable: String?) throws(ContainerEnvironment.Failure) -> ContainerProcess.Isolation? {
        let podContext = pod[path: "spec", "securityContext"] ?? .null
        let context = spec["securityContext"] ?? .null
        let runAsUser = (context["runAsUser"] ?? podContext["runAsUser"])?.intValue
        let runAsGroup = (context["runAsGroup"] ?? podContext["runAsGroup"])?.intValue
        if (context["runAsNonRoot"] ?? podContext["runAsNonRoot"])?.boolValue == true, (runAsUser ?? 0) == 0 {
            throw .missingReference("container has runAsNonRoot and image will run as root (pod: \"\(pod.name)_\(pod.namespace ?? "")(\(uid))\", container: \(spec["name"]?.stringValue ?? ""))")
        }
        guard let launch = runtime.launch else { return nil }
        var user = runAsUser.map { ContainerLaunch.User(uid: UInt32(clamping: $0), gid: UInt32(clamping: runAsGroup ?? 0)) }
        if let wanted = user, let executable, !ContainerLaunch.canExecute(executable, user: wanted) {
            runtime.logger.warning("runAsUser not applied: the user cannot reach the container's executable; it runs as root with a container's default capabilities", metadata: [
                "pod": "\(pod.namespace ?? "")/\(pod.name)", "uid": "\(wanted.uid)", "executable": "\(executable)",
            ])
            user = nil
        }
        let podDirectory = runtime.podDirectory(uid: uid)
        let folder = podDirectory.appendingPathComponent("etc")
        var files = [
            (target: ContainerLaunch.podMountPoint, source: podDirectory.path),
            (target: "/etc/hosts", source: folder.appendingPathComponent("hosts").path),
        ]
        if networkFiles?.resolvConf != nil {
            files.append((target: "/etc/resolv.conf", source: folder.appendingPathComponent("resolv.conf").path))
        }
        return ContainerProcess.Isolation(launch: launch, user: user, files: files)
    }

    private func release() async {
        await runtime.addresses.release(uid: uid)
    }

    private func syncVolumes() async {
        guard ContinuousClock.now - lastVolumeSync >= .seconds(volumeError == nil ? 10 : 1) else { return }
        lastVolumeSync = .now
        let writer = VolumeWriter(podDirectory: runtime.podDirectory(uid: uid))
        let inputs = await readInputs()
        let client = runtime.client
        let namespace = pod.namespace ?? "default"
        do {
            try await writer.writeVolumes(of: pod, configMaps: inputs.configMaps, secrets: inputs.secrets, podIP: podIP ?? "") { account, seconds in
                try await client.requestToken(serviceAccount: account, namespace: namespace, expirationSeconds: seconds)
            }
            for name in order { try? writer.prepareRoot(for: containers[name]?.spec ?? .null) }
            volumeError = nil
        } catch {
            volumeError = "MountVolume.SetUp failed: \(error.description)"
        }
    }

    private func readInputs() async -> ContainerEnvironment.Inputs {
        let client = runtime.client
        let namespace = pod.namespace ?? "default"
        var services = (try? await client.listRaw(.services, namespace: namespace).items) ?? []
        if namespace != "default", let kubernetes = try? await client.getRaw(.services, name: "kubernetes", namespace: "default") {
            services.append(kubernetes)
        }
        var configMapNames = Set<String>()
        var secretNames = Set<String>()
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let name = object["configMapRef"]?["name"]?.stringValue ?? object["configMapKeyRef"]?["name"]?.stringValue { configMapNames.insert(name) }
                if let name = object["secretRef"]?["name"]?.stringValue ?? object["secretKeyRef"]?["name"]?.stringValue { secretNames.insert(name) }
                if let name = object["configMap"]?["name"]?.stringValue { configMapNames.insert(name) }
                if let name = object["secret"]?["secretName"]?.stringValue ?? object["secret"]?["name"]?.stringValue { secretNames.insert(name) }
                for child in object.values { collect(child) }
            case .array(let array):
                for child in array { collect(child) }
            default:
                break
            }
        }
        collect(pod["spec"] ?? .null)
        var configMaps: [String: JSONValue] = [:]
        var secrets: [String: JSONValue] = [:]
        for name in configMapNames { configMaps[name] = try? await client.getRaw(.configMaps, name: name, namespace: namespace) }
        for name in secretNames { secrets[name] = try? await client.getRaw(.secrets, name: name, namespace: namespace) }
        return ContainerEnvironment.Inputs(pod: pod, podIP: podIP ?? "", hostIP: runtime.hostIP, services: services, configMaps: configMaps, secrets: secrets)
    }

    private var restartPolicy: String { pod[path: "spec", "restartPolicy"]?.stringValue ?? "Always" }

    private func startDueContainers() async {
        let due = order.filter { name in
            guard let state = containers[name], state.process == nil, state.finished == nil else { return false }
            return ContinuousClock.now >= state.nextStart
        }
        guard !due.isEmpty else { return }
        let inputs = await readInputs()
        for name in due { start(name, inputs: inputs) }
    }

    private func start(_ name: String, inputs: ContainerEnvironment.Inputs) {
        // A pod being removed starts nothing more: `remove()` may have stopped the containers
        // while this worker's loop was waiting for the inputs it started them with.
        guard !deleting, var state = containers[name] else { return }
        defer { containers[name] = state }
        let imageName = state.spec["image"]?.stringValue ?? ""
        guard let image = runtime.images.image(named: imageName) else {
            state.pullAttempts += 1
            let sources = runtime.images.sources.isEmpty ? "no image map was given" : "not in the image map (\(runtime.images.sources.joined(separator: ", ")))"
            let backingOff = state.pullAttempts % 2 == 0
            state.waiting = (
                backingOff ? "ImagePullBackOff" : "ErrImagePull",
                backingOff ? "Back-off pulling image \"\(imageName)\"" : "Failed to pull image \"\(imageName)\": the sandbox cannot pull it: \(sources)"
            )
            state.nextStart = .now + .seconds(min(30, 1 << min(state.pullAttempts, 5)))
            return
        }
        let writer = VolumeWriter(podDirectory: runtime.podDirectory(uid: uid))
        let root = writer.containerRoot(name)
        // The container's view of its root: isolated, its pod's folder is mounted at the mount point.
        let seenRoot = runtime.launch == nil ? root : VolumeWriter(podDirectory: URL(fileURLWithPath: ContainerLaunch.podMountPoint)).containerRoot(name)
        let variables: [(String, String)]
        do {
            variables = try ContainerEnvironment.variables(for: state.spec, inputs: inputs, containerRoot: seenRoot.path)
        } catch {
            state.waiting = ("CreateContainerConfigError", error.description)
            state.nextStart = .now + .seconds(2)
            return
        }
        let values = Dictionary(variables, uniquingKeysWith: { _, last in last })
        let isolation: ContainerProcess.Isolation?
        let command = state.spec["command"]?.arrayValue?.compactMap(\.stringValue)
        let args = state.spec["args"]?.arrayValue?.compactMap(\.stringValue)
        let argv = ((command ?? image.command) + (args ?? (command == nil ? image.args : []))).map { ContainerEnvironment.expand($0, with: values) }
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "LANG", "LC_ALL", "TMPDIR", "SWIFT_BACKTRACE"].contains($0.key) }
        do {
            isolation = try self.isolation(for: state.spec, executable: argv.first.flatMap { ProcessSpawner.locate($0, path: environment["PATH"]) })
        } catch {
            state.waiting = ("CreateContainerConfigError", error.description)
            state.nextStart = .now + .seconds(2)
            return
        }
        environment["HOME"] = seenRoot.path
        for (key, value) in variables { environment[key] = value }
        var workingDirectory = seenRoot
        if let directory = state.spec["workingDir"]?.stringValue, !directory.isEmpty {
            let relative = String(directory.drop { $0 == "/" })
            workingDirectory = seenRoot.appendingPathComponent(relative)
            try? FileManager.default.createDirectory(at: root.appendingPathComponent(relative), withIntermediateDirectories: true)
        }
        let context = ContainerContext(environment: environment, workingDirectory: workingDirectory, isolation: isolation)
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let input: ContainerProcess.Input = state.spec["stdin"]?.boolValue == true ? .attachable(once: state.spec["stdinOnce"]?.boolValue == true) : .none
            let process = try ContainerProcess(argv: argv, context: context, logFile: runtime.logFile(uid: uid, container: name, restart: state.restartCount), input: input)
            state.process = process
            state.context = context
            state.started = true
            state.startedAt = Date()
            state.waiting = nil
            state.ready = false
            state.probeSuccesses = 0
            state.probeFailures = 0
            state.livenessFailures = 0
            let delay = Prober.Timing(state.spec["readinessProbe"] ?? .object([:])).initialDelay
            state.nextProbe = .now + delay
            runtime.logger.debug("container started", metadata: ["pod": "\(pod.namespace ?? "")/\(pod.name)", "container": "\(name)", "pid": "\(process.processIdentifier)"])
            Task { [weak self] in
                let code = await process.waitForExit()
                await process.input?.close()
                await self?.exited(name, process: process, code: code)
            }
        } catch {
            state.waiting = ("RunContainerError", String(describing: error))
            state.restartCount += 1
            state.nextStart = .now + backoff(state.restartCount)
        }
    }

    private func exited(_ name: String, process: ContainerProcess, code: Int32) {
        guard var state = containers[name], state.process === process else { return }
        let termination = ContainerStatus.State.Terminated(
            exitCode: Int(code), reason: code == 0 ? "Completed" : "Error", startedAt: state.startedAt.map(Timestamp.format),
            finishedAt: Timestamp.format(Date())
        )
        state.process = nil
        state.ready = false
        let restarts = restartPolicy == "Always" || (restartPolicy == "OnFailure" && code != 0)
        if deleting || !restarts {
            state.finished = termination
        } else {
            state.lastTermination = termination
            state.restartCount += 1
            let delay = backoff(state.restartCount)
            state.nextStart = .now + delay
            state.waiting = ("CrashLoopBackOff", "back-off \(delay.components.seconds)s restarting failed container=\(name) pod=\(pod.name)")
        }
        containers[name] = state
    }

    private func backoff(_ restarts: Int) -> Duration {
        var delay = runtime.restartBackoff
        for _ in 1..<max(1, restarts) where delay < runtime.maxRestartBackoff { delay = delay * 2 }
        return min(delay, runtime.maxRestartBackoff)
    }

    private func probe() async {
        for name in order {
            guard var state = containers[name], let process = state.process, process.isRunning, ContinuousClock.now >= state.nextProbe else { continue }
            if let readiness = state.spec["readinessProbe"] {
                let timing = Prober.Timing(readiness)
                if await Prober.check(readiness, podIP: podIP ?? "", container: state.spec) {
                    state.probeSuccesses += 1
                    state.probeFailures = 0
                    if state.probeSuccesses >= timing.successThreshold { state.ready = true }
                } else {
                    state.probeFailures += 1
                    state.probeSuccesses = 0
                    if state.probeFailures >= timing.failureThreshold || !state.ready { state.ready = false }
                }
                state.nextProbe = .now + timing.period
            } else {
                state.ready = true
                state.nextProbe = .now + .seconds(1)
            }
            if let liveness = state.spec["livenessProbe"], let started = state.startedAt,
                Date().timeIntervalSince(started) >= Double(Prober.Timing(liveness).initialDelay.components.seconds)
            {
                if await Prober.check(liveness, podIP: podIP ?? "", container: state.spec) {
                    state.livenessFailures = 0
                } else {
                    state.livenessFailures += 1
                    if state.livenessFailures >= Prober.Timing(liveness).failureThreshold {
                        state.livenessFailures = 0
                        containers[name] = state
                        await process.terminate(grace: .seconds(2))
                        continue
                    }
                }
            }
            containers[name] = state
        }
    }

    private func stopContainers(grace: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            for state in containers.values {
                if let process = state.process { group.addTask { await process.terminate(grace: grace) } }
            }
        }
    }

    // MARK: Status

    private func report() async {
        let status = currentStatus()
        guard status != lastReported else { return }
        do {
            try await runtime.client.patchRaw(.pods, name: pod.name, namespace: pod.namespace, subresource: "status", .merge(["status": status]))
            lastReported = status
        } catch {
            runtime.logger.debug("status update failed", metadata: ["pod": "\(pod.name)", "error": "\(error)"])
        }
    }

    private func currentStatus() -> JSONValue {
        let imageID = { (image: String) in "sandbox://\(image)" }
        var statuses: [JSONValue] = []
        for name in order {
            guard let state = containers[name] else { continue }
            let image = state.spec["image"]?.stringValue ?? ""
            var current: ContainerStatus.State
            if let process = state.process, process.isRunning {
                current = .init(running: .init(startedAt: state.startedAt.map(Timestamp.format)))
            } else if let finished = state.finished {
                current = .init(terminated: finished)
            } else if let waiting = state.waiting {
                current = .init(waiting: .init(reason: waiting.reason, message: waiting.message))
            } else if let volumeError {
                current = .init(waiting: .init(reason: "ContainerCreating", message: volumeError))
            } else {
                current = .init(waiting: .init(reason: "ContainerCreating", message: nil))
            }
            let status = ContainerStatus(
                name: name, state: current, lastState: state.lastTermination.map { .init(terminated: $0) } ?? .init(),
                ready: state.ready, restartCount: state.restartCount, image: image, imageID: state.started ? imageID(image) : "",
                containerID: state.process.map { "sandbox://\($0.processIdentifier)" }, started: state.process?.isRunning ?? false
            )
            statuses.append((try? JSONValue(encoding: status)) ?? .null)
        }
        let all = order.compactMap { containers[$0] }
        let allReady = !all.isEmpty && all.allSatisfy(\.ready)
        let phase: String
        if all.allSatisfy({ $0.finished != nil }) && !all.isEmpty {
            phase = all.allSatisfy { $0.finished?.exitCode == 0 } ? "Succeeded" : "Failed"
        } else if all.allSatisfy(\.started) {
            phase = "Running"
        } else {
            phase = "Pending"
        }
        let previous = pod[path: "status", "conditions"]?.arrayValue ?? []
        let scheduled = previous.first { $0["type"]?.stringValue == "PodScheduled" }
        func condition(_ type: String, _ value: Bool, reason: String? = nil) -> JSONValue {
            let old = previous.first { $0["type"]?.stringValue == type }
            let text = value ? "True" : "False"
            var condition: JSONValue = [
                "type": .string(type), "status": .string(text), "lastProbeTime": .null,
                "lastTransitionTime": old?["status"]?.stringValue == text ? (old?["lastTransitionTime"] ?? .null) : .string(Timestamp.format(Date())),
            ]
            if let reason, !value { condition["reason"] = .string(reason) }
            return condition
        }
        let notReady = order.filter { !(containers[$0]?.ready ?? false) }
        var conditions = [
            condition("Initialized", true),
            condition("Ready", allReady, reason: phase == "Succeeded" ? "PodCompleted" : "ContainersNotReady"),
            condition("ContainersReady", allReady, reason: phase == "Succeeded" ? "PodCompleted" : "ContainersNotReady"),
        ]
        if !allReady, phase != "Succeeded" {
            let message = "containers with unready status: [\(notReady.joined(separator: " "))]"
            conditions[1]["message"] = .string(message)
            conditions[2]["message"] = .string(message)
        }
        if let scheduled { conditions.append(scheduled) }
        var status: [String: JSONValue] = [
            "phase": .string(phase), "conditions": .array(conditions), "hostIP": .string(runtime.hostIP),
            "startTime": .string(startTime), "containerStatuses": .array(statuses), "qosClass": "BestEffort",
        ]
        if let podIP {
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
        }
        return .object(status)
    }
}
