import BridgeTunnel
import Foundation
import KubernetesClient
import LocalEndpoints
import Logging
import Routing
import Synchronization

/// `kbridge connect`: redirects a service's traffic to a local port and gives the local
/// process the pod's environment and the cluster's services by name, until the command ends or
/// a stop is requested; then gives everything back.
///
/// It drives the session's parts (see `run`) and its lifecycle; whatever the phase a failure or a
/// stop happens in, what was changed is given back.
public final class ConnectSession: Sendable {
    public struct Options: Sendable {
        /// What the session takes over.
        public enum Target: Sendable, Equatable, CustomStringConvertible {
            /// A service: its traffic comes to `localPort`.
            case service(String)
            /// A pod, or a Deployment/StatefulSet, that no Service fronts: its environment, files
            /// and names come to this machine, no traffic.
            case pod(String)
            case workload(WorkloadReference.Kind, String)

            public var description: String {
                switch self {
                case .service(let name): return "service \"\(name)\""
                case .pod(let name): return "pod \"\(name)\""
                case .workload(let kind, let name): return "\(kind.rawValue.lowercased()) \"\(name)\""
                }
            }
        }

        public var target: Target
        /// The service's name; "" when the target is not a service.
        public var service: String {
            if case .service(let name) = target { return name }
            return ""
        }
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
        /// KubernetesLocalProcessConfig.yaml (or azds-local.env), read and checked for its form.
        public var localConfig: LocalProcessConfig?
        /// Isolation mode (`--isolate`): a copy of the service's pod gets only the requests that
        /// carry `kubernetes-route-as: routeAs`; the workload keeps serving everyone else.
        public struct Isolation: Sendable, Equatable {
            public var routeAs: String
            public init(routeAs: String) { self.routeAs = routeAs }
        }
        public var isolation: Isolation?
        /// Where the session came from, for `kbridge status` and `disconnect`.
        public var kubeconfig: String?
        public var context: String?

        /// `localPort`: where the service's traffic comes (0 for a target without a service).
        public init(target: Target, namespace: String, localPort: Int) {
            self.target = target
            self.namespace = namespace
            self.localPort = localPort
        }

        public init(service: String, namespace: String, localPort: Int) {
            self.init(target: .service(service), namespace: namespace, localPort: localPort)
        }
    }

    let context: SessionContext
    let registry: SessionRegistry
    var client: KubernetesClient { context.client }
    var options: Options { context.options }
    var report: @Sendable (SessionEvent) -> Void { context.report }

    public init(client: KubernetesClient, options: Options, registry: SessionRegistry = SessionRegistry(), logger: Logger, report: @escaping @Sendable (SessionEvent) -> Void) {
        context = SessionContext(client: client, options: options, logger: logger, report: report)
        self.registry = registry
    }

    /// Runs the session to its end; returns the exit code for the CLI (the command's own, 0
    /// when stopped without a command, 128 + signal when stopped while starting).
    ///
    /// The parts run in turn, each telling the session's lifecycle what it took: the checks
    /// (`SessionPreflight`), the record, the guard and the take-over (`GuardedTakeover`), the
    /// connection (`SessionConnector`), serving it (`TunnelKeeper` reconnects when the lifecycle
    /// says so); then the event that ended it goes to the lifecycle and `SessionGiveBack` gives
    /// back what it answers.
    public func run(stop: StopRequest) async throws(SessionError) -> Int32 {
        let checked = try await SessionPreflight(context: context, registry: registry).run()
        let (target, hostsFile) = (checked.target, checked.hostsFile)

        // Write-ahead: the record exists before anything changes, so that a crash at any later
        // step leaves something `kbridge disconnect` finds.
        let identity = SessionIdentity.generate()
        var record = SessionRecord(
            id: identity.id, pid: getpid(), service: options.service, workload: target.workload, kubeconfig: options.kubeconfig, context: options.context,
            hostsFile: hostsFile?.path, localPort: options.localPort, startedAt: Timestamp.format(Date())
        )
        if let isolation = options.isolation {
            record.routeAs = isolation.routeAs
            record.clonePod = SessionClone.podName(service: options.service, routeAs: isolation.routeAs, session: identity.id)
        }
        do { try registry.save(record) } catch { throw .notRecorded(detail: error.description) }
        try context.advance(.recorded)
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
        let upkeep = { @Sendable (hold: GuardedHold) in
            let keeper = SessionUpkeep(
                sessionGuard: self.options.guarded ? sessionGuard : nil, session: identity.id, hold: hold, image: self.options.agentImage, ttl: self.options.ttl
            ) { [report = self.report] warning in report(.init(.warning, warning)) }
            let task = Task {
                if await keeper.run(client: self.client, logger: self.context.logger) == .gaveBack {
                    ending.request(signal: SIGTERM)
                }
            }
            renewal.withLock { $0 = task }
        }
        let takenOver: TakenOver
        do {
            takenOver = try await GuardedTakeover(context: context, registry: registry).run(target, identity: identity, guard: sessionGuard, startUpkeep: upkeep)
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
        let connector = SessionConnector(context: context, registry: registry)
        let started = await Self.untilStopped(ending) { () async throws(SessionError) -> SessionConnection in
            try await connector.run(target: target, identity: identity, takenOver: takenOver, hostsFile: chosenHostsFile)
        }
        let outcome: Result<Int32, SessionError>
        var connection: SessionConnection?
        switch started {
        case .none:
            outcome = .success(128 + (ending.signal ?? SIGINT))
        case .some(.failure(let error)):
            outcome = .failure(error)
        case .some(.success(let up)):
            connection = up
            // The record as it is now (the links a config made are in it), connected.
            var connectedRecord = registry.record(identity.id) ?? record
            connectedRecord.connectedAt = Timestamp.format(Date())
            do {
                try registry.save(connectedRecord)
                try registry.saveDiagnostics(SessionDiagnostics(up, envFile: options.envFile, connectedAt: connectedRecord.connectedAt ?? ""))
            } catch {
                report(.init(.warning, "cannot record that the session is connected (`kbridge status` and `kbridge diagnostics` will not show it): \(error)"))
            }
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
        if let connection { await logAgentPod(connection.agentPod) }
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

    private func serve(_ connection: SessionConnection, target: TakeoverTarget, stop: StopRequest) async -> Result<Int32, SessionError> {
        var portMap = options.portMap
        portMap[target.primaryPort] = portMap[target.primaryPort] ?? options.localPort
        let mapping = target.containerPorts.map { "\($0)→localhost:\(portMap[$0] ?? $0)" }.joined(separator: ", ")
        let names = connection.hostsFile == nil ? "service variables" : "names in \(connection.hostsFile?.path ?? "")"
        do { try context.advance(.connected) } catch { return .failure(error) }
        let redirected = if target.service == nil {
            "\(target.workload) runs the agent; no traffic comes to this machine (no Service fronts it)"
        } else if let isolation = options.isolation {
            "requests for service \"\(options.service)\" (\(mapping)) carrying \(RouteAs.header): \(isolation.routeAs) come to this machine, all others to \(target.workload)"
        } else {
            "service \"\(options.service)\" (\(mapping)) is redirected to this machine"
        }
        report(.init(
            .connected,
            "connected: \(redirected); \(connection.outbound.entries.count) cluster services reachable through \(names)",
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
                try context.advance(.commandStarted)
                report(.init(.progress, "started \(options.command[0]) (pid \(started.pid)) with the pod's environment", fields: ["phase": "command", "pid": .integer(Int64(started.pid))]))
            } catch {
                await connection.outbound.close()
                await connection.tunnel.close()
                return .failure(error)
            }
        }
        let logger = context.logger
        let routeAs = options.isolation?.routeAs
        let inboundMap = portMap
        let supervisor = TunnelSupervisor(connection.tunnel)
        return await withTaskGroup(of: Result<Int32, SessionError>?.self) { group in
            group.addTask {
                await TunnelKeeper(context: self.context).keepConnected(supervisor, connection: connection, target: target, portMap: inboundMap)
            }
            group.addTask {
                await connection.outbound.serve(through: supervisor, routeAs: routeAs, logger: logger)
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

    /// Gives back what the session holds (`SessionGiveBack`, in the order its lifecycle gives)
    /// after `end` happened, saying what was given back, what others changed meanwhile and was
    /// kept, and what could not be given back; returns why something could not be given back.
    private func giveBack(
        _ end: SessionLifecycle.Event, connection: SessionConnection?, hostsFile: HostsFile?, workload: WorkloadReference, session: String, check: OriginalCheck
    ) async -> SessionError? {
        var executor = SessionGiveBack(client: client, session: session, namespace: workload.namespace, workloads: [workload])
        executor.hostsFile = hostsFile
        executor.hostsOriginal = connection?.hostsOriginal
        executor.registry = registry
        executor.check = check
        let clone = options.isolation.map { SessionClone.podName(service: options.service, routeAs: $0.routeAs, session: session) }
        executor.clones = clone.map { [$0] } ?? []
        if let connection {
            executor.closeTunnel = {
                await connection.outbound.close()
                await connection.tunnel.close()
            }
        }
        var current = context.currentLifecycle
        let holdings = current.holdings
        let held = holdings.contains(.clone) ? "the session's copy \(clone ?? "")" : workload.description
        if holdings.contains(.takeover) || holdings.contains(.clone) || holdings.contains(.hostsBlock) {
            report(.init(.progress, "giving back: \(held)\(holdings.contains(.hostsBlock) ? ", the block in \(hostsFile?.path ?? "the hosts file")" : "")", fields: ["phase": "giveBack"]))
        }
        let outcome: SessionGiveBack.Outcome
        do {
            outcome = try await executor.run(&current, after: end)
        } catch {
            context.logger.error("session lifecycle: \(error)")
            return .defect(error.description)
        }
        context.currentLifecycle = current
        for (holding, error) in outcome.failures where holding != .takeover && holding != .clone {
            report(.init(.warning, "\(error.description) (left for `kbridge clean`)"))
        }
        if holdings.contains(.takeover), !outcome.failures.contains(where: { $0.holding == .takeover }) {
            for kept in outcome.kept { report(.init(.warning, "\(workload): \(kept)")) }
            report(.init(.restored, outcome.kept.isEmpty ? "\(workload) is back as it was" : "\(workload) runs its own container again (changes others made meanwhile were kept)"))
        }
        if holdings.contains(.clone), !outcome.failures.contains(where: { $0.holding == .clone }) {
            report(.init(.restored, "removed the session's copy \(clone ?? ""): its requests reach \(workload) again once the routing manager sees it gone"))
        }
        return outcome.failure
    }

    /// The agent pod's own log, into the diagnostic log, before the pod goes with the give-back.
    private func logAgentPod(_ pod: Pod) async {
        let name = pod.metadata.nameOrEmpty
        do {
            let log = try await client.logs(pod: name, namespace: options.namespace, tailLines: 2000)
            context.logger.info("the agent pod \(name)'s log:\n\(log)")
        } catch {
            context.logger.info("the agent pod \(name)'s log could not be read: \(error)")
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
