import ArgumentParser
import BridgeSession
import KubernetesClient

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List what kbridge can connect to.", subcommands: [ListServices.self, ListRoutes.self]
    )
}

struct ListServices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "services", abstract: "List the services of a namespace, with their ports, selectors and ready pods.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let console = Console(format: global.output)
        let logger = DiagnosticLog.logger(command: "list")
        try await reportingErrors(console) {
            let client = try global.client(logger: logger)
            let namespace = client.defaultNamespace
            let services = try await client.list(Service.self, namespace: namespace)
            if services.isEmpty { try await client.requireNamespace(namespace) }
            let backends = try await ServiceEndpointsReader.discover(client: client).readyAddresses(of: services, namespace: namespace)
            let rows = services.map { ServiceRow(service: $0, readyAddresses: backends.readyAddresses[$0.metadata.nameOrEmpty]) }
            console.result(
                ServiceRow.table(rows, namespace: namespace), event: "services",
                fields: ["namespace": .string(namespace), "services": .array(rows.map(\.json))]
            )
        }
    }
}

/// One line of `kbridge list services`.
struct ServiceRow {
    var name: String
    var type: String
    var clusterIP: String
    var ports: [ServicePort]
    var selector: [String: String]?
    var readyPods: Int?

    init(service: Service, readyAddresses: [String]?) {
        name = service.metadata.nameOrEmpty
        type = service.spec.type ?? "ClusterIP"
        clusterIP = service.spec.clusterIP ?? ""
        ports = service.spec.ports ?? []
        selector = service.spec.selector
        readyPods = selector == nil ? nil : (readyAddresses ?? []).count
    }

    var portsText: String {
        ports.isEmpty ? "<none>" : ports.map { port in
            let target = port.targetPort.map { "→\($0)" } ?? ""
            return "\(port.port)\(target)/\(port.protocol ?? "TCP")"
        }.joined(separator: ",")
    }

    var selectorText: String {
        guard let selector, !selector.isEmpty else { return "<none>" }
        return ListOptions.labelSelector(matching: selector)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "type": .string(type), "clusterIP": .string(clusterIP),
            "ports": .array(ports.map { port in
                var entry: [String: JSONValue] = ["port": .integer(Int64(port.port)), "protocol": .string(port.protocol ?? "TCP")]
                if let name = port.name { entry["name"] = .string(name) }
                if let target = port.targetPort { entry["targetPort"] = .string(target.description) }
                return .object(entry)
            }),
        ]
        if let selector { object["selector"] = .object(selector.mapValues { .string($0) }) }
        if let readyPods { object["readyPods"] = .integer(Int64(readyPods)) }
        return .object(object)
    }

    static func table(_ rows: [ServiceRow], namespace: String) -> String {
        if rows.isEmpty { return "No services in namespace \"\(namespace)\"." }
        let header = ["NAME", "TYPE", "CLUSTER-IP", "PORTS", "SELECTOR", "READY PODS"]
        let lines = rows.map { [$0.name, $0.type, $0.clusterIP, $0.portsText, $0.selectorText, $0.readyPods.map(String.init) ?? "-"] }
        return TextTable.render(header: header, rows: lines)
    }
}

/// `kbridge list routes`: who isolates what in the namespace, and how to reach their copies.
struct ListRoutes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes", abstract: "List the isolated sessions of a namespace: routing name, service, machine, since when, and the ingress hosts to use."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let console = Console(format: global.output)
        let logger = DiagnosticLog.logger(command: "list")
        try await reportingErrors(console) {
            let client = try global.client(logger: logger)
            let namespace = client.defaultNamespace
            let routes = try await RouteListing(client: client, namespace: namespace).read()
            if routes.isEmpty { try await client.requireNamespace(namespace) }
            let text = routes.isEmpty
                ? "No isolated sessions in namespace \"\(namespace)\"."
                : TextTable.render(
                    header: ["NAME", "SERVICE", "MACHINE", "SINCE", "HOSTS"],
                    rows: routes.map { [$0.routeAs, $0.service, $0.machine.isEmpty ? "-" : $0.machine, $0.since, $0.hosts.isEmpty ? "-" : $0.hosts.joined(separator: ",")] }
                ) + "\nRequests carrying the header kubernetes-route-as: NAME reach NAME's copy; all others the service's own pods."
            console.result(text, event: "routes", fields: [
                "namespace": .string(namespace),
                "routes": .array(routes.map { route in
                    [
                        "name": .string(route.routeAs), "service": .string(route.service), "pod": .string(route.pod), "session": .string(route.session),
                        "machine": .string(route.machine), "since": .string(route.since), "hosts": .array(route.hosts.map { .string($0) }),
                    ]
                }),
            ])
        }
    }
}
