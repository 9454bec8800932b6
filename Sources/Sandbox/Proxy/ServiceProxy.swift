import KubernetesClient
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The kube-proxy part of the process kubelet: for every service with a cluster IP it listens
/// on `clusterIP:port` and relays each connection to a ready endpoint (round robin), using
/// only what it watches through the API (Services and Endpoints).
final class ServiceProxy: Sendable {
    private struct Backends {
        /// `namespace/service` → port name → endpoint addresses.
        var endpoints: [String: [String: [(ip: String, port: Int)]]] = [:]
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

    init(client: KubernetesClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Serves what exists now, before the kubelet starts any pod: a pod's first call to a service
    /// that already exists (the API server's `kubernetes`, say) must not find nothing listening.
    func prime() async {
        let endpoints = (try? await client.listRaw(.endpoints, allNamespaces: true).items) ?? []
        for object in endpoints { apply(endpoints: WatchEvent(type: .added, object: object)) }
        let services = (try? await client.listRaw(.services, allNamespaces: true).items) ?? []
        for object in services { await apply(service: WatchEvent(type: .added, object: object)) }
    }

    /// Watches services and endpoints until cancelled, then closes every listener.
    func run() async {
        let services = ResourceWatcher(client: client, type: .services, allNamespaces: true)
        let endpoints = ResourceWatcher(client: client, type: .endpoints, allNamespaces: true)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await event in services.events() { await self.apply(service: event) }
                } catch {}
            }
            group.addTask {
                do {
                    for try await event in endpoints.events() { self.apply(endpoints: event) }
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

    private func apply(endpoints event: WatchEvent<JSONValue>) {
        let key = Self.key(event.object)
        var byPort: [String: [(ip: String, port: Int)]] = [:]
        if event.type != .deleted {
            for subset in event.object["subsets"]?.arrayValue ?? [] {
                let addresses = (subset["addresses"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
                for port in subset["ports"]?.arrayValue ?? [] {
                    guard let number = port["port"]?.intValue else { continue }
                    byPort[port["name"]?.stringValue ?? "", default: []] += addresses.map { ($0, number) }
                }
            }
        }
        backends.withLock { $0.endpoints[key] = byPort }
    }

    private func apply(service event: WatchEvent<JSONValue>) async {
        let key = Self.key(event.object)
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
            guard let candidates = state.endpoints[service]?[portName], !candidates.isEmpty else { return nil }
            state.turn &+= 1
            return candidates[state.turn % candidates.count]
        }
    }

    private func listen(host: String, port: Int, service: String, portName: String) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
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

    /// Connects to a backend and glues it to the accepted connection.
    static func connect(_ inbound: any Channel, to host: String, port: Int) -> EventLoopFuture<Void> {
        let (inboundGlue, outboundGlue) = GlueHandler.matchedPair()
        return ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port)
            .flatMap { outbound in
                outbound.pipeline.addHandler(outboundGlue).flatMap {
                    inbound.pipeline.addHandler(inboundGlue)
                }.flatMap {
                    inbound.setOption(.autoRead, value: true)
                }
            }
            .flatMapError { _ in inbound.close() }
    }
}
