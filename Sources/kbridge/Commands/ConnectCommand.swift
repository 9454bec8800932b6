import ArgumentParser
import BridgeSession
import BridgeTunnel
import ChildProcesses
import Dispatch
import Foundation
import Isolation
import KubernetesClient
import LocalEndpoints

/// `kbridge connect`: the heart of kbridge.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Redirect a service's traffic to a local port and reach the cluster's services from this machine.",
        discussion: """
            The service's workload runs the kbridge agent instead of its container until the session ends; \
            connections to the container's ports come to localhost:LOCAL-PORT (other ports to the same \
            numbers, or as --map says). Cluster services get local addresses (127.1.x.y) with their names in \
            the hosts file, or, with --no-hosts, through their *_SERVICE_HOST/*_SERVICE_PORT variables. \
            With a COMMAND after --, it runs with the pod's environment and the session ends with it; \
            without one, the session lasts until Ctrl-C.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The service whose traffic comes to this machine.")
    var service: String?

    @Option(help: "Instead of a service: a pod that no Service fronts (a queue worker); it gets no traffic, only its environment, files and the cluster's names.")
    var pod: String?

    @Option(help: "Instead of a service: deployment/NAME or statefulset/NAME that no Service fronts; as --pod.")
    var workload: WorkloadChoice?

    @Option(help: "The local port your code listens on (with --service).")
    var localPort: Int?

    @Option(help: "The container to replace, when the pod has several.")
    var container: String?

    @Option(help: "The hosts file to write the cluster's service names into (default: /etc/hosts).")
    var hostsFile: String?

    @Flag(help: "Leave the hosts file alone: reach services through their *_SERVICE_HOST/*_SERVICE_PORT variables.")
    var noHosts = false

    @Option(help: "Also write the pod's environment (as this machine sees it) to this dotenv file.")
    var envFile: String?

    @Option(help: "The agent image.")
    var agentImage: String = AgentImage.default

    @Option(name: .customLong("map"), help: "REMOTE:LOCAL — send the container's port REMOTE to local port LOCAL (repeatable).")
    var portMappings: [PortMapping] = []

    @Flag(help: "Stop the process that holds the local port instead of refusing.")
    var freePort = false

    @Option(help: "Seconds to wait for the agent pod to be ready.")
    var timeout: Int = 120

    @Option(help: "Seconds to keep trying to reconnect to the agent once the connection dropped.")
    var reconnectTimeout: Int = 60

    @Option(help: "Seconds the session's lease lives without renewal; then the cluster's guard gives the workload back (this machine crashed, slept or lost the cluster).")
    var ttl: Int = Int(SessionGuard.defaultTTL.components.seconds)

    @Flag(help: "Install no guard: a crash of this machine then leaves the workload redirected until `kbridge disconnect` or `kbridge clean` (for a cluster where the guard cannot run).")
    var noGuard = false

    @Option(help: "The KubernetesLocalProcessConfig.yaml (or azds-local.env) to use (default: the one in the working directory, if any).")
    var config: String?

    @Flag(help: "Isolation: only requests carrying the header kubernetes-route-as: NAME come to this machine (a copy of the service's pod runs the agent; the service keeps serving everyone else).")
    var isolate = false

    @Option(name: .customLong("route-as"), help: "With --isolate: the routing name (a DNS label; default: your user name and 4 random characters). Ingress hosts get NAME.<host>.")
    var routeAs: String?

    @Option(help: "The loopback range for cluster services' local addresses.")
    var loopbackRange: String = LoopbackRange.default.description

    @Argument(parsing: .postTerminator, help: "The command to run with the pod's environment (after --).")
    var command: [String] = []

    func validate() throws {
        let targets = [service.map { _ in "--service" }, pod.map { _ in "--pod" }, workload.map { _ in "--workload" }].compactMap { $0 }
        guard targets.count == 1 else {
            throw ValidationError(targets.isEmpty
                ? "Missing expected argument '--service <service>' (or --pod NAME, or --workload deployment/NAME for a workload no Service fronts)"
                : "\(targets.joined(separator: " and ")) each name what to connect: give one")
        }
        if let service {
            guard Self.isServiceName(service) else {
                throw ValidationError("--service must be the name of a service (lowercase letters, digits and '-', starting with a letter, at most 63 characters): got '\(service)'")
            }
            guard localPort != nil else { throw ValidationError("Missing expected argument '--local-port <local-port>'") }
        } else {
            guard localPort == nil, portMappings.isEmpty else {
                throw ValidationError("--local-port and --map are for --service: a pod or workload that no Service fronts gets no traffic")
            }
            if let pod, !Self.isObjectName(pod) { throw ValidationError("--pod must be the name of a pod: got '\(pod)'") }
        }
        guard routeAs == nil || isolate else { throw ValidationError("--route-as names the requests of an isolated session: add --isolate") }
        guard !isolate || service != nil else { throw ValidationError("--isolate routes the requests of a service to this machine: name it with --service (a --pod or --workload gets no requests)") }
        guard !(noHosts && hostsFile != nil) else { throw ValidationError("--no-hosts and --hosts-file contradict each other: give one") }
        for (remote, mappings) in Dictionary(grouping: portMappings, by: \.remote) where mappings.count > 1 {
            throw ValidationError("--map gives the container's port \(remote) twice (to \(mappings.map { String($0.local) }.joined(separator: " and ")))")
        }
        if let localPort, !(1...65535).contains(localPort) { throw ValidationError("--local-port must be between 1 and 65535") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard reconnectTimeout >= 0 else { throw ValidationError("--reconnect-timeout must not be negative") }
        guard ttl >= 3 else { throw ValidationError("--ttl must be at least 3 seconds (the lease is renewed every third of it)") }
    }

    /// A Service's name is a DNS label (RFC 1035): anything else would go into the API's paths.
    static func isServiceName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (1...63).contains(scalars.count), let first = scalars.first, let last = scalars.last else { return false }
        let lowercaseOrDigit = { (scalar: Unicode.Scalar) in ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        return ("a"..."z").contains(first) && lowercaseOrDigit(last) && scalars.allSatisfy { lowercaseOrDigit($0) || $0 == "-" }
    }

    /// An object's name (RFC 1123 subdomain): anything else would go into the API's paths.
    static func isObjectName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (1...253).contains(scalars.count), let first = scalars.first, let last = scalars.last else { return false }
        let lowercaseOrDigit = { (scalar: Unicode.Scalar) in ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        return lowercaseOrDigit(first) && lowercaseOrDigit(last) && scalars.allSatisfy { lowercaseOrDigit($0) || $0 == "-" || $0 == "." }
    }

    var target: ConnectSession.Options.Target {
        if let service { return .service(service) }
        if let pod { return .pod(pod) }
        if let workload { return .workload(workload.kind, workload.name) }
        return .service("")
    }

    func run() async throws {
        let console = Console(format: global.output)
        let logger = DiagnosticLog.logger(command: "connect")
        var exitCode: Int32 = 0
        try await reportingErrors(console, logger: logger) {
            let client = try global.client(logger: logger)
            var options = ConnectSession.Options(target: target, namespace: global.namespace ?? client.defaultNamespace, localPort: localPort ?? 0)
            options.container = container
            options.hostsFile = noHosts ? nil : URL(fileURLWithPath: hostsFile ?? "/etc/hosts").standardizedFileURL.path
            options.hostsFileChosen = hostsFile != nil
            options.envFile = envFile
            options.agentImage = agentImage
            options.portMap = Dictionary(portMappings.map { ($0.remote, $0.local) }) { first, _ in first }
            options.freePort = freePort
            options.timeout = .seconds(timeout)
            options.reconnectTimeout = .seconds(reconnectTimeout)
            options.ttl = .seconds(ttl)
            options.guarded = !noGuard
            options.loopbackRange = try LoopbackRange(loopbackRange)
            options.command = command
            options.commandLauncher = ExecTiedCommand.launcher
            options.localConfig = try Self.localConfig(chosen: config)
            options.kubeconfig = global.kubeconfig.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            options.context = global.context
            if isolate {
                options.isolation = .init(routeAs: routeAs ?? RoutingNames.generatedRoutingName(user: ProcessInfo.processInfo.environment["USER"] ?? ""))
            }

            OpenFileLimit.raise()
            let stop = StopRequest()
            let signals = SignalWatch(signals: [SIGINT, SIGTERM]) { stop.request(signal: $0) }
            defer { signals.cancel() }
            let session = ConnectSession(client: client, options: options, logger: logger) { event in
                console.event(event)
                logger.log(level: event.kind == .warning ? .warning : .info, "\(event.kind.rawValue): \(event.message)")
            }
            exitCode = try await session.run(stop: stop)
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

extension ConnectCommand {
    /// The config file asked for, else `KubernetesLocalProcessConfig.yaml` or `azds-local.env` of the
    /// working directory; read and checked for its form before anything else.
    static func localConfig(chosen: String?) throws -> LocalProcessConfig? {
        if let chosen { return try LocalProcessConfig.load(chosen) }
        let directory = FileManager.default.currentDirectoryPath
        for name in [LocalProcessConfig.fileName, "azds-local.env"] where FileManager.default.fileExists(atPath: directory + "/" + name) {
            return try LocalProcessConfig.load(name)
        }
        return nil
    }
}

/// `--workload deployment/NAME` or `statefulset/NAME`.
struct WorkloadChoice: ExpressibleByArgument {
    var kind: WorkloadReference.Kind
    var name: String

    init?(argument: String) {
        let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, ConnectCommand.isObjectName(parts[1]) else { return nil }
        switch parts[0].lowercased() {
        case "deployment", "deployments", "deploy": kind = .deployment
        case "statefulset", "statefulsets", "sts": kind = .statefulSet
        default: return nil
        }
        name = parts[1]
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// `--map REMOTE:LOCAL`.
struct PortMapping: ExpressibleByArgument {
    var remote: Int
    var local: Int

    init?(argument: String) {
        let parts = argument.split(separator: ":")
        guard parts.count == 2, let remote = Int(parts[0]), let local = Int(parts[1]), (1...65535).contains(remote), (1...65535).contains(local) else { return nil }
        self.remote = remote
        self.local = local
    }
}

/// `kbridge exec-tied PARENT EXECUTABLE ARGS...` (hidden): becomes the developer's command, tied to
/// the kbridge process PARENT so that it ends when kbridge dies, even by SIGKILL (`ParentDeath`).
struct ExecTiedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-tied", shouldDisplay: false)

    @Argument var parent: Int32
    @Argument var executable: String
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    /// How `connect` starts its command: through this kbridge binary.
    static var launcher: [String] {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return [] }
        return [path, "exec-tied", String(getpid())]
    }

    func run() throws {
        let failure = ParentDeath.exec(tiedTo: parent, executable: executable, arguments: arguments)
        FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
        throw ExitCode(127)
    }
}
