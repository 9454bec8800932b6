import BridgeSession
import BridgeTunnel
import Foundation
import KubernetesClient
import SandboxTesting
import Synchronization
import Testing

/// Runs `body` with the storefront deployed on a sandbox of its own, stopped before returning.
func withStorefront<Result: Sendable>(_ body: (Storefront) async throws -> Result) async throws -> Result {
    try await withTestSandbox(imageFiles: [Tools.storefrontImages, try Storefront.agentImageFile()]) { sandbox in
        var storefront = try await Storefront.deploy(kubeconfig: sandbox.kubeconfigPath)
        storefront.ingress = sandbox.state.ingress
        return try await body(storefront)
    }
}

/// The storefront sample deployed and answering in the namespace of a kubeconfig's context (on
/// a sandbox, or on a real cluster), with the agent image mapped to the `kbridge-agent` built
/// beside the tests: what the `kbridge connect` tests start from.
struct Storefront {
    let kubeconfigPath: String
    /// A client in the storefront's namespace.
    let client: KubernetesClient
    var namespace: String { client.defaultNamespace }
    /// The cluster's ingress controller (`address:port`), where it has one (the sandbox's).
    var ingress: String?

    /// The sample's steps (deploy, wait, ask the front), shared with `kbridge demo`.
    var sample: StorefrontSample { StorefrontSample(client: client) }

    /// Deploys the storefront in the namespace of the kubeconfig's context and waits until each
    /// service has a ready pod.
    static func deploy(kubeconfig: String) async throws -> Storefront {
        try await StorefrontSample(client: try KubernetesClient(kubeconfig: kubeconfig)).deploy(manifests: Tools.storefrontManifests)
        return try await waitUntilAnswering(kubeconfig: kubeconfig)
    }

    /// The storefront already deployed in the namespace of the kubeconfig's context, once each
    /// service has a ready pod and the front answers.
    static func waitUntilAnswering(kubeconfig: String) async throws -> Storefront {
        let storefront = Storefront(kubeconfigPath: kubeconfig, client: try KubernetesClient(kubeconfig: kubeconfig))
        try await storefront.sample.waitUntilAnswering()
        return storefront
    }

    /// The image map that makes the default agent image the built `kbridge-agent`.
    /// An agent image whose every container exits at once, saying so.
    static let crashingAgentImage = "kbridge.test/crashing-agent:1"

    /// The routing tests' servers (`kbridge-testserver`).
    static let serversImage = "kbridge.test/servers:1"

    static func agentImageFile() throws -> String {
        let file = NSTemporaryDirectory() + "kbridge-agent-image-\(UUID().uuidString.prefix(8)).yaml"
        let crashing = #"[sh, -c, "echo kbridge-test: this image cannot run here >&2; exit 3"]"#
        try "images:\n  \(AgentImage.default):\n    command: [\(Tools.kbridgeAgent)]\n  \(crashingAgentImage):\n    command: \(crashing)\n  \(serversImage):\n    command: [\(Tools.kbridgeTestserver)]\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// `kbridge COMMAND --kubeconfig K ARGS...` for the commands that talk to a cluster (`connect`,
    /// `list services`); `status` and `disconnect` read the session records instead.
    func kbridge(_ arguments: [String], timeout: Duration = .seconds(180)) async throws -> Tools.Result {
        let command = arguments.first == "list" ? 2 : 1
        let cluster = ["connect", "list"].contains(arguments.first ?? "") ? ["--kubeconfig", kubeconfigPath] : []
        return try await Tools.run(Tools.kbridge, Array(arguments.prefix(command)) + cluster + arguments.dropFirst(command), timeout: timeout)
    }

    /// Expects what kbridge may change in the cluster to be as `before`, naming what differs. The
    /// guard's parts go with its Lease through the garbage collector: that is given a moment.
    func expectUnchanged(since before: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var after = try await clusterState()
        _ = await TestSandbox.eventually(timeout: .seconds(60)) {
            after = try await clusterState()
            return after == before
        }
        let changed = zip(before, after).filter { $0 != $1 }.map { "before: \($0)\nafter:  \($1)" }
        #expect(after == before, "the cluster changed:\n\(changed.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    /// What kbridge may change in the cluster: the workloads' specs and the Secrets.
    func clusterState() async throws -> [String] {
        var state: [String] = []
        for name in ["web", "api", "inventory"] {
            let deployment = try await client.getRaw(.deployments, name: name)
            // The revision is the deployment controller's: a real one counts the rollback to the original template too.
            var annotations = deployment[path: "metadata", "annotations"]?.objectValue ?? [:]
            annotations["deployment.kubernetes.io/revision"] = nil
            state.append("\(name): \(deployment["spec"]?.jsonString ?? "") \(JSONValue.object(annotations).jsonString)")
        }
        let secrets = try await client.listRaw(.secrets).items
        state.append("secrets: " + secrets.compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted().joined(separator: ","))
        // The session's Lease and its guard (Job, pods, ServiceAccount, Role, RoleBinding).
        for type in [ResourceType.leases, .jobs, .serviceAccounts, .roles, .roleBindings] {
            let names = try await client.listRaw(type).items.compactMap { $0[path: "metadata", "name"]?.stringValue }
            state.append("\(type.name): " + names.filter { $0.hasPrefix("kbridge-") || $0.hasPrefix("routingmanager") }.sorted().joined(separator: ","))
        }
        // A guard pod being deleted is on its way out: its Job, ServiceAccount, Role and RoleBinding
        // are gone, and a real kubelet ends a pod still pulling an image (an agent image the node
        // cannot pull is the guard's too) only once the pull gives up, minutes later.
        // Isolation's routing manager and what it makes, and sessions' copies.
        let routing = try await client.listRaw(.deployments, options: ListOptions(labelSelector: "routing.visualstudio.io/component")).items
            + (try await client.listRaw(.pods, options: ListOptions(labelSelector: "routing.visualstudio.io/route-from")).items)
        state.append("routing: " + routing.compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted().joined(separator: ","))
        let guardPods = try await client.listRaw(.pods, options: ListOptions(labelSelector: "kbridge.dev/part=guard")).items
            .filter { $0[path: "metadata", "deletionTimestamp"] == nil }
        state.append("guard pods: " + guardPods.compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted().joined(separator: ","))
        return state
    }

    /// One GET through the front service; the JSON answer, or nil when it did not answer.
    func askFront() async -> JSONValue? {
        try? await sample.ask().get().json
    }

    /// A copy of this machine's hosts file for a test to hand to `--hosts-file`.
    static func hostsCopy() throws -> URL {
        let copy = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-hosts-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(atPath: "/etc/hosts", toPath: copy.path)
        return copy
    }

    /// A local TCP port nobody listens on (different for each call in this process).
    static func freePort() -> Int {
        portCounter.withLock { next in
            defer { next += 1 }
            return next
        }
    }

    /// Below the kernel's ephemeral range (32768 and up), where outgoing connections take ports.
    private static let portCounter = Mutex(20000 + Int(getpid() % 600) * 20)
}

/// `kbridge connect` running in the background with session records of its own (so that
/// `status` and `disconnect` see only it), once `kbridge status` says it is connected.
struct BackgroundSession {
    let records: String
    let connect: Task<Tools.Result, any Error>

    static func connect(_ storefront: Storefront, service: String, localPort: Int = Storefront.freePort()) async throws -> BackgroundSession {
        let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        let connect = Task {
            try await Tools.run(Tools.kbridge, [
                "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", service, "--local-port", String(localPort), "--no-hosts",
            ], environment: ["TMPDIR": records])
        }
        let session = BackgroundSession(records: records, connect: connect)
        var status = Tools.Result(status: -1, stdout: "", stderr: "")
        let listed = await TestSandbox.eventually(timeout: .seconds(120)) {
            status = try await session.kbridge(["status"])
            return status.stdout.contains("deployment/\(service)") && status.stdout.contains("connected")
        }
        #expect(listed, "kbridge status lists the session: \(status.stdout)")
        return session
    }

    /// `kbridge ARGS` seeing this session's records.
    func kbridge(_ arguments: [String]) async throws -> Tools.Result {
        try await Tools.run(Tools.kbridge, arguments, environment: ["TMPDIR": records])
    }
}
