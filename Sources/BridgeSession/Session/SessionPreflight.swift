import ChildProcesses
import Foundation
import KubernetesClient
import LocalEndpoints

/// Everything `connect` checks before it changes anything, in the cluster or on this machine: the
/// service and the workload behind it, the ports asked for, the local port, the hosts file, the
/// env file's folder, the command. A failure here leaves everything as it was.
struct SessionPreflight: Sendable {
    /// What the checks found, for the rest of the session.
    struct Checked: Sendable {
        var target: TakeoverTarget
        /// The hosts file to write; nil: service variables only.
        var hostsFile: HostsFile?
    }

    let context: SessionContext
    let registry: SessionRegistry

    func run() async throws(SessionError) -> Checked {
        let options = context.options
        context.report(.init(.progress, "looking up \(options.target) in namespace \"\(options.namespace)\""))
        let resolver = TargetResolver(client: context.client)
        var target: TakeoverTarget
        switch options.target {
        case .service(let name):
            target = try await resolver.resolve(service: name, namespace: options.namespace, container: options.container)
            context.report(.init(.progress, "service \"\(name)\" is served by \(target.workload), container \"\(target.container)\"", fields: ["phase": "found"]))
        case .pod(let name):
            target = try await resolver.resolve(pod: name, namespace: options.namespace, container: options.container)
        case .workload(let kind, let name):
            target = try await resolver.resolve(workload: WorkloadReference(kind: kind, name: name, namespace: options.namespace), container: options.container)
        }
        if target.service == nil {
            context.report(.init(
                .progress, "\(options.target) is run by \(target.workload), container \"\(target.container)\": no Service fronts it, so no traffic comes to this machine; the local process gets its environment, files and the cluster's names",
                fields: ["phase": "found"]
            ))
        }
        if let isolation = options.isolation {
            try await IsolationCheck(client: context.client, namespace: options.namespace).run(target, routeAs: isolation.routeAs)
        }
        if let config = options.localConfig {
            for warning in config.warnings { context.report(.init(.warning, warning)) }
            try await ConfigCheck(client: context.client, namespace: options.namespace, registry: registry).run(config, target: target)
            target.kept = Set(config.features.map { $0 == .probes ? AgentContainer.Kept.probes : .lifecycleHooks })
            if !target.kept.isEmpty, let notKept = try? await notKept(target), !notKept.isEmpty {
                context.report(.init(.warning, "\(config.file): enableFeatures keeps \(notKept.joined(separator: ", ")) off the agent: they run a command (exec), which the agent's image does not have"))
            }
            context.report(.init(.progress, "\(config.file): its volumes and services are the cluster's", fields: ["phase": "config"]))
        }
        if let port = options.portMap.keys.sorted().first(where: { !target.containerPorts.contains($0) }) {
            throw .unknownContainerPort(port: port, container: target.container, ports: target.containerPorts)
        }
        if target.service != nil {
            try await checkLocalPort()
            try await sayWhoSharesTheAppsPorts()
        }
        let hostsFile = try usableHostsFile()
        if let envFile = options.envFile {
            do { try DotenvFile.checkDestination(envFile) } catch { throw .localEndpoints("--env-file: \(error)") }
        }
        if let name = options.command.first, ProcessSpawner.locate(name, path: ProcessInfo.processInfo.environment["PATH"]) == nil {
            throw .localCommandFailed("\(name): command not found in PATH")
        }
        return Checked(target: target, hostsFile: hostsFile)
    }

    /// The probes and hooks `enableFeatures` asks for that the agent cannot keep.
    private func notKept(_ target: TakeoverTarget) async throws -> [String] {
        let workload = target.workload
        let object = try await context.client.getRaw(workload.kind.resourceType, name: workload.name, namespace: workload.namespace)
        let spec = workload.kind == .pod ? object["spec"] : object[path: "spec", "template", "spec"]
        guard let container = spec?["containers"]?.arrayValue?.first(where: { $0["name"]?.stringValue == target.container }) else { return [] }
        return AgentContainer.notKept(of: container, keeping: target.kept)
    }

    /// The hosts file to write, checked before anything changes: nil when there is none to write
    /// (`--no-hosts`, or no rights to the default one: service variables then).
    private func usableHostsFile() throws(SessionError) -> HostsFile? {
        let options = context.options
        guard let path = options.hostsFile else { return nil }
        let file = HostsFile(path: path)
        do {
            try file.checkWritable()
            return file
        } catch .notWritable where !options.hostsFileChosen {
            context.report(.init(.warning, "cannot write \(path) (it needs administrator rights): cluster services are reached through the *_SERVICE_HOST/*_SERVICE_PORT variables instead (--no-hosts skips this check)"))
            return nil
        } catch {
            throw .localEndpoints(error.description)
        }
    }

    /// The local port: without a COMMAND, what listens there is the app that gets the traffic
    /// (said; and said when nothing listens yet). A COMMAND needs the port free: a holder is an
    /// error, or is stopped with `--free-port`.
    private func checkLocalPort() async throws(SessionError) {
        let options = context.options
        guard let holder = PortHolder.find(port: options.localPort) else {
            if options.command.isEmpty {
                context.report(.init(.warning, "nothing listens on localhost:\(options.localPort) yet: start the app there (until then the service's callers are refused)"))
            }
            return
        }
        if options.command.isEmpty, !options.freePort {
            context.report(.init(.progress, "\(holder.description): it gets the service's traffic"))
            return
        }
        guard options.freePort else {
            throw .portHeld(holder.description, hint: "the command needs it: stop it, choose another --local-port, or pass --free-port to let kbridge stop it")
        }
        context.report(.init(.progress, "\(holder.description): stopping it (--free-port)"))
        guard await holder.stop() else { throw .portHeld(holder.description, hint: "kbridge could not stop it; stop it yourself or choose another --local-port") }
    }

    /// Services of the namespace that use the app's port number too: the cluster's services are
    /// served on their own loopback addresses at their own ports, and Linux lets nobody listen on
    /// every address (`0.0.0.0`) at a port some address listens on. Said before anything changes,
    /// with what it means and what to do.
    private func sayWhoSharesTheAppsPorts() async throws(SessionError) {
        let options = context.options
        let appPorts = Set([options.localPort] + options.portMap.values)
        let services: [Service]
        do { services = try await context.client.list(Service.self, namespace: options.namespace) } catch { throw .cluster(error) }
        let takenEverywhere = LoopbackAllocator.portsTakenEverywhere()
        for (port, names) in OutboundEndpoints.sharing(appPorts, among: services).sorted(by: { $0.key < $1.key }) {
            let which = "service\(names.count == 1 ? "" : "s") \(names.map { "\"\($0)\"" }.joined(separator: ", ")) also use\(names.count == 1 ? "s" : "") port \(port)"
            if takenEverywhere.contains(port) {
                context.report(.init(.warning, "\(which), which the app holds on every address: kbridge serves \(names.count == 1 ? "it" : "them") on another port of \(names.count == 1 ? "its" : "their") address (the *_SERVICE_PORT variables give it); by name at port \(port) the app answers itself", fields: ["port": .integer(Int64(port))]))
            } else {
                context.report(.init(.warning, "\(which): kbridge listens there on \(names.count == 1 ? "its" : "their") own address\(names.count == 1 ? "" : "es"), so the app must listen on localhost:\(port), not on every address (0.0.0.0:\(port) cannot start while connected); start the app first to have kbridge serve \(names.count == 1 ? "it" : "them") on another port, or use another --local-port", fields: ["port": .integer(Int64(port))]))
            }
        }
    }
}
