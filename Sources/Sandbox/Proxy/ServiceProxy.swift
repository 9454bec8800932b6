import BridgeTunnel
import KubernetesClient
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The kube-proxy part of the process kubelet: for every service with a cluster IP it listens
/// on `clusterIP:port` and relays each connection to a ready endpoint (round robin), using
/// only what it watches through the API: Services and, as kube-proxy, EndpointSlices (Endpoints
/// refuse the loopback pod IPs of a process kubelet).
final class ServiceProxy: Sendable {
    private struct Backends {
        /// `namespace/slice` → the slice's service (`namespace/service`), its ready addresses, and them by port name.
        var slices: [String: (service: String, ready: [String], byPort: [String: [(ip: String, port: Int)]])] = [:]
        /// `namespace/service` → what its name resolves to (ready addresses of headless ones come from `slices`).
        var services: [String: ClusterDNSZone.Record] = [:]
        var turn = 0
    }

    private struct Listener {
        var channel: any Channel
        var service: String
        var portName: String
    }

    private let client: KubernetesClient
    private let logger: Logger
    private let backends = Mutex(Backends())
    private let listeners = Mutex([String: Listener]())
    /// Where the kubelet itself reaches the API server: the backend of the `kubernetes` service
    /// when the control plane publishes none (an API server that advertises a loopback address
    /// runs with `--endpoint-reconciler-type=none`, since Endpoints refuse loopback), so that
    /// pods still reach the API with their in-cluster credentials, as in any cluster.
    private let apiServer: (ip: String, port: Int)?

    init(client: KubernetesClient, logger: Logger) {
        self.client = client
        self.logger = logger
        let server = client.connection.server
        if let host = server.host, let port = server.port ?? (server.scheme == "https" ? 443 : 80) as Int? {
            apiServer = (host, port)
        } else {
            apiServer = nil
        }
    }

    /// Serves what exists now, before the kubelet starts any pod: a pod's first call to a service
    /// that already exists (the API server's `kubernetes`, say) must not find nothing listening.
    /// Returns the EndpointSlice version to watch.
    func prime() async -> ResourceType {
        let sliceType = await client.endpointSliceType() ?? .endpointSlices
        let slices = (try? await client.listRaw(sliceType, allNamespaces: true).items) ?? []
        for object in slices { apply(slice: WatchEvent(type: .added, object: object)) }
        let services = (try? await client.listRaw(.services, allNamespaces: true).items) ?? []
        for object in services { await apply(service: WatchEvent(type: .added, object: object)) }
        return sliceType
    }

    /// Watches services and endpoint slices until cancelled, then closes every listener.
    func run(sliceType: ResourceType) async {
        let services = ResourceWatcher(client: client, type: .services, allNamespaces: true)
        let slices = ResourceWatcher(client: client, type: sliceType, allNamespaces: true)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await event in services.events() { await self.apply(service: event) }
                } catch {}
            }
            group.addTask {
                do {
                    for try await event in slices.events() { self.apply(slice: event) }
                } catch {}
            }
            await group.waitForAll()
        }
        for listener in listeners.withLock({ Array($0.values) }) { try? await listener.channel.close() }
        listeners.withLock { $0.removeAll() }
    }

    private static func key(_ object: JSONValue) -> String {
        "\(object[path: "metadata", "namespace"]?.stringValue ?? "")/\(object[path: "metadata", "name"]?.stringValue ?? "")"
    }

    private func apply(slice event: WatchEvent<JSONValue>) {
        let key = Self.key(event.object)
        guard event.type != .deleted, let service = event.object[path: "metadata", "labels", EndpointSlice.serviceNameLabel]?.stringValue else {
            backends.withLock { _ = $0.slices.removeValue(forKey: key) }
            return
        }
        let ready = (event.object["endpoints"]?.arrayValue ?? []).filter { $0[path: "conditions", "ready"]?.boolValue ?? true }
        let addresses = ready.flatMap { $0["addresses"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        var byPort: [String: [(ip: String, port: Int)]] = [:]
        for port in event.object["ports"]?.arrayValue ?? [] {
            guard let number = port["port"]?.intValue else { continue }
            byPort[port["name"]?.stringValue ?? "", default: []] += addresses.map { ($0, number) }
        }
        let owner = "\(event.object[path: "metadata", "namespace"]?.stringValue ?? "")/\(service)"
        backends.withLock { $0.slices[key] = (owner, addresses, byPort) }
    }

    /// What the name of a service stands for, for cluster DNS.
    func dnsRecord(service: String, namespace: String) -> ClusterDNSZone.Record? {
        backends.withLock { state in
            let key = "\(namespace)/\(service)"
            guard let record = state.services[key] else { return nil }
            guard case .headless = record else { return record }
            let ready = state.slices.values.filter { $0.service == key }.flatMap(\.ready)
            return .headless(Array(Set(ready)).sorted())
        }
    }

    private func apply(service event: WatchEvent<JSONValue>) async {
        let key = Self.key(event.object)
        let record: ClusterDNSZone.Record?
        if event.type == .deleted {
            record = nil
        } else if event.object[path: "spec", "type"]?.stringValue == "ExternalName" {
            record = .externalName
        } else if let ip = event.object[path: "spec", "clusterIP"]?.stringValue, !ip.isEmpty, ip != "None" {
            record = .clusterIP(ip)
        } else {
            record = .headless([])
        }
        backends.withLock { $0.services[key] = record }
        var wanted: [String: String] = [:]
        if event.type != .deleted, let ip = event.object[path: "spec", "clusterIP"]?.stringValue, ip != "None", !ip.isEmpty {
            for port in event.object[path: "spec", "ports"]?.arrayValue ?? [] where (port["protocol"]?.stringValue ?? "TCP") == "TCP" {
                guard let number = port["port"]?.intValue else { continue }
                wanted["\(ip):\(number)"] = port["name"]?.stringValue ?? ""
            }
        }
        let stale = listeners.withLock { listeners in
            listeners.filter { $0.value.service == key && wanted[$0.key] == nil }.map(\.key)
        }
        for address in stale {
            if let listener = listeners.withLock({ $0.removeValue(forKey: address) }) { try? await listener.channel.close() }
        }
        for (address, portName) in wanted where listeners.withLock({ $0[address] == nil }) {
            let parts = address.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { continue }
            do {
                let channel = try await listen(host: String(parts[0]), port: port, service: key, portName: portName)
                listeners.withLock { $0[address] = Listener(channel: channel, service: key, portName: portName) }
            } catch {
                logger.warning("cannot serve service address", metadata: ["service": "\(key)", "address": "\(address)", "error": "\(error)"])
            }
        }
    }

    /// The next ready endpoint of a service port, round robin.
    private func pickBackend(service: String, portName: String) -> (ip: String, port: Int)? {
        backends.withLock { state in
            let candidates = state.slices.values.filter { $0.service == service }.flatMap { $0.byPort[portName] ?? [] }
            guard !candidates.isEmpty else { return service == "default/kubernetes" ? apiServer : nil }
            state.turn &+= 1
            return candidates[state.turn % candidates.count]
        }
    }

    private func listen(host: String, port: Int, service: String, portName: String) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: HeldConnection.listenBacklog)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                guard let backend = self.pickBackend(service: service, portName: portName) else {
                    return inbound.close()
                }
                return Self.connect(inbound, to: backend.ip, port: backend.port)
            }
            .bind(host: host, port: port).get()
    }

    /// Connects to a backend and joins it to the accepted connection (kbridge's `RelayEnd`, on the
    /// accepted connection's event loop); each side's full close waits for what is queued on it
    /// (`DrainingClose`), as a kernel's relay would deliver it.
    static func connect(_ inbound: any Channel, to host: String, port: Int) -> EventLoopFuture<Void> {
        ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(DrainingClose()) }
            }
            .connect(host: host, port: port)
            .flatMapThrowing { outbound in
                try inbound.pipeline.syncOperations.addHandler(DrainingClose())
                try TunnelRelay.joinSynchronously(inbound, outbound)
                try inbound.syncOptions?.setOption(.autoRead, value: true)
            }
            .flatMapError { _ in inbound.close() }
    }
}
