import AsyncHTTPClient
import BridgeSession
import BridgeTunnel
import Foundation
import KubernetesClient
import NIOFoundationCompat
import SandboxTesting
import Synchronization
import Testing

/// Runs `body` with the storefront deployed on a sandbox of its own, stopped before returning.
func withStorefront<Result: Sendable>(_ body: (Storefront) async throws -> Result) async throws -> Result {
    try await withTestSandbox(imageFiles: [Tools.storefrontImages, try Storefront.agentImageFile()]) { sandbox in
        try await body(try await Storefront.deploy(kubeconfig: sandbox.kubeconfigPath))
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

    /// Deploys the storefront in the namespace of the kubeconfig's context and waits until each
    /// service has a ready pod.
    static func deploy(kubeconfig: String) async throws -> Storefront {
        let client = try KubernetesClient(kubeconfig: kubeconfig)
        for object in try Manifest.objects(at: Tools.storefrontManifests) { try await client.createRaw(object.type, object.body) }
        return try await waitUntilAnswering(kubeconfig: kubeconfig)
    }

    /// The storefront already deployed in the namespace of the kubeconfig's context, once each
    /// service has a ready pod and the front answers.
    static func waitUntilAnswering(kubeconfig: String) async throws -> Storefront {
        let client = try KubernetesClient(kubeconfig: kubeconfig)
        for name in ["web", "api", "inventory"] {
            let ready = await TestSandbox.eventually(timeout: .seconds(90)) { try await hasReadyEndpoint(client, service: name) }
            try #require(ready, "service \(name) has a ready endpoint")
        }
        let storefront = Storefront(kubeconfigPath: kubeconfig, client: client)
        // Ready endpoints reach a real kube-proxy's rules a moment later (seen over a minute on a busy
        // CI machine); the whole chain answers once the front reaches the api through its service too.
        var lastFailure = ""
        let answering = await TestSandbox.eventually(timeout: .seconds(180)) {
            switch await storefront.frontAnswer() {
            case .success(let answer) where answer[path: "api", "version"] != nil:
                return true
            case .success(let answer):
                lastFailure = "the front answered without the api's version: \(answer.jsonString.prefix(300))"
                return false
            case .failure(let failure):
                lastFailure = failure.reason
                return false
            }
        }
        let pods = answering ? "" : await storefront.podSummary()
        try #require(answering, "the front service answers through the api (last attempt: \(lastFailure); pods: \(pods))")
        return storefront
    }

    /// Whether a service of the client's namespace sends its traffic to at least one ready pod.
    static func hasReadyEndpoint(_ client: KubernetesClient, service name: String) async throws -> Bool {
        let service = try await client.get(Service.self, name: name)
        let answer = try await ServiceEndpointsReader.discover(client: client).readyAddresses(of: [service], namespace: client.defaultNamespace)
        return answer.readyAddresses[name]?.isEmpty == false
    }

    /// The image map that makes the default agent image the built `kbridge-agent`.
    /// An agent image whose every container exits at once, saying so.
    static let crashingAgentImage = "kbridge.test/crashing-agent:1"

    static func agentImageFile() throws -> String {
        let file = NSTemporaryDirectory() + "kbridge-agent-image-\(UUID().uuidString.prefix(8)).yaml"
        let crashing = #"[sh, -c, "echo kbridge-test: this image cannot run here >&2; exit 3"]"#
        try "images:\n  \(AgentImage.default):\n    command: [\(Tools.kbridgeAgent)]\n  \(crashingAgentImage):\n    command: \(crashing)\n"
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
            state.append("\(type.name): " + names.filter { $0.hasPrefix("kbridge-") }.sorted().joined(separator: ","))
        }
        // A guard pod being deleted is on its way out: its Job, ServiceAccount, Role and RoleBinding
        // are gone, and a real kubelet ends a pod still pulling an image (an agent image the node
        // cannot pull is the guard's too) only once the pull gives up, minutes later.
        let guardPods = try await client.listRaw(.pods, options: ListOptions(labelSelector: "kbridge.dev/part=guard")).items
            .filter { $0[path: "metadata", "deletionTimestamp"] == nil }
        state.append("guard pods: " + guardPods.compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted().joined(separator: ","))
        return state
    }

    /// One GET through the front service; the JSON answer, or nil when it did not answer.
    func askFront() async -> JSONValue? {
        try? await frontAnswer().get()
    }

    struct FrontFailure: Error {
        var reason: String
    }

    /// One GET through the front service: its JSON answer, or why there was none.
    func frontAnswer() async -> Result<JSONValue, FrontFailure> {
        let address: String
        do {
            guard let clusterIP = try await client.get(Service.self, name: "web").spec.clusterIP else { return .failure(FrontFailure(reason: "web has no cluster IP")) }
            address = clusterIP
        } catch {
            return .failure(FrontFailure(reason: "reading service web: \(error)"))
        }
        do {
            // A new connection each time: a request sent before kube-proxy's rules exist can reach
            // whatever else routes the address (on CI machines a proxy answering 404), and a
            // kept-alive connection would keep going there after the rules are in place.
            var request = HTTPClientRequest(url: "http://\(address):8080/")
            request.headers.add(name: "connection", value: "close")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard let answer = try? JSONValue.parse(Data(buffer: body)) else {
                return .failure(FrontFailure(reason: "\(address):8080 answered \(response.status.code) with no JSON: \(String(buffer: body).prefix(200))"))
            }
            return .success(answer)
        } catch {
            return .failure(FrontFailure(reason: "GET http://\(address):8080/: \(error)"))
        }
    }

    /// Each pod of the namespace with its phase, readiness and IP, for failure messages.
    func podSummary() async -> String {
        guard let pods = try? await client.list(Pod.self) else { return "cannot list pods" }
        return pods.map { "\($0.metadata.name ?? "?") \($0.status?.phase ?? "?") ready=\($0.isReady) \($0.status?.podIP ?? "-")" }.joined(separator: ", ")
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
