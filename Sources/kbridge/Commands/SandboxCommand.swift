import ArgumentParser
import Foundation
import KubernetesClient
import Logging
import Sandbox
import ServiceLifecycle

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "A local Kubernetes-compatible cluster whose containers are local processes.",
        discussion: """
            The sandbox serves the Kubernetes API over HTTPS and writes DIR/kubeconfig (contexts \
            `sandbox`, a client certificate, and `sandbox-token`, a bearer token). kubectl works against it. \
            Images are local commands listed in image map files (--images).
            """,
        subcommands: [SandboxUp.self, SandboxDown.self, SandboxStatus.self, SandboxKubelet.self]
    )
}

/// Where a sandbox lives.
struct SandboxDirectoryOption: ParsableArguments {
    @Option(help: "The sandbox's directory: kubeconfig, certificates, pods' files and logs.")
    var dir: String = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-sandbox").path

    var url: URL { URL(fileURLWithPath: dir).standardizedFileURL }
}

struct SandboxUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Start a sandbox; serves until SIGINT/SIGTERM unless --detach.")

    @OptionGroup var directory: SandboxDirectoryOption

    @Option(name: .customLong("images"), help: "An image map file (YAML: images: {NAME: {command: [...]}}); repeatable.")
    var imageFiles: [String] = []

    @Option(help: "Port of the API server (default: a free one).")
    var port: Int = 0

    @Flag(help: "Return once the sandbox is ready and leave it running.")
    var detach = false

    @Option(help: "Milliseconds by which the API server's port-forward relay delays every message, both ways: a far cluster, for benchmarks.")
    var portForwardDelay: Int = 0

    @OptionGroup var format: OutputOptions

    func run() async throws {
        let console = Console(format: format.output)
        let images = imageFiles.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        try await reportingErrors(console) {
            if detach {
                console.step("starting the sandbox in \(directory.url.path)")
                var arguments = ["sandbox", "up", "--dir", directory.url.path, "--port", String(port), "--port-forward-delay", String(portForwardDelay)]
                for image in images { arguments += ["--images", image] }
                let state = try await SandboxDaemon.start(
                    executable: Self.currentExecutable, arguments: arguments, directory: directory.url,
                    logFile: directory.url.appendingPathComponent("logs").appendingPathComponent("sandbox.log")
                )
                report(state, console: console)
                return
            }
            var logger = Logger(label: "kbridge.sandbox")
            logger.logLevel = ProcessInfo.processInfo.environment["KBRIDGE_SANDBOX_DEBUG"] == nil ? .info : .debug
            var options = SandboxCluster.Options(directory: directory.url, imageFiles: images + [try SandboxAgentImage.mapFile(in: directory.url)])
            options.port = port
            options.portForwardDelay = .milliseconds(portForwardDelay)
            let cluster = SandboxCluster(options: options, logger: logger)
            let service = SandboxService(cluster: cluster) { state in report(state, console: console) }
            let group = ServiceGroup(configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    private func report(_ state: SandboxCluster.State, console: Console) {
        var fields: [String: JSONValue] = ["server": .string(state.server), "kubeconfig": .string(state.kubeconfig), "pid": .integer(Int64(state.pid))]
        var ingress = ""
        if let address = state.ingress {
            fields["ingress"] = .string(address)
            ingress = "\ningress:       http://\(address)/ (routes by Host: curl -H 'Host: HOST' http://\(address)/)"
        }
        console.result(
            """
            sandbox ready: \(state.server) (pid \(state.pid))
            kubeconfig:    \(state.kubeconfig)
            try:           kubectl --kubeconfig \(state.kubeconfig) get nodes\(ingress)
            """,
            event: "sandbox-ready", fields: fields
        )
    }

    static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Runs a sandbox under ServiceLifecycle, so SIGINT and SIGTERM stop it cleanly.
struct SandboxService: ServiceLifecycle.Service {
    let cluster: SandboxCluster
    let onReady: @Sendable (SandboxCluster.State) -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await cluster.run { onReady($0) }
        }
    }
}

struct SandboxDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the sandbox of a directory and every process it started.")

    @OptionGroup var directory: SandboxDirectoryOption

    @OptionGroup var format: OutputOptions

    func run() async throws {
        let console = Console(format: format.output)
        try await reportingErrors(console) {
            try await SandboxDaemon.stop(directory: directory.url)
            console.result("sandbox in \(directory.url.path) stopped", event: "sandbox-stopped", fields: ["dir": .string(directory.url.path)])
        }
    }
}

struct SandboxStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Say whether a sandbox runs in a directory, and where.")

    @OptionGroup var directory: SandboxDirectoryOption

    @OptionGroup var format: OutputOptions

    func run() async throws {
        let console = Console(format: format.output)
        guard let state = SandboxDaemon.running(in: directory.url) else {
            console.result("no sandbox is running in \(directory.url.path)", event: "sandbox-status", fields: ["running": false, "dir": .string(directory.url.path)])
            throw ExitCode(3)
        }
        let nodes = (try? await KubernetesClient(kubeconfig: state.kubeconfig).list(Node.self)) ?? []
        console.result(
            "sandbox running: \(state.server) (pid \(state.pid)), \(nodes.count) node(s)\nkubeconfig: \(state.kubeconfig)",
            event: "sandbox-status",
            fields: [
                "running": true, "server": .string(state.server), "kubeconfig": .string(state.kubeconfig),
                "pid": .integer(Int64(state.pid)), "nodes": .integer(Int64(nodes.count)),
            ]
        )
    }
}

struct SandboxKubelet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubelet", abstract: "Run only the process kubelet, joined to any API server through a kubeconfig."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("images"), help: "An image map file; repeatable.")
    var imageFiles: [String] = []

    @Option(help: "The node's name.")
    var nodeName: String = ProcessInfo.processInfo.hostName.lowercased()

    @Option(help: "Where pods' files and logs go.")
    var root: String = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-kubelet").path

    @Option(help: "Pod IP range to use when the API server assigns none.")
    var podCIDR: String = "127.99.0.0/16"

    @Option(help: "A CA file (PEM): only clients with a certificate from it (the API server) may use the kubelet API.")
    var clientCA: String?

    @Option(help: "Port of the kubelet API (default: a free one).")
    var port: Int = 0

    func run() async throws {
        let console = Console(format: global.output)
        var logger = Logger(label: "kbridge.kubelet")
        logger.logLevel = .info
        try await reportingErrors(console) {
            let client = try global.client(logger: logger)
            var configuration = KubeletConfiguration(nodeName: nodeName, root: URL(fileURLWithPath: root), imageFiles: imageFiles.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
            configuration.fallbackPodCIDR = podCIDR
            configuration.port = port
            if let clientCA {
                do {
                    configuration.clientCAPEM = try String(contentsOfFile: clientCA, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot read --client-ca \(clientCA): \(error.localizedDescription)")
                }
            }
            let kubelet = ProcessKubelet(client: client, configuration: configuration, logger: logger)
            let service = KubeletService(kubelet: kubelet)
            console.step("kubelet \(nodeName) joining \(client.connection.serverDescription)")
            try await ServiceGroup(configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
        }
    }
}

struct KubeletService: ServiceLifecycle.Service {
    let kubelet: ProcessKubelet

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await kubelet.run() }
    }
}
