import Foundation
import KubernetesClient
import Logging
import NIOSSL

/// A whole Kubernetes-compatible cluster on this machine: the API server with its controllers,
/// and one process kubelet joined to it through the API.
///
/// Everything lives under one directory: `kubeconfig` (two users: a client certificate and a
/// token), `pki/`, `kubelet/` (pods' files and logs), `logs/`, and `sandbox.json` while it runs.
public final class SandboxCluster: Sendable {
    public struct Options: Sendable {
        public var directory: URL
        public var imageFiles: [String]
        /// Port of the API server; 0 picks a free one.
        public var port = 0
        /// How many changes a watch can resume across before it gets 410 Gone.
        public var watchHistory = 5000
        public var bookmarkInterval: Duration = .seconds(30)
        /// How long the API server's port-forward relay holds every message, each way (a far cluster).
        public var portForwardDelay: Duration = .zero

        public init(directory: URL, imageFiles: [String] = []) {
            self.directory = directory
            self.imageFiles = imageFiles
        }
    }

    /// What `sandbox.json` records of a running sandbox.
    public struct State: Codable, Sendable {
        public var pid: Int32
        public var server: String
        public var kubeconfig: String
        public var serviceRange: String
        public var podRange: String
        /// The ingress controller's `address:port`: HTTP routed by Host to the Ingress objects' backends.
        public var ingress: String?
    }

    public let options: Options
    public let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public var kubeconfigPath: String { options.directory.appendingPathComponent("kubeconfig").path }
    public var statePath: String { options.directory.appendingPathComponent("sandbox.json").path }

    /// Starts the cluster and runs it until the task is cancelled; `onReady` gets its state once
    /// the API answers and the node is registered.
    public func run(onReady: @escaping @Sendable (State) async -> Void = { _ in }) async throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: options.directory, withIntermediateDirectories: true)
        let ranges = SandboxCredentials.addressRanges(in: options.directory)
        let addresses = ClusterIPAllocator(prefix: ranges.services)
        let credentials = try SandboxCredentials.load(or: options.directory, serviceIP: await addresses.apiServerServiceIP)

        let store = ObjectStore(historyLimit: options.watchHistory)
        defer { try? FileManager.default.removeItem(atPath: statePath) }
        // Open watches would keep the HTTP server from stopping: end them first.
        try await withTaskCancellationHandler {
            try await serve(store: store, addresses: addresses, credentials: credentials, ranges: ranges, onReady: onReady)
        } onCancel: {
            Task { await store.closeAllWatches() }
        }
    }

    private func serve(
        store: ObjectStore, addresses: ClusterIPAllocator, credentials: SandboxCredentials, ranges: (services: String, pods: String),
        onReady: @escaping @Sendable (State) async -> Void
    ) async throws {
        let authenticator = Authenticator(staticTokens: Authenticator.readTokenFile(options.directory.appendingPathComponent("tokens.csv").path))
        let kubelets = try KubeletConnector(clientCertificatePEM: Array(credentials.kubeletClient.certificatePEM.utf8), clientKeyPEM: Array(credentials.kubeletClient.keyPEM.utf8))
        let tls = try Self.serverTLS(credentials)
        let (ports, portReady) = AsyncStream<Int>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let api = KubernetesAPI(
                store: store, authenticator: authenticator, addresses: addresses, kubelets: kubelets, bookmarkInterval: options.bookmarkInterval
            )
            let server = try APIServer(api: api, tls: tls, host: "127.0.0.1", port: options.port, portForwardDelay: options.portForwardDelay, logger: logger).application { port in
                portReady.yield(port)
                portReady.finish()
            }
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ProcessKubelet.Failure.serverDidNotStart }
            let serverURL = "https://127.0.0.1:\(port)"
            api.advertise("127.0.0.1:\(port)")
            try await bootstrap(store: store, api: api, addresses: addresses, port: port, credentials: credentials)
            try writeKubeconfigs(server: serverURL, credentials: credentials)

            let controllers = ControllerManager(
                context: ControllerContext(store: store, api: api, logger: logger), addresses: addresses,
                caPEM: credentials.authority.certificatePEM, podCIDRs: ["\(ranges.pods).0.0/16"]
            )
            group.addTask { await controllers.run() }

            let kubeletClient = try KubernetesClient(kubeconfig: options.directory.appendingPathComponent("kubelet.kubeconfig").path, logger: logger)
            var configuration = KubeletConfiguration(
                nodeName: "sandbox-node", root: options.directory.appendingPathComponent("kubelet"), imageFiles: options.imageFiles
            )
            configuration.clientCAPEM = credentials.authority.certificatePEM
            configuration.fallbackPodCIDR = "\(ranges.pods).0.0/16"
            let kubelet = ProcessKubelet(client: kubeletClient, configuration: configuration, logger: logger)
            group.addTask { try await kubelet.run() }

            let ingress = IngressController(client: kubeletClient, logger: logger)
            let (ingressPorts, ingressListening) = AsyncStream<Int>.makeStream()
            group.addTask {
                try await ingress.run(address: "127.0.0.1", port: 0) { port in
                    ingressListening.yield(port)
                    ingressListening.finish()
                }
            }
            var ingressPort = ingressPorts.makeAsyncIterator()
            guard let listening = await ingressPort.next() else { throw ProcessKubelet.Failure.serverDidNotStart }

            try await waitForNode(store)
            let state = State(
                pid: getpid(), server: serverURL, kubeconfig: kubeconfigPath,
                serviceRange: "\(ranges.services).0.0/16", podRange: "\(ranges.pods).0.0/16", ingress: "127.0.0.1:\(listening)"
            )
            try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: statePath))
            await onReady(state)
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private static func serverTLS(_ credentials: SandboxCredentials) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(credentials.apiServer.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(credentials.apiServer.keyPEM.utf8), format: .pem))
        )
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(credentials.authority.certificatePEM.utf8)))
        tls.certificateVerification = .optionalVerification
        return tls
    }

    /// What a fresh cluster has: its namespaces and the `kubernetes` service pointing at the API server.
    private func bootstrap(store: ObjectStore, api: KubernetesAPI, addresses: ClusterIPAllocator, port: Int, credentials: SandboxCredentials) async throws {
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? await api.createObject(.namespaces, namespace: nil, ["metadata": ["name": .string(namespace)]])
        }
        let serviceIP = await addresses.apiServerServiceIP
        _ = try? await api.createObject(.services, namespace: "default", [
            "metadata": ["name": "kubernetes", "labels": ["component": "apiserver", "provider": "kubernetes"]],
            "spec": ["clusterIP": .string(serviceIP), "ports": [["name": "https", "port": 443, "targetPort": .integer(Int64(port)), "protocol": "TCP"]]],
        ])
        // The API server's own address is loopback here, which Endpoints refuse: a slice only, as
        // kube-apiserver's endpoint reconciler also writes one.
        _ = try? await api.createObject(.endpointSlices, namespace: "default", [
            "metadata": ["name": "kubernetes", "labels": .object([EndpointSlice.serviceNameLabel: "kubernetes"])],
            "addressType": "IPv4",
            "endpoints": [["addresses": ["127.0.0.1"], "conditions": ["ready": true]]],
            "ports": [["name": "https", "port": .integer(Int64(port)), "protocol": "TCP"]],
        ])
    }

    private func waitForNode(_ store: ObjectStore) async throws {
        for _ in 0..<200 {
            if await !store.all(.nodes).isEmpty { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessKubelet.Failure.serverDidNotStart
    }

    private func writeKubeconfigs(server: String, credentials: SandboxCredentials) throws {
        let authority = Data(credentials.authority.certificatePEM.utf8).base64EncodedString()
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        var config = Kubeconfig()
        config.clusters["sandbox"] = .init(server: server, certificateAuthorityData: authority)
        config.users["sandbox-admin"] = .init(clientCertificateData: base64(credentials.admin.certificatePEM), clientKeyData: base64(credentials.admin.keyPEM))
        config.users["sandbox-token"] = .init(token: credentials.adminToken)
        config.contexts["sandbox"] = .init(cluster: "sandbox", user: "sandbox-admin", namespace: "default")
        config.contexts["sandbox-token"] = .init(cluster: "sandbox", user: "sandbox-token", namespace: "default")
        config.currentContext = "sandbox"
        try config.yaml().write(toFile: kubeconfigPath, atomically: true, encoding: .utf8)

        var kubelet = Kubeconfig()
        kubelet.clusters["sandbox"] = .init(server: server, certificateAuthorityData: authority)
        kubelet.users["kubelet"] = .init(clientCertificateData: base64(credentials.node.certificatePEM), clientKeyData: base64(credentials.node.keyPEM))
        kubelet.contexts["kubelet"] = .init(cluster: "sandbox", user: "kubelet")
        kubelet.currentContext = "kubelet"
        try kubelet.yaml().write(toFile: options.directory.appendingPathComponent("kubelet.kubeconfig").path, atomically: true, encoding: .utf8)
    }
}
