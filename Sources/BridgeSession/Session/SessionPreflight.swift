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

    func run() async throws(SessionError) -> Checked {
        let options = context.options
        context.report(.init(.progress, "looking up service \"\(options.service)\" in namespace \"\(options.namespace)\""))
        let target = try await TargetResolver(client: context.client).resolve(service: options.service, namespace: options.namespace, container: options.container)
        context.report(.init(.progress, "service \"\(options.service)\" is served by \(target.workload), container \"\(target.container)\"", fields: ["phase": "found"]))
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
        return Checked(target: target, hostsFile: hostsFile)
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

    private func freeLocalPort() async throws(SessionError) {
        guard let holder = PortHolder.find(port: context.options.localPort) else { return }
        guard context.options.freePort else {
            throw .portHeld(holder.description, hint: "stop it, choose another --local-port, or pass --free-port to let kbridge stop it")
        }
        context.report(.init(.progress, "\(holder.description): stopping it (--free-port)"))
        guard await holder.stop() else { throw .portHeld(holder.description, hint: "kbridge could not stop it; stop it yourself or choose another --local-port") }
    }
}
