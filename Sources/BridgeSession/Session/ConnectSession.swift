import BridgeTunnel
import ChildProcesses
import Foundation
import KubernetesClient
import LocalEndpoints
import Logging
import Synchronization

/// `kbridge connect`: redirects a service's traffic to a local port and gives the local
/// process the pod's environment and the cluster's services by name, until the command ends or
/// a stop is requested; then gives everything back.
///
/// Phases: resolving → taking over → waiting for the agent → tunnelling → connected →
/// giving back. Whatever the phase a failure or a stop happens in, what was changed is given back.
public final class ConnectSession: Sendable {
    public struct Options: Sendable {
        public var service: String
        public var namespace: String
        public var localPort: Int
        public var container: String?
        /// The hosts file to write the services' names into; nil: service variables only.
        public var hostsFile: String?
        /// Whether the user named the hosts file (then it must be usable) rather than taking the default.
        public var hostsFileChosen = false
        public var envFile: String?
        public var agentImage: String = AgentImage.default
        /// Container port → local port, for ports other than the service's.
        public var portMap: [Int: Int] = [:]
        public var freePort = false
        public var timeout: Duration = .seconds(120)
        /// How long to try to reconnect to the agent once the tunnel dropped.
        public var reconnectTimeout: Duration = .seconds(60)
        /// How long the session's Lease lives without renewal before the guard gives the workload back.
        public var ttl: Duration = SessionGuard.defaultTTL
        /// Whether the session installs its guard (`--no-guard`: the person accepts that a crash
        /// of this machine leaves the workload redirected until `kbridge disconnect`).
        public var guarded = true
        public var loopbackRange: LoopbackRange = .default
        /// Run this with the pod's environment; empty: stay connected until stopped.
        public var command: [String] = []
        /// What starts the command (see `LocalCommand`).
        public var commandLauncher: [String] = []
        /// Where the session came from, for `kbridge status` and `disconnect`.
        public var kubeconfig: String?
        public var context: String?

        public init(service: String, namespace: String, localPort: Int) {
            self.service = service
            self.namespace = namespace
            self.localPort = localPort
        }
    }

    /// What is up while connected.
    struct Connection: Sendable {
        /// The agent's pod as it was when the tunnel opened.
        var agentPod: Pod
        var identity: SessionIdentity
        var agentPorts: AgentPorts
        var tunnel: SessionTunnel
        var outbound: OutboundEndpoints
        var environment: [String: String]
        var hostsOriginal: String?
        var hostsFile: HostsFile?
    }

    let client: KubernetesClient
    let options: Options
    let registry: SessionRegistry
    let logger: Logger
    let report: @Sendable (SessionEvent) -> Void
    /// Where the session is and what it holds (`SessionLifecycle`): told what happens, it says
    /// what to give back at the end.
    private let lifecycle = Mutex(SessionLifecycle())

    public init(client: KubernetesClient, options: Options, registry: SessionRegistry = SessionRegistry(), logger: Logger, report: @escaping @Sendable (SessionEvent) -> Void) {
        self.client = client
        self.options = options
        self.registry = registry
        self.logger = logger
        self.report = report
    }

    /// Runs the session to its end; returns the exit code for the CLI (the command's own, 0
    /// when stopped without a command, 128 + signal when stopped while starting).
    public func run(stop: StopRequest) async throws(SessionError) -> Int32 {
        report(.init(.progress, "looking up service \"\(options.service)\" in namespace \"\(options.namespace)\""))
        let target = try await TargetResolver(client: client).resolve(service: options.service, namespace: options.namespace, container: options.container)
        report(.init(.progress, "service \"\(options.service)\" is served by \(target.workload), container \"\(target.container)\"", fields: ["phase": "found"]))
        if let port = options.portMap.keys.sorted().first(where: { !target.containerPorts.contains($0) }) {
            throw .unknownContainerPort(port: port, container: target.container, ports: target.containerPorts)
        }
        try await freeLocalPort()
        let hostsFile = try usableHostsFile()
        if let envFile = options.envFile {
            do { try DotenvFile.checkDestination(envFile) } catch { throw .localEndpoints("--env-file: \(error)") }
        }
        if let name = options.command.first, ProcessSpawner.locate(name, path: ProcessInfo.processInfo.environment["PATH"]) == nil {
            throw .localCommandFailed("\(name): command not found in PATH")
        }

        // Write-ahead: the record exists before anything changes, so that a crash at any later
        // step leaves something `kbridge disconnect` finds.
        let identity = SessionIdentity.generate()
        let record = SessionRecord(
            id: identity.id, pid: getpid(), service: options.service, workload: target.workload, kubeconfig: options.kubeconfig, context: options.context,
            hostsFile: hostsFile?.path, localPort: options.localPort, startedAt: Timestamp.format(Date())
        )
        do { try registry.save(record) } catch { throw .notRecorded(detail: error.description) }
        try advance(.recorded)
        let sessionGuard = SessionGuard(client: client, session: identity.id, namespace: target.workload.namespace)
        // Once the guard watches, the session's upkeep runs until everything is given back (the
        // take-over itself can take long: a bare Pod must be gone before it is created again): it
        // renews the Lease and keeps the guard and the single replica; when the guard gave the
        // workload back (this machine slept or lost the cluster), the session ends.
        let ending = StopRequest()
        let renewal = Mutex<Task<Void, Never>?>(nil)
        let forward = Task {
            if let signal = await stop.wait() { ending.request(signal: signal) }
        }
        defer {
            renewal.withLock { $0?.cancel() }
            forward.cancel()
        }
        let upkeep = { @Sendable (originalDigest: String) in
            let keeper = SessionUpkeep(
                sessionGuard: self.options.guarded ? sessionGuard : nil, session: identity.id, workload: target.workload,
                image: self.options.agentImage, ttl: self.options.ttl, originalDigest: originalDigest
            ) { [report = self.report] warning in report(.init(.warning, warning)) }
            let task = Task {
                if await keeper.run(client: self.client, logger: self.logger) == .gaveBack {
                    ending.request(signal: SIGTERM)
                }
            }
            renewal.withLock { $0 = task }
        }
        let takenOver: TakenOver
        do {
            takenOver = try await takeOver(target, identity: identity, guard: sessionGuard, startUpkeep: upkeep)
        } catch {
            // What was taken so far (the record, perhaps the guard) is given back.
            let leftover = await giveBack(.failed, connection: nil, hostsFile: nil, workload: target.workload, session: identity.id, check: .unknown)
            if let leftover { report(.init(.warning, leftover.description)) }
            throw error
        }
        if let replicas = takenOver.scaledFrom {
            report(.init(.warning, "\(target.workload) had \(replicas) replicas: scaled to 1 for the session (given back at the end)"))
        }

        let chosenHostsFile = hostsFile
        let started = await Self.untilStopped(ending) { () async throws(SessionError) -> Connection in
            try await self.connect(target: target, identity: identity, takenOver: takenOver, hostsFile: chosenHostsFile)
        }
        let outcome: Result<Int32, SessionError>
        var connection: Connection?
        switch started {
        case .none:
            outcome = .success(128 + (ending.signal ?? SIGINT))
        case .some(.failure(let error)):
            outcome = .failure(error)
        case .some(.success(let up)):
            connection = up
            var connectedRecord = record
            connectedRecord.connectedAt = Timestamp.format(Date())
            try? registry.save(connectedRecord)
            outcome = await serve(up, target: target, stop: ending)
        }
        // A session that failed on its own may have failed because its guard gave the workload
        // back while this machine was away (the agent pod went with it): look before giving back,
        // which removes the Lease.
        var guardActed = stop.signal == nil && ending.signal != nil
        if !guardActed, options.guarded, stop.signal == nil, case .failure = outcome, await sessionGuard.exists() == false,
           (try? await WorkloadTakeover(client: client).holder(of: target.workload)) != identity.id {
            guardActed = true
        }
        let end: SessionLifecycle.Event
        switch outcome {
        case _ where guardActed: end = .leaseGone
        case .failure: end = .failed
        case .success where stop.signal != nil || options.command.isEmpty: end = .stopRequested
        case .success: end = .commandExited
        }
        let connectionToClose = connection
        let givenBack = await Task { () async -> SessionError? in
            await self.giveBack(end, connection: connectionToClose, hostsFile: chosenHostsFile, workload: target.workload, session: identity.id, check: .digest(takenOver.originalDigest))
        }.value
        if guardActed {
            // Ended by the guard, not by the person: say so whatever else happened.
            throw .restoredByGuard(workload: target.workload.description, ttl: options.ttl)
        }
        if let givenBack {
            if case .failure(let error) = outcome { report(.init(.warning, error.description)) }
            throw givenBack
        }
        return try outcome.get()
    }

    // MARK: Phases

    /// Takes the workload over, saying so once it is known to be free; when a session of this
    /// machine whose process is gone still holds it, gives that back first.
    private func takeOver(
        _ target: TakeoverTarget, identity: SessionIdentity, guard sessionGuard: SessionGuard, startUpkeep: @Sendable (String) -> Void
    ) async throws(SessionError) -> TakenOver {
        let takeover = WorkloadTakeover(client: client)
        if let holder = try await takeover.holder(of: target.workload) {
            guard let stale = registry.all().first(where: { $0.id == holder && $0.workload == target.workload }), !stale.isRunning else {
                throw .alreadyTakenOver(workload: target.workload.description, service: options.service, session: holder)
            }
            report(.init(.warning, "session \(holder) of this machine ended without giving back \(target.workload): giving it back first"))
            _ = try await SessionGiveBack.giveBack(leftBy: stale, client: client, registry: registry)
        }
        // The guard watches before anything changes: whatever happens to this process from
        // here, the cluster gives the workload back.
        let prepared = try await takeover.prepare(target, session: identity, image: options.agentImage)
        if options.guarded {
            report(.init(.progress, "installing the session's guard: lease \(SessionGuard.leaseName(session: identity.id)) and job \(SessionGuard.guardName(session: identity.id))", fields: ["session": .string(identity.id)]))
            try await sessionGuard.install(workload: target.workload, image: options.agentImage, ttl: options.ttl, originalDigest: prepared.originalDigest)
            try advance(.guardInstalled)
            try await sessionGuard.waitUntilWatching(timeout: options.timeout) { [report] line in report(.init(.progress, line)) }
            startUpkeep(prepared.originalDigest)
            report(.init(.progress, "session guarded: if its lease (renewed every \(max(options.ttl.components.seconds / 3, 1))s) lapses for \(options.ttl.components.seconds)s, the guard gives \(target.workload.name) back", fields: ["phase": "recorded", "session": .string(identity.id)]))
        } else {
            report(.init(.warning, "no guard (--no-guard): if this process is killed or this machine goes away, \(target.workload) stays redirected until `kbridge disconnect --service \(options.service)` or `kbridge clean`", fields: ["phase": "recorded", "session": .string(identity.id)]))
            startUpkeep(prepared.originalDigest)
        }
        report(.init(.progress, "taking over \(target.workload): container \"\(target.container)\" runs the agent (\(options.agentImage))", fields: ["phase": "takeover", "session": .string(identity.id)]))
        let takenOver = try await takeover.apply(prepared, target: target, session: identity)
        try advance(.tookOver)
        report(.init(.progress, "\(target.workload) runs the agent of session \(identity.id)", fields: ["phase": "patched", "session": .string(identity.id)]))
        return takenOver
    }

    /// The hosts file to write, checked before anything changes: nil when there is none to write
    /// (`--no-hosts`, or no rights to the default one: service variables then).
    private func usableHostsFile() throws(SessionError) -> HostsFile? {
        guard let path = options.hostsFile else { return nil }
        let file = HostsFile(path: path)
        do {
            try file.checkWritable()
            return file
        } catch .notWritable where !options.hostsFileChosen {
            report(.init(.warning, "cannot write \(path) (it needs administrator rights): cluster services are reached through the *_SERVICE_HOST/*_SERVICE_PORT variables instead (--no-hosts skips this check)"))
            return nil
        } catch {
            throw .localEndpoints(error.description)
        }
    }

    private func freeLocalPort() async throws(SessionError) {
        guard let holder = PortHolder.find(port: options.localPort) else { return }
        guard options.freePort else {
            throw .portHeld(holder.description, hint: "stop it, choose another --local-port, or pass --free-port to let kbridge stop it")
        }
        report(.init(.progress, "\(holder.description): stopping it (--free-port)"))
        guard await holder.stop() else { throw .portHeld(holder.description, hint: "kbridge could not stop it; stop it yourself or choose another --local-port") }
    }

    private func connect(target: TakeoverTarget, identity: SessionIdentity, takenOver: TakenOver, hostsFile: HostsFile?) async throws(SessionError) -> Connection {
        let watch = AgentPodWatch(client: client)
        let pod = try await watch.waitUntilReady(
            workload: target.workload, session: identity.id, container: target.container, image: options.agentImage, timeout: options.timeout
        ) { [report] line in report(.init(.progress, line)) }
        let podName = pod.metadata.nameOrEmpty
        let podIP = pod.status?.podIP ?? ""
        report(.init(.progress, "agent pod \(podName) is ready (\(podIP)); waiting for service \"\(target.service.metadata.nameOrEmpty)\" to send its traffic to it only", fields: ["phase": "agentReady"]))
        if await !watch.waitForEndpoints(service: target.service, agentIP: podIP, timeout: .seconds(60)) {
            report(.init(.warning, "service \"\(options.service)\" still lists other pods after 60s: some requests may not reach this machine"))
        }

        report(.init(.progress, "opening the tunnel: port-forward to \(podName) ports \(takenOver.agentPorts.control) and \(takenOver.agentPorts.inbound)", fields: ["phase": "endpoints"]))
        let tunnel = try await openTunnel(pod: podName, ports: takenOver.agentPorts, secret: identity.secret)
        try advance(.tunnelOpened)
        report(.init(.progress, "tunnel open: the agent proved it holds the session secret", fields: ["phase": "tunnel"]))
        do {
            let podEnvironment = try await tunnel.environment()
            report(.init(.progress, "read the pod's environment (\(podEnvironment.count) variables)", fields: ["phase": "environment"]))
            let services: [Service]
            let backends: ServiceEndpointsReader.Answer
            do {
                services = try await client.list(Service.self, namespace: options.namespace)
                let headless = services.filter(\.spec.isHeadless)
                backends = try await ServiceEndpointsReader.discover(client: client).readyAddresses(of: headless, namespace: options.namespace)
            } catch {
                throw SessionError.cluster(error)
            }
            let outbound: OutboundEndpoints
            do {
                outbound = try await OutboundEndpoints.open(services: services, readyAddresses: backends.readyAddresses, range: options.loopbackRange)
            } catch {
                throw SessionError.localEndpoints(error.description)
            }
            report(.init(.progress, "\(outbound.entries.count) services have an address of this machine, listened on at their ports", fields: ["phase": "listeners"]))
            for moved in outbound.movedPorts {
                report(.init(.warning, "no right to listen on port \(moved.port) for service \"\(moved.service)\": it is served on port \(moved.localPort) of its address, which its *_SERVICE_PORT variables give"))
            }
            var hostsOriginal: String?
            if let hostsFile {
                do {
                    hostsOriginal = try hostsFile.install(session: identity.id, entries: outbound.hostsEntries)
                } catch {
                    await outbound.close()
                    throw SessionError.localEndpoints(error.description)
                }
                try advance(.hostsWritten)
                report(.init(.progress, "wrote \(outbound.entries.count) service names into \(hostsFile.path)"))
            }
            let environment = LocalEnvironment.build(pod: podEnvironment, podIP: podIP, outbound: outbound)
            if let envFile = options.envFile {
                do {
                    try PrivateFile.write(Data(DotenvFile.render(environment).utf8), to: URL(fileURLWithPath: envFile))
                } catch {
                    throw SessionError.localEndpoints("--env-file: \(error)")
                }
            }
            return Connection(agentPod: pod, identity: identity, agentPorts: takenOver.agentPorts, tunnel: tunnel, outbound: outbound, environment: environment, hostsOriginal: hostsOriginal, hostsFile: hostsFile)
        } catch let error as SessionError {
            await tunnel.close()
            throw error
        } catch {
            await tunnel.close()
            throw .tunnelLost(detail: "\(error)")
        }
    }

    private func serve(_ connection: Connection, target: TakeoverTarget, stop: StopRequest) async -> Result<Int32, SessionError> {
        var portMap = options.portMap
        portMap[target.primaryPort] = portMap[target.primaryPort] ?? options.localPort
        let mapping = target.containerPorts.map { "\($0)→localhost:\(portMap[$0] ?? $0)" }.joined(separator: ", ")
        let names = connection.hostsFile == nil ? "service variables" : "names in \(connection.hostsFile?.path ?? "")"
        do { try advance(.connected) } catch { return .failure(error) }
        report(.init(
            .connected,
            "connected: service \"\(options.service)\" (\(mapping)) is redirected to this machine; \(connection.outbound.entries.count) cluster services reachable through \(names)",
            fields: [
                "service": .string(options.service), "namespace": .string(options.namespace), "localPort": .integer(Int64(options.localPort)),
                "services": .array(connection.outbound.entries.map { .string("\($0.service)=\($0.allocation.address)") }),
            ]
        ))
        // The command starts before anything is served, so that one that cannot start ends the
        // session at once (the relays below end only when their connections close).
        var command: LocalCommand?
        if !options.command.isEmpty {
            do throws(SessionError) {
                var environment = ProcessInfo.processInfo.environment
                environment.merge(connection.environment) { $1 }
                let started = try LocalCommand(arguments: options.command, environment: environment, launcher: options.commandLauncher)
                command = started
                try advance(.commandStarted)
                report(.init(.progress, "started \(options.command[0]) (pid \(started.pid)) with the pod's environment", fields: ["phase": "command", "pid": .integer(Int64(started.pid))]))
            } catch {
                await connection.outbound.close()
                await connection.tunnel.close()
                return .failure(error)
            }
        }
        let logger = self.logger
        let inboundMap = portMap
        let supervisor = TunnelSupervisor(connection.tunnel)
        return await withTaskGroup(of: Result<Int32, SessionError>?.self) { group in
            group.addTask {
                await self.keepConnected(supervisor, connection: connection, target: target, portMap: inboundMap)
            }
            group.addTask {
                await connection.outbound.serve(through: supervisor, logger: logger)
                return nil
            }
            group.addTask {
                await FreedMemory.giveBackPeriodically()
                return nil
            }
            if options.command.isEmpty {
                group.addTask {
                    guard await stop.wait() != nil else { return nil }
                    return .success(0)
                }
            } else if let command {
                group.addTask {
                    await withTaskGroup(of: Int32?.self) { inner in
                        inner.addTask { await command.waitForExit() }
                        inner.addTask { await stop.wait() }
                        let first = await inner.next() ?? nil
                        inner.cancelAll()
                        if command.isRunning {
                            // Stopped: pass the signal on (Ctrl-C already reached it through the terminal).
                            return .success(await command.stop(signal: stop.signal ?? SIGTERM, grace: .seconds(10)))
                        }
                        return .success(first ?? 0)
                    }
                }
            }
            var outcome: Result<Int32, SessionError> = .success(0)
            while let next = await group.next() {
                if let next {
                    outcome = next
                    break
                }
            }
            // The relays end when their connections close, not on cancellation alone.
            group.cancelAll()
            await connection.outbound.close()
            await supervisor.close()
            return outcome
        }
    }

    /// Serves the cluster's connections through the tunnel, and when the tunnel drops (the
    /// agent's container restarted, the API server restarted, this machine slept), opens it again
    /// with back-off, saying so; the local process keeps running meanwhile. Returns a failure
    /// when the agent cannot come back, nil when cancelled.
    private func keepConnected(
        _ supervisor: TunnelSupervisor, connection: Connection, target: TakeoverTarget, portMap: [Int: Int]
    ) async -> Result<Int32, SessionError>? {
        let report = self.report
        var tunnel = connection.tunnel
        var agentPod = connection.agentPod
        while !Task.isCancelled {
            let current = tunnel
            // On cancellation the carrier closes first: a stream arriving after its reader has
            // gone would trap (NIO drops its unfinished writer).
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await current.serveInbound(portMap: portMap) { remote, local, connected in
                            if !connected {
                                report(.init(.warning, "a connection came for port \(remote) but nothing listens on localhost:\(local)", fields: ["port": .integer(Int64(remote))]))
                            }
                        }
                    }
                    group.addTask {
                        await current.waitUntilLost()
                        await current.close()
                    }
                    await group.waitForAll()
                }
            } onCancel: {
                current.closeAtOnce()
            }
            await supervisor.lost()
            guard !Task.isCancelled else { return nil }
            do { try advance(.tunnelLost) } catch { return .failure(error) }
            // Say why when the cluster can tell at once.
            let (client, lastPod) = (self.client, agentPod)
            let why = await Self.within(.seconds(2)) {
                await AgentPodWatch(client: client).waitUntilStopped(pod: lastPod, container: target.container, interval: .milliseconds(250))
            }
            report(.init(.warning, "lost the connection to the agent (pod \(agentPod.metadata.nameOrEmpty)\(why.map { ": \($0)" } ?? "")): reconnecting"))
            switch await reconnect(target: target, identity: connection.identity, ports: connection.agentPorts) {
            case .success(let (reopened, pod)):
                tunnel = reopened
                agentPod = pod
                do { try advance(.tunnelOpened) } catch { return .failure(error) }
                await supervisor.replace(reopened)
                report(.init(.progress, "reconnected to the agent (pod \(pod.metadata.nameOrEmpty)): service \"\(options.service)\" is redirected to this machine again"))
            case .failure(let error):
                return Task.isCancelled ? nil : .failure(error)
            }
        }
        return nil
    }

    /// Opens the first tunnel, dialling again for a few seconds while the agent closes the
    /// connection at once: it is busy with other handshakes (connections from elsewhere in the
    /// cluster it has not yet given up on), or its listener is not up yet (the pod is ready as soon
    /// as the agent runs: `AgentContainer`).
    private func openTunnel(pod: String, ports: AgentPorts, secret: String) async throws(SessionError) -> SessionTunnel {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do throws(SessionError) {
                return try await SessionTunnel.open(client: client, pod: pod, namespace: options.namespace, ports: ports, secret: secret)
            } catch {
                guard case .tunnelLost = error, ContinuousClock.now < deadline, !Task.isCancelled else { throw error }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Waits for the session's agent to be ready again and opens a new tunnel to it, with
    /// back-off, for up to `options.reconnectTimeout`.
    private func reconnect(target: TakeoverTarget, identity: SessionIdentity, ports: AgentPorts) async -> Result<(SessionTunnel, Pod), SessionError> {
        let deadline = ContinuousClock.now + options.reconnectTimeout
        var delay = Duration.milliseconds(250)
        var last = SessionError.tunnelLost(detail: "the port-forward to the agent closed")
        while ContinuousClock.now < deadline, !Task.isCancelled {
            do throws(SessionError) {
                let pod = try await AgentPodWatch(client: client).waitUntilReady(
                    workload: target.workload, session: identity.id, container: target.container, image: options.agentImage,
                    timeout: max(deadline - ContinuousClock.now, .seconds(1))
                ) { _ in }
                let tunnel = try await SessionTunnel.open(client: client, pod: pod.metadata.nameOrEmpty, namespace: options.namespace, ports: ports, secret: identity.secret)
                return .success((tunnel, pod))
            } catch {
                switch error {
                case .agentNotReady(let pod, let reason, let message, _) where reason.contains("Image"):
                    // Its image is gone from the node and cannot be pulled: it will not come back by itself.
                    return .failure(.agentStopped(pod: pod, detail: "\(reason)\(message.isEmpty ? "" : ": \(message)")"))
                case .agentNotAuthenticated:
                    return .failure(error)
                default:
                    // Restarting (a crash is followed by a back-off), or the cluster is away: try again.
                    last = error
                }
            }
            // Someone gave the workload back (or another session holds it): nothing to reconnect to.
            if let holder = try? await WorkloadTakeover(client: client).holder(of: target.workload), holder != identity.id {
                return .failure(.tunnelLost(detail: "\(target.workload) no longer runs this session's agent (another session holds it now)"))
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(8))
        }
        return .failure(.tunnelLost(detail: "could not reconnect within \(options.reconnectTimeout) (the cluster may be unreachable): \(last)"))
    }

    /// Tells the lifecycle what happened. An event it refuses is a defect of this class: the
    /// session fails with it (and gives back what it holds), so that a test sees it.
    private func advance(_ event: SessionLifecycle.Event) throws(SessionError) {
        do {
            _ = try lifecycle.withLock { lifecycle throws(SessionLifecycle.InvalidTransition) in try lifecycle.handle(event) }
        } catch {
            logger.error("session lifecycle: \(error)")
            throw .defect(error.description)
        }
    }

    /// Gives back what the session holds (`SessionGiveBack`, in the order its lifecycle gives)
    /// after `end` happened, saying what was given back, what others changed meanwhile and was
    /// kept, and what could not be given back; returns why something could not be given back.
    private func giveBack(
        _ end: SessionLifecycle.Event, connection: Connection?, hostsFile: HostsFile?, workload: WorkloadReference, session: String, check: OriginalCheck
    ) async -> SessionError? {
        var executor = SessionGiveBack(client: client, session: session, namespace: workload.namespace, workloads: [workload])
        executor.hostsFile = hostsFile
        executor.hostsOriginal = connection?.hostsOriginal
        executor.registry = registry
        executor.check = check
        if let connection {
            executor.closeTunnel = {
                await connection.outbound.close()
                await connection.tunnel.close()
            }
        }
        var current = lifecycle.withLock { $0 }
        let holdings = current.holdings
        if holdings.contains(.takeover) || holdings.contains(.hostsBlock) {
            report(.init(.progress, "giving back: \(workload)\(holdings.contains(.hostsBlock) ? ", the block in \(hostsFile?.path ?? "the hosts file")" : "")", fields: ["phase": "giveBack"]))
        }
        let outcome: SessionGiveBack.Outcome
        do {
            outcome = try await executor.run(&current, after: end)
        } catch {
            logger.error("session lifecycle: \(error)")
            return .defect(error.description)
        }
        lifecycle.withLock { $0 = current }
        for (holding, error) in outcome.failures where holding != .takeover {
            report(.init(.warning, "\(error.description) (left for `kbridge clean`)"))
        }
        if holdings.contains(.takeover), !outcome.failures.contains(where: { $0.holding == .takeover }) {
            for kept in outcome.kept { report(.init(.warning, "\(workload): \(kept)")) }
            report(.init(.restored, outcome.kept.isEmpty ? "\(workload) is back as it was" : "\(workload) runs its own container again (changes others made meanwhile were kept)"))
        }
        return outcome.failure
    }

    /// What `work` returns if it does within `limit`, else nil (the work is cancelled).
    static func within<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async -> T?) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Runs `work` unless a stop comes first: nil when stopped (the work is cancelled).
    static func untilStopped<T: Sendable>(_ stop: StopRequest, _ work: @escaping @Sendable () async throws(SessionError) -> T) async -> Result<T, SessionError>? {
        await withTaskGroup(of: Result<T, SessionError>?.self) { group in
            group.addTask {
                do throws(SessionError) {
                    return .success(try await work())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                _ = await stop.wait()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
