import Foundation
import KubernetesClient
import Logging
import NIOSSL

/// Settings of a process kubelet.
public struct KubeletConfiguration: Sendable {
    public var nodeName: String
    /// Where pods' files and logs go.
    public var root: URL
    /// Image map files (see `ImageMap`).
    public var imageFiles: [String]
    public var address = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    /// The pod range used when the API server assigns none to the node (`spec.podCIDR`).
    public var fallbackPodCIDR = "127.99.0.0/16"
    /// When set, the kubelet API accepts only clients with a certificate from this CA (the API server's).
    public var clientCAPEM: String?
    public var restartBackoff: Duration = .seconds(1)
    public var maxRestartBackoff: Duration = .seconds(30)

    public init(nodeName: String, root: URL, imageFiles: [String]) {
        self.nodeName = nodeName
        self.root = root
        self.imageFiles = imageFiles
    }
}

/// A kubelet whose containers are local processes.
///
/// It is a genuine API client: it registers its Node, watches the pods bound to it, reports
/// their status, serves logs and port-forward to the API server, and relays service IPs to
/// endpoints as kube-proxy does. It can join any API server, not only the sandbox's.
public actor ProcessKubelet {
    public enum Failure: Error, CustomStringConvertible {
        case serverDidNotStart
        case registration(KubernetesError)

        public var description: String {
            switch self {
            case .serverDidNotStart: return "the kubelet API did not start"
            case .registration(let error): return "cannot register the node: \(error)"
            }
        }
    }

    private let client: KubernetesClient
    private let configuration: KubeletConfiguration
    private let logger: Logger
    private var workers: [String: PodWorker] = [:]
    private var names: [String: String] = [:]
    /// Set once the kubelet stops its pods: no pod starts after that.
    private var stopped = false

    public init(client: KubernetesClient, configuration: KubeletConfiguration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until cancelled; then stops every container it started.
    public func run() async throws {
        let images = try ImageMap(files: configuration.imageFiles)
        let serving = try CertificateAuthority(commonName: "\(configuration.nodeName)-ca")
            .issueServer(commonName: configuration.nodeName, dnsNames: ["localhost", configuration.nodeName], ipAddresses: [[127, 0, 0, 1]])
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(serving.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serving.keyPEM.utf8), format: .pem))
        )
        if let clientCA = configuration.clientCAPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCA.utf8)))
            tls.certificateVerification = .noHostnameVerification
        }
        let addresses = PodIPAllocator(podCIDR: configuration.fallbackPodCIDR)
        let (ports, portReady) = AsyncStream<Int>.makeStream()
        let server = try KubeletServer(tls: tls, authenticatesCallers: configuration.clientCAPEM != nil, host: configuration.address, port: configuration.port, lookup: { namespace, name in
            await self.worker(namespace: namespace, name: name)
        }, logger: logger).application { port in
            portReady.yield(port)
            portReady.finish()
        }
        let proxy = ServiceProxy(client: client, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw Failure.serverDidNotStart }
            try await register(port: port)
            await assignPodCIDR(addresses)
            group.addTask { await self.heartbeat(port: port) }
            let sliceType = await proxy.prime()
            group.addTask { await proxy.run(sliceType: sliceType) }
            let launch = ContainerLaunch.isolating(path: ProcessInfo.processInfo.environment["PATH"])
            var clusterDNS: String?
            if launch != nil {
                let dns = try await ClusterDNS.bind(
                    address: await addresses.nodeAddress,
                    zone: ClusterDNSZone { service, namespace in proxy.dnsRecord(service: service, namespace: namespace) },
                    upstreams: ClusterDNS.nameservers(resolvConf: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""),
                    logger: logger
                )
                clusterDNS = dns.address
                group.addTask { try await dns.run() }
            } else {
                logger.warning("not running as root: containers share this machine's resolver (no cluster DNS) and its user and capabilities")
            }
            let runtime = KubeletRuntime(
                client: client, images: images, root: configuration.root, nodeName: configuration.nodeName, hostIP: configuration.address,
                addresses: addresses, logger: logger, restartBackoff: configuration.restartBackoff, maxRestartBackoff: configuration.maxRestartBackoff,
                launch: launch, clusterDNS: clusterDNS
            )
            group.addTask { try await self.watchPods(runtime) }
            do {
                try await group.next()
            } catch {
                group.cancelAll()
                await stopAll()
                throw error
            }
            group.cancelAll()
        }
        await stopAll()
    }

    private func worker(namespace: String, name: String) -> PodWorker? {
        names["\(namespace)/\(name)"].flatMap { workers[$0] }
    }

    private func stopAll() async {
        stopped = true
        let all = Array(workers.values)
        workers.removeAll()
        names.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for worker in all { group.addTask { await worker.remove() } }
        }
    }

    // MARK: Node

    private func nodeStatus(port: Int) -> JSONValue {
        let now = Timestamp.format(Date())
        return [
            "addresses": [["type": "InternalIP", "address": .string(configuration.address)], ["type": "Hostname", "address": .string(configuration.nodeName)]],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .integer(Int64(port))]],
            "conditions": [[
                "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now),
            ]],
            "capacity": ["cpu": .string(String(ProcessInfo.processInfo.activeProcessorCount)), "memory": .string("\(ProcessInfo.processInfo.physicalMemory / 1024)Ki"), "pods": "110"],
            "allocatable": ["cpu": .string(String(ProcessInfo.processInfo.activeProcessorCount)), "memory": .string("\(ProcessInfo.processInfo.physicalMemory / 1024)Ki"), "pods": "110"],
            "nodeInfo": [
                "kubeletVersion": "v1.20.2-kbridge-process-kubelet", "kubeProxyVersion": "v1.20.2-kbridge-process-kubelet",
                "operatingSystem": "linux", "architecture": "amd64", "containerRuntimeVersion": "process://1",
                "osImage": "local processes", "kernelVersion": "", "machineID": "", "systemUUID": "", "bootID": "",
            ],
        ]
    }

    private func register(port: Int) async throws {
        let node: JSONValue = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(configuration.nodeName), "labels": [
                "kubernetes.io/hostname": .string(configuration.nodeName), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            ]],
            "status": nodeStatus(port: port),
        ]
        do {
            do {
                try await client.createRaw(.nodes, node)
            } catch where error.isAlreadyExists {
                logger.info("node already registered; taking it over", metadata: ["node": "\(configuration.nodeName)"])
            }
            try await client.patchRaw(.nodes, name: configuration.nodeName, subresource: "status", .merge(["status": nodeStatus(port: port)]))
        } catch {
            throw Failure.registration(error)
        }
    }

    /// Waits briefly for the controller manager to give the node a pod range.
    private func assignPodCIDR(_ addresses: PodIPAllocator) async {
        for _ in 0..<30 {
            if let cidr = (try? await client.getRaw(.nodes, name: configuration.nodeName))?[path: "spec", "podCIDR"]?.stringValue {
                await addresses.use(podCIDR: cidr)
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        logger.info("no podCIDR assigned; using the fallback range", metadata: ["range": "\(configuration.fallbackPodCIDR)"])
    }

    private func heartbeat(port: Int) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(10))
            if Task.isCancelled { break }
            _ = try? await client.patchRaw(.nodes, name: configuration.nodeName, subresource: "status", .merge(["status": nodeStatus(port: port)]))
        }
    }

    // MARK: Pods

    private func watchPods(_ runtime: KubeletRuntime) async throws {
        let watcher = ResourceWatcher(
            client: client, type: .pods, allNamespaces: true, options: ListOptions(fieldSelector: "spec.nodeName=\(configuration.nodeName)")
        )
        for try await event in watcher.events() {
            let pod = event.object
            let uid = pod.uid
            switch event.type {
            case .added, .modified:
                if stopped { return }
                if let worker = workers[uid] {
                    await worker.update(pod)
                } else if pod.podPhase != "Succeeded" && pod.podPhase != "Failed" || pod.isTerminating {
                    let worker = PodWorker(pod: pod, runtime: runtime)
                    workers[uid] = worker
                    names["\(pod.namespace ?? "")/\(pod.name)"] = uid
                    if pod.isTerminating { await worker.update(pod) }
                    await worker.start()
                }
            case .deleted:
                if let worker = workers.removeValue(forKey: uid) {
                    if names["\(pod.namespace ?? "")/\(pod.name)"] == uid { names["\(pod.namespace ?? "")/\(pod.name)"] = nil }
                    await worker.remove()
                    try? FileManager.default.removeItem(at: runtime.podDirectory(uid: uid))
                }
            case .bookmark:
                break
            }
        }
    }
}
