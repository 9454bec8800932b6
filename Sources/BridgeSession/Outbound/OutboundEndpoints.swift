import BridgeTunnel
import Foundation
import KubernetesClient
import LocalEndpoints
import Logging
import Routing

/// The cluster's services on this machine: each gets a loopback address and listeners on its
/// ports, and every connection to them goes through the tunnel to the agent, which dials the
/// service inside the cluster (its cluster IP, a headless service's first endpoint, or an
/// ExternalName's host, which the agent resolves in the cluster).
///
/// The session's namespace's services are named as in its pods (`svc`, `svc.ns`, ...) and have
/// their service variables; other namespaces' services are named `svc.ns`, `svc.ns.svc`, ...
/// only, as a pod sees them (a headless one is dialled by its cluster name).
public final class OutboundEndpoints: Sendable {
    public struct Entry: Sendable {
        public var service: String
        public var namespace: String
        /// The address the cluster knows the service by, when it has one.
        public var clusterIP: String?
        /// What the agent dials.
        public var dialHost: String
        public var ports: [ServicePort]
        public var allocation: LoopbackAllocator.Allocation

        /// A host outside the cluster (`service` is its name), not a service.
        public var isExternal: Bool { namespace.isEmpty }

        /// The port numbers listened on, once each: a service may give one number for TCP and UDP
        /// (cluster DNS: 53 both), and only TCP is carried.
        public var listenedPorts: [Int] {
            Array(Set(ports.filter { ($0.protocol ?? "TCP") == "TCP" }.map(\.port))).sorted().filter { allocation.listeners[$0] != nil }
        }
    }

    public let entries: [Entry]
    /// The session's namespace.
    public let namespace: String
    /// The ports no listener took on any address (`LoopbackAllocator.avoiding`).
    public let avoided: Set<Int>
    /// The ports of each service left off this machine by its annotation (`ignorePortsAnnotation`),
    /// and entries of it that are not ports.
    public let ignored: [(service: String, ports: [Int], invalid: [String])]

    /// Bridge to Kubernetes' service annotation: "445,23" keeps those ports of the service off this
    /// machine (no listener, no variables; a service whose every port is left off gets no address).
    public static let ignorePortsAnnotation = "bridgetokubernetes/ignore-ports"

    init(entries: [Entry], namespace: String, avoided: Set<Int>, ignored: [(service: String, ports: [Int], invalid: [String])]) {
        self.entries = entries
        self.namespace = namespace
        self.avoided = avoided
        self.ignored = ignored
    }

    /// The ports an `ignorePortsAnnotation` value names, and the entries that are not ports.
    static func ignoredPorts(_ value: String?) -> (ports: Set<Int>, invalid: [String]) {
        var ports: Set<Int> = []
        var invalid: [String] = []
        for entry in (value ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if let port = Int(entry), (1...65535).contains(port) { ports.insert(port) } else { invalid.append(entry) }
        }
        return (ports, invalid)
    }

    /// Allocates addresses and binds listeners for `services` (those without ports are skipped),
    /// `namespace`'s first. `readyAddresses` holds the ready pod addresses of `namespace`'s headless
    /// ones, by service name. Ports in `avoiding` are served on another port of the service's
    /// address (something listens on them at every address, where no loopback address can take them).
    ///
    /// `portLimits` ("name.namespace" → ports) keeps only those ports of a service; `externals`
    /// are hosts outside the cluster that get an address too, their ports dialled from the pod
    /// (a config's `$(externalEndpoints:HOST:PORT)`), named by their host alone.
    public static func open(
        services: [Service], namespace: String, readyAddresses: [String: [String]], range: LoopbackRange, avoiding: Set<Int> = [],
        portLimits: [String: Set<Int>] = [:], externals: [(host: String, ports: [Int])] = []
    ) async throws(LoopbackAllocator.Failure) -> OutboundEndpoints {
        var ignored: [(service: String, ports: [Int], invalid: [String])] = []
        // The namespace's own first ("" sorts before any name), then by namespace and name.
        func order(_ service: Service) -> (String, String) {
            (service.metadata.namespace == namespace ? "" : service.metadata.namespace ?? "", service.metadata.nameOrEmpty)
        }
        let ordered = services.sorted { order($0) < order($1) }
        let served = ordered.compactMap { service -> (Service, [ServicePort], String)? in
            let own = service.metadata.namespace == namespace
            let shown = own ? service.metadata.nameOrEmpty : "\(service.metadata.nameOrEmpty).\(service.metadata.namespace ?? "")"
            let left = ignoredPorts(service.metadata.annotations?[ignorePortsAnnotation])
            let declared = service.spec.ports ?? []
            let leftOff = declared.map { $0.port }.filter(left.ports.contains)
            if !leftOff.isEmpty || !left.invalid.isEmpty { ignored.append((shown, leftOff, left.invalid)) }
            let limit = portLimits["\(service.metadata.nameOrEmpty).\(service.metadata.namespace ?? "")"]
            let ports = declared.filter { !left.ports.contains($0.port) && limit?.contains($0.port) != false }
            let host = own ? dialHost(of: service, readyAddresses: readyAddresses[service.metadata.nameOrEmpty] ?? []) : dialHost(ofOther: service)
            guard !ports.isEmpty, let host else { return nil }
            return (service, ports, host)
        }
        var allocator = LoopbackAllocator(range: range, avoiding: avoiding)
        let wanted = served.map { _, ports, _ in ports.filter { ($0.protocol ?? "TCP") == "TCP" }.map(\.port) } + externals.map(\.ports)
        let allocations = try await allocator.allocate(each: wanted)
        var entries = zip(served, allocations).map { served, allocation in
            let (service, ports, host) = served
            return Entry(
                service: service.metadata.nameOrEmpty, namespace: service.metadata.namespace ?? "",
                clusterIP: service.spec.isHeadless ? nil : service.spec.clusterIP, dialHost: host, ports: ports, allocation: allocation
            )
        }
        for (external, allocation) in zip(externals, allocations.dropFirst(served.count)) {
            entries.append(Entry(
                service: external.host, namespace: "", clusterIP: nil, dialHost: external.host, ports: external.ports.map { ServicePort(port: $0) }, allocation: allocation
            ))
        }
        return OutboundEndpoints(entries: entries, namespace: namespace, avoided: avoiding, ignored: ignored)
    }

    /// The services that have a TCP port in `ports`, by port: who shares a port number with the
    /// local app.
    public static func sharing(_ ports: Set<Int>, among services: [Service]) -> [Int: [String]] {
        var sharing: [Int: [String]] = [:]
        for service in services.sorted(by: { $0.metadata.nameOrEmpty < $1.metadata.nameOrEmpty }) {
            for port in Set((service.spec.ports ?? []).filter { ($0.protocol ?? "TCP") == "TCP" }.map(\.port)) where ports.contains(port) {
                sharing[port, default: []].append(service.metadata.nameOrEmpty)
            }
        }
        return sharing
    }

    /// What the agent dials for a service of another namespace: a headless one by its name, which
    /// the cluster's DNS answers with its pods.
    static func dialHost(ofOther service: Service) -> String? {
        guard service.spec.isHeadless, service.spec.type != "ExternalName" else { return dialHost(of: service, readyAddresses: []) }
        return "\(service.metadata.nameOrEmpty).\(service.metadata.namespace ?? "").svc"
    }

    static func dialHost(of service: Service, readyAddresses: [String]) -> String? {
        if service.spec.type == "ExternalName" { return service.spec.externalName }
        if service.spec.isHeadless { return readyAddresses.first }
        return service.spec.clusterIP.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Relays every local connection through `tunnel` until cancelled. With `routeAs` (an
    /// isolated session), each HTTP request to a service of the cluster that names no session
    /// gets `kubernetes-route-as: routeAs` on its way, so that the services a session of the same
    /// name isolates are reached without the local process adding it; TLS and other protocols
    /// pass as they are, and hosts outside the cluster get nothing added.
    public func serve(through tunnel: some ClusterDialer, routeAs: String? = nil, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for entry in entries {
                let stamp = entry.isExternal ? nil : routeAs
                for remotePort in entry.listenedPorts {
                    guard let listener = entry.allocation.listeners[remotePort] else { continue }
                    let destination = RouterArguments.Endpoint(host: entry.dialHost, port: remotePort)
                    group.addTask {
                        await listener.serve { connection in
                            do {
                                if let stamp {
                                    let dialer = RouterDialer.held { try await tunnel.dial(host: $0.host, port: $0.port) }
                                    try await HeaderRouter.route(connection, to: destination, stampingUnnamedAs: stamp, through: dialer)
                                } else {
                                    let stream = try await tunnel.dial(host: destination.host, port: remotePort)
                                    await TunnelRelay.join(connection, stream)
                                }
                            } catch {
                                logger.info("outbound connection to \(entry.service):\(remotePort) failed: \(error)")
                                await connection.close()
                            }
                        }
                    }
                }
            }
        }
    }

    /// The hosts-file lines: `svc` (the session's namespace only), `svc.ns`, `svc.ns.svc`,
    /// `svc.ns.svc.cluster.local` → its address.
    public var hostsEntries: [HostsEntry] {
        entries.map { entry in
            guard !entry.isExternal else { return HostsEntry(address: entry.allocation.address, names: [entry.service]) }
            let names = HostsEntry.service(entry.service, namespace: entry.namespace, address: entry.allocation.address)
            return entry.namespace == namespace ? names : HostsEntry(address: names.address, names: Array(names.names.dropFirst()))
        }
    }

    /// The services of the session's namespace.
    public var ownEntries: [Entry] { entries.filter { $0.namespace == namespace } }

    /// `X_SERVICE_HOST`, `X_SERVICE_PORT`, `X_PORT_*` of every service of the session's namespace
    /// (as Kubernetes gives a pod), pointing at its local listeners.
    public var serviceVariables: [String: String] {
        var variables: [String: String] = [:]
        for entry in ownEntries {
            let ports = entry.ports.map {
                ServiceEnvironment.Port(name: $0.name, port: $0.port, localPort: entry.allocation.localPort(for: $0.port), protocol: $0.protocol ?? "TCP")
            }
            variables.merge(ServiceEnvironment.variables(service: entry.service, host: entry.allocation.address, ports: ports)) { $1 }
        }
        return variables
    }

    /// Ports served on another number than the service's: privileged ports without the right to
    /// bind them, and ports taken on every address (`avoided`).
    public var movedPorts: [(service: String, port: Int, localPort: Int)] {
        entries.flatMap { entry in
            entry.allocation.movedPorts.map { (entry.namespace == namespace || entry.isExternal ? entry.service : "\(entry.service).\(entry.namespace)", $0.port, $0.localPort) }
        }
    }

    public func close() async {
        for entry in entries {
            for listener in entry.allocation.listeners.values { await listener.close() }
        }
    }
}
