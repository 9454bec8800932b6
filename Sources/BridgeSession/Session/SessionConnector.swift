import Foundation
import KubernetesClient
import LocalEndpoints
import Routing

/// What is up while a session is connected.
struct SessionConnection: Sendable {
    /// The agent's pod as it was when the tunnel opened.
    var agentPod: Pod
    var identity: SessionIdentity
    var agentPorts: AgentPorts
    var tunnel: SessionTunnel
    var outbound: OutboundEndpoints
    var environment: [String: String]
    /// The pod's files on this machine.
    var files: LocalEnvironment.Files
    /// The variables whose values come from Secrets.
    var secretVariables: Set<String>
    var hostsOriginal: String?
    var hostsFile: HostsFile?
}

/// Connects a taken-over workload to this machine: waits for the agent pod and for the service to
/// send its traffic to it only, opens the tunnel, reads the pod's environment and downloads its
/// mounted files, gives the cluster's services addresses of this machine, writes the hosts file
/// and the env file.
struct SessionConnector: Sendable {
    let context: SessionContext
    let registry: SessionRegistry

    func run(target: TakeoverTarget, identity: SessionIdentity, takenOver: TakenOver, hostsFile: HostsFile?) async throws(SessionError) -> SessionConnection {
        let (client, options, report) = (context.client, context.options, context.report)
        let watch = AgentPodWatch(client: client)
        let pod = try await watch.waitUntilReady(
            workload: target.workload, session: identity.id, container: target.container, image: options.agentImage, timeout: options.timeout
        ) { line in report(.init(.progress, line)) }
        let podName = pod.metadata.nameOrEmpty
        let podIP = pod.status?.podIP ?? ""
        if let isolation = options.isolation {
            report(.init(.progress, "agent pod \(podName) is ready (\(podIP)); waiting for the routing manager to send service \"\(options.service)\"'s requests carrying \(RouteAs.header): \(isolation.routeAs) to it", fields: ["phase": "agentReady"]))
            try await RoutingReadiness(client: client, namespace: options.namespace).waitForRoute(
                service: options.service, routeAs: isolation.routeAs, copyAddress: podIP, timeout: options.timeout
            ) { line in report(.init(.progress, line)) }
            report(.init(.progress, "routed: requests for service \"\(options.service)\" carrying \(RouteAs.header): \(isolation.routeAs) come to the copy; all others reach \(target.workload)", fields: ["phase": "routed"]))
        } else if let service = target.service {
            report(.init(.progress, "agent pod \(podName) is ready (\(podIP)); waiting for service \"\(service.metadata.nameOrEmpty)\" to send its traffic to it only", fields: ["phase": "agentReady"]))
            if await !watch.waitForEndpoints(service: service, agentIP: podIP, timeout: .seconds(60)) {
                report(.init(.warning, "service \"\(options.service)\" still lists other pods after 60s: some requests may not reach this machine"))
            }
        } else {
            report(.init(.progress, "agent pod \(podName) is ready (\(podIP))", fields: ["phase": "agentReady"]))
        }

        report(.init(.progress, "opening the tunnel: port-forward to \(podName) ports \(takenOver.agentPorts.control) and \(takenOver.agentPorts.inbound)", fields: ["phase": "endpoints"]))
        let tunnel = try await TunnelKeeper(context: context).openFirst(pod: podName, ports: takenOver.agentPorts, secret: identity.secret)
        try context.advance(.tunnelOpened)
        report(.init(.progress, "tunnel open: the agent proved it holds the session secret", fields: ["phase": "tunnel"]))
        do {
            let podEnvironment = try await tunnel.environment()
            report(.init(.progress, "read the pod's environment (\(podEnvironment.count) variables)", fields: ["phase": "environment"]))
            let config = options.localConfig
            let podFiles = PodFiles(container: target.container, of: pod, alsoNamed: config?.volumePatterns.map(\.pattern) ?? [])
            let files = LocalEnvironment.Files(local: SessionFiles(session: identity.id, registry: registry), mountPaths: podFiles.mountPaths)
            do { try files.local.create() } catch { throw SessionError.localEndpoints(error.description) }
            try context.advance(.filesWritten)
            try await podFiles.download(through: tunnel, into: files.local) { warning in report(.init(.warning, warning)) }
            if !podFiles.mountPaths.isEmpty {
                report(.init(
                    .progress, "downloaded the pod's files under \(podFiles.mountPaths.joined(separator: ", ")) into \(files.local.root.path) ($\(SessionFiles.rootVariable))",
                    fields: ["phase": "files", "root": .string(files.local.root.path)]
                ))
            }
            let reachable: ReachableServices
            let backends: ServiceEndpointsReader.Answer
            do {
                let named = config?.services.compactMap(\.namespace) ?? []
                reachable = try await ReachableServices.read(client: client, namespace: options.namespace, environment: podEnvironment, alsoNamed: named)
                let headless = reachable.services.filter { $0.spec.isHeadless && $0.metadata.namespace == options.namespace }
                backends = try await ServiceEndpointsReader.discover(client: client).readyAddresses(of: headless, namespace: options.namespace)
            } catch {
                throw SessionError.cluster(error)
            }
            if let limited = reachable.limited { report(.init(.warning, limited)) }
            let outbound: OutboundEndpoints
            do {
                outbound = try await OutboundEndpoints.open(
                    services: reachable.services, namespace: options.namespace, readyAddresses: backends.readyAddresses, range: options.loopbackRange,
                    avoiding: LoopbackAllocator.portsTakenEverywhere(), portLimits: config?.portLimits(namespace: options.namespace) ?? [:],
                    externals: config?.externalPorts ?? []
                )
            } catch {
                throw SessionError.localEndpoints(error.description)
            }
            let externals = outbound.entries.filter(\.isExternal)
            let others = outbound.entries.count - outbound.ownEntries.count - externals.count
            report(.init(
                .progress, "\(outbound.ownEntries.count) services of \(options.namespace) and \(others) of other namespaces have an address of this machine, listened on at their ports",
                fields: ["phase": "listeners"]
            ))
            for external in externals {
                let ports = external.ports.map { String($0.port) }.joined(separator: ",")
                report(.init(.progress, "\(external.service) (ports \(ports)) has address \(external.allocation.address): its connections are dialled from the agent's pod"))
            }
            for left in outbound.ignored {
                let ports = left.ports.map(String.init).joined(separator: ", ")
                if !left.ports.isEmpty {
                    report(.init(.progress, "service \"\(left.service)\": port\(left.ports.count == 1 ? "" : "s") \(ports) left off this machine (annotation \(OutboundEndpoints.ignorePortsAnnotation))"))
                }
                if !left.invalid.isEmpty {
                    report(.init(.warning, "service \"\(left.service)\": annotation \(OutboundEndpoints.ignorePortsAnnotation) names \(left.invalid.map { "\"\($0)\"" }.joined(separator: ", ")), which \(left.invalid.count == 1 ? "is not a port" : "are not ports"): ignored"))
                }
            }
            let appPorts = Set([options.localPort] + options.portMap.values)
            for moved in outbound.movedPorts where !appPorts.contains(moved.port) {
                let why = outbound.avoided.contains(moved.port) ? "something listens on every address at port \(moved.port)" : "no right to listen on port \(moved.port)"
                let said = "\(why), which service \"\(moved.service)\" uses: it is served on port \(moved.localPort) of its address"
                // Another namespace's service (named `svc.ns`) has no variables to say it: the log does.
                if moved.service.contains(".") {
                    context.logger.info("\(said)")
                } else {
                    report(.init(.warning, "\(said), which its *_SERVICE_PORT variables give"))
                }
            }
            var hostsOriginal: String?
            if let hostsFile {
                do {
                    hostsOriginal = try hostsFile.install(session: identity.id, entries: outbound.hostsEntries)
                } catch {
                    await outbound.close()
                    throw SessionError.localEndpoints(error.description)
                }
                try context.advance(.hostsWritten)
                report(.init(.progress, "wrote \(outbound.entries.count) service names into \(hostsFile.path)"))
            }
            var environment = LocalEnvironment.build(pod: podEnvironment, podIP: podIP, outbound: outbound, files: files, namesInHostsFile: hostsFile != nil)
            if let config {
                let configured = ConfigEnvironment(
                    config: config, namespace: options.namespace, outbound: outbound,
                    mounts: pod.spec.containers.first { $0.name == target.container }?.volumeMounts ?? [], files: files.local, namesInHostsFile: hostsFile != nil
                )
                for link in configured.links() {
                    do { try files.local.link(link.localPath, to: link.mountPath) } catch { throw SessionError.filesNotDownloaded(path: link.mountPath, reason: error.description) }
                    report(.init(.progress, "\(link.localPath) links to the pod's files under \(link.mountPath) (\(config.file))"))
                }
                environment.merge(try configured.variables()) { $1 }
                report(.init(.progress, "set \(config.env.count) variables of \(config.file)", fields: ["phase": "config"]))
            }
            if let envFile = options.envFile {
                do {
                    try PrivateFile.write(Data(DotenvFile.render(environment).utf8), to: URL(fileURLWithPath: envFile))
                } catch {
                    throw SessionError.localEndpoints("--env-file: \(error)")
                }
            }
            var secrets: Set<String> = []
            if let appContainer = pod.spec.containers.first(where: { $0.name == target.container }) {
                secrets = await SecretVariables.names(of: appContainer, in: environment, client: client, namespace: options.namespace)
            }
            return SessionConnection(
                agentPod: pod, identity: identity, agentPorts: takenOver.agentPorts, tunnel: tunnel, outbound: outbound, environment: environment,
                files: files, secretVariables: secrets, hostsOriginal: hostsOriginal, hostsFile: hostsFile
            )
        } catch let error as SessionError {
            await tunnel.close()
            throw error
        } catch {
            await tunnel.close()
            throw .tunnelLost(detail: "\(error)")
        }
    }
}
