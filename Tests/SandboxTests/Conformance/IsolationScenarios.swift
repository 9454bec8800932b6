import AsyncHTTPClient
import BridgeSession
import ChildProcesses
import Foundation
import Isolation
import KubernetesClient
import NIOCore
import NIOFoundationCompat
import RoutingTesting
import SandboxTesting
import Testing

/// Isolation mode end to end, over any cluster with the storefront deployed: sessions copy the
/// api's pod and get only the requests that name them; everyone else keeps the original; what
/// they leave when they end (cleanly, or by `kill -9`) is nothing.
enum IsolationScenarios {
    /// The lease's lifetime in these tests: short, so that the guard acts soon after a kill.
    static let ttl = 5
    static let ingressHost = "shop.example.test"

    /// `kbridge connect --isolate` running as its own process, its local api answering as `local-NAME`.
    struct Isolated {
        let name: String
        let pid: pid_t
        let output: String
        let records: String

        var printed: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        /// Isolates the api, its local copy answering as `local-NAME`.
        static func start(_ storefront: Storefront, name: String) throws -> Isolated {
            let port = Storefront.freePort()
            return try start(storefront, name: name, service: "api", localPort: port, command: [
                "sh", "-c", #"API_VERSION=local-$0 PORT=$1 exec python3 "$2""#, name, String(port), ConnectCommandTests.api,
            ])
        }

        /// Isolates `service` as `name`, running `command` (the local process) with `extra` arguments.
        static func start(_ storefront: Storefront, name: String, service: String, localPort: Int, extra: [String] = [], command: [String]) throws -> Isolated {
            let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
            let output = records + "/connect.out"
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = records
            let pid = try ProcessSpawner.spawn(.init(
                executable: Tools.kbridge,
                arguments: [
                    "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", service, "--local-port", String(localPort), "--no-hosts",
                    "--isolate", "--route-as", name, "--ttl", String(IsolationScenarios.ttl), "-o", "json",
                ] + extra + ["--"] + command,
                environment: environment, output: output
            ))
            return Isolated(name: name, pid: pid, output: output, records: records)
        }

        func waitUntilConnected() async -> Bool {
            await TestSandbox.eventually(timeout: .seconds(240)) { printed.contains(#""event":"connected""#) }
        }

        /// Ends the session as Ctrl-C would; its exit status.
        func stop() async -> Int32 {
            kill(pid, SIGINT)
            return await Self.reap(pid)
        }

        func kill9() async {
            kill(pid, SIGKILL)
            _ = await Self.reap(pid)
        }

        static func reap(_ pid: pid_t) async -> Int32 {
            var status: Int32 = 0
            _ = await TestSandbox.eventually(timeout: .seconds(120)) { waitpid(pid, &status, WNOHANG) == pid }
            return (status >> 8) & 0xff
        }
    }

    /// The api version the front's answer shows, asked with `routeAs` in the header (nil: none).
    static func apiVersion(_ storefront: Storefront, routeAs name: String?) async -> String? {
        let headers = name.map { [(name: "kubernetes-route-as", value: $0)] } ?? []
        guard case .success(let answer) = await storefront.sample.ask(headers: headers) else { return nil }
        return answer.json[path: "api", "version"]?.stringValue
    }

    /// What isolation may change in the namespace, the routing manager aside (it stays): the
    /// services' selectors and annotations, the ingresses, the deployments and services there
    /// are, and the copies.
    static func state(_ storefront: Storefront) async throws -> [String] {
        let client = storefront.client
        let manager: Set<String> = [RoutingNames.managerDeployment, RoutingNames.managerService]
        var state: [String] = []
        for service in try await client.listRaw(.services).items {
            let name = service[path: "metadata", "name"]?.stringValue ?? ""
            guard !manager.contains(name) else { continue }
            state.append("service \(name): \(service[path: "spec", "selector"]?.jsonString ?? "-") \(service[path: "metadata", "annotations"]?.jsonString ?? "-")")
        }
        for ingress in try await client.listRaw(.ingresses).items {
            state.append("ingress \(ingress[path: "metadata", "name"]?.stringValue ?? ""): \(ingress["spec"]?.jsonString ?? "")")
        }
        for deployment in try await client.listRaw(.deployments).items {
            let name = deployment[path: "metadata", "name"]?.stringValue ?? ""
            if !manager.contains(name) { state.append("deployment \(name)") }
        }
        let copies = try await client.listRaw(.pods, options: ListOptions(labelSelector: RoutingNames.routeFromLabel)).items.filter { $0[path: "metadata", "deletionTimestamp"] == nil }
        state.append("copies: \(copies.compactMap { $0[path: "metadata", "name"]?.stringValue }.sorted())")
        return state.sorted()
    }

    /// The routing name the inventory (not isolated) is called with when the local process
    /// calls it through `session`'s listener, sending `header` as its own name or none (nil:
    /// the inventory saw none).
    static func routeAsSeenByInventory(through session: Isolated, header: String?) async -> String? {
        let connected = session.printed.split(separator: "\n").lazy.compactMap { try? JSONValue.parse(Data($0.utf8)) }.first { $0["event"] == "connected" }
        let services = connected?["services"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard let address = services.first(where: { $0.hasPrefix("inventory=") })?.dropFirst("inventory=".count) else { return nil }
        var request = HTTPClientRequest(url: "http://\(address):8080/stock")
        if let header { request.headers.add(name: "kubernetes-route-as", value: header) }
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(15)),
              let body = try? await response.body.collect(upTo: 1 << 20) else { return nil }
        return (try? JSONValue.parse(Data(buffer: body)))?["routeAs"]?.stringValue
    }

    /// GET with host `name.<host>`: the api version the front's answer shows. Through the
    /// cluster's ingress controller where it has one (the sandbox's), else through the routers
    /// behind `name`'s duplicated ingress, as an ingress controller would.
    static func apiVersionThroughIngress(_ storefront: Storefront, name: String) async -> String? {
        var url: String
        if let ingress = storefront.ingress {
            url = "http://\(ingress)/"
        } else {
            guard let routers = try? await storefront.client.get(Service.self, name: RoutingNames.ingressRouters(of: name)),
                  let address = routers.spec.clusterIP, let port = routers.spec.ports?.first?.port else { return nil }
            url = "http://\(address):\(port)/"
        }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "host", value: "\(name).\(ingressHost)")
        request.headers.add(name: "connection", value: "close")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(15)),
              let body = try? await response.body.collect(upTo: 1 << 20) else { return nil }
        return (try? JSONValue.parse(Data(buffer: body)))?[path: "api", "version"]?.stringValue
    }

    /// Two isolated sessions (a and b) on the api and plain traffic at the same time: each gets
    /// only its own requests, through the front (which passes the header on) and through its
    /// ingress host; requests without the header reach the original. Then a ends cleanly and b
    /// is killed (`kill -9`): nothing of either is left, and the api and the ingress are as before.
    static func twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing(_ storefront: Storefront) async throws {
        let client = storefront.client
        _ = try await client.createRaw(.ingresses, [
            "metadata": ["name": "shop"],
            "spec": ["rules": [["host": .string(ingressHost), "http": ["paths": [
                ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["number": 8080]]]],
            ]]]]],
        ])
        let before = try await state(storefront)
        let a = try Isolated.start(storefront, name: "a")
        let b = try Isolated.start(storefront, name: "b")
        let connected = await (a.waitUntilConnected(), b.waitUntilConnected())
        try #require(connected.0 && connected.1, "both sessions connected:\na: \(a.printed)\nb: \(b.printed)")

        let routed = await TestSandbox.eventually(timeout: .seconds(60)) {
            async let first = apiVersion(storefront, routeAs: "a")
            async let second = apiVersion(storefront, routeAs: "b")
            async let plain = apiVersion(storefront, routeAs: nil)
            return await (first, second, plain) == ("local-a", "local-b", "1")
        }
        #expect(routed, "a, b and plain requests each reach their own api:\na: \(a.printed)\nb: \(b.printed)")
        for _ in 0..<5 {
            async let first = apiVersion(storefront, routeAs: "a")
            async let second = apiVersion(storefront, routeAs: "b")
            async let plain = apiVersion(storefront, routeAs: nil)
            let answers = await (first, second, plain)
            #expect(answers == ("local-a", "local-b", "1"), "\(answers)")
        }
        #expect(await apiVersion(storefront, routeAs: "c") == "1", "a name no session uses reaches the original")
        let duplicate = try await client.getRaw(.ingresses, name: RoutingNames.duplicatedIngress("shop", for: "a"))
        #expect(duplicate[path: "spec", "rules"]?[0]?["host"] == .string("a.\(ingressHost)"))
        let throughIngress = await TestSandbox.eventually(timeout: .seconds(30)) {
            await apiVersionThroughIngress(storefront, name: "a") == "local-a"
        }
        #expect(throughIngress, "host a.\(ingressHost) behaves as the header a")
        #expect(await apiVersionThroughIngress(storefront, name: "b") == "local-b")

        let routes = try await Tools.run(Tools.kbridge, ["list", "routes", "--kubeconfig", storefront.kubeconfigPath])
        #expect(routes.status == 0, "\(routes.stderr)")
        #expect(routes.stdout.contains("a.\(ingressHost)") && routes.stdout.contains("b.\(ingressHost)"), "\(routes.stdout)")

        // What the local process asks of the cluster carries its session's name, unless it names one itself.
        #expect(await routeAsSeenByInventory(through: a, header: nil) == "a", "\(a.printed)")
        #expect(await routeAsSeenByInventory(through: a, header: "z") == "z")

        // A third session may not take a name in use.
        let taken = try await Tools.run(Tools.kbridge, [
            "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", "api", "--local-port", String(Storefront.freePort()), "--no-hosts",
            "--isolate", "--route-as", "a",
        ], environment: ["TMPDIR": a.records])
        #expect(taken.status != 0 && taken.stderr.contains("routing name \"a\" is already used for service \"api\""), "\(taken.stderr)")

        #expect(await a.stop() == 0, "a ended cleanly: \(a.printed)")
        #expect(a.printed.contains("removed the session's copy"), "\(a.printed)")
        let onlyB = await TestSandbox.eventually(timeout: .seconds(60)) {
            let first = await apiVersion(storefront, routeAs: "a")
            let second = await apiVersion(storefront, routeAs: "b")
            return first == "1" && second == "local-b"
        }
        #expect(onlyB, "once a ended, its requests reach the original and b keeps its own")

        await b.kill9()
        var after = try await state(storefront)
        let givenBack = await TestSandbox.eventually(timeout: .seconds(180)) {
            after = try await state(storefront)
            return after == before
        }
        #expect(givenBack, "nothing of either session is left:\nbefore: \(before)\nafter:  \(after)\nb: \(b.printed)")
        #expect(await apiVersion(storefront, routeAs: "b") == "1")
        let clean = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath], environment: ["TMPDIR": b.records])
        #expect(clean.status == 0, "\(clean.stderr)")

        // The routing manager stays, until clean --routing.
        _ = try await client.getRaw(.deployments, name: RoutingNames.managerDeployment)
        let removed = try await Tools.run(Tools.kbridge, ["clean", "--routing", "--kubeconfig", storefront.kubeconfigPath], environment: ["TMPDIR": b.records])
        #expect(removed.status == 0 && removed.stdout.contains("deleted deployment \(RoutingNames.managerDeployment)"), "\(removed.stdout)\(removed.stderr)")
        let managerGone = await TestSandbox.eventually(timeout: .seconds(60)) {
            let left = try await client.listRaw(.serviceAccounts, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel)=routingmanager")).items
                + (try await client.listRaw(.deployments, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel)=routingmanager")).items)
            return left.isEmpty
        }
        #expect(managerGone)
        #expect(try await state(storefront) == before)
    }
}

extension IsolationScenarios {
    /// The routing tests' servers (`kbridge-testserver`) as a Deployment and Service named
    /// `name`: HTTP/1.1 and WebSocket on 8080, h2c on 8081, a byte echo on 8082.
    static func deployServers(_ storefront: Storefront, name: String, image: String) async throws {
        let labels: JSONValue = ["app": .string(name)]
        _ = try await storefront.client.createRaw(.deployments, [
            "metadata": ["name": .string(name)],
            "spec": ["replicas": 1, "selector": ["matchLabels": labels], "template": ["metadata": ["labels": labels], "spec": ["containers": [[
                "name": "servers", "image": .string(image),
                "args": ["--name", .string(name), "--http-port", "8080", "--h2c-port", "8081", "--tcp-port", "8082"],
                "ports": [["name": "http", "containerPort": 8080], ["name": "h2c", "containerPort": 8081], ["name": "tcp", "containerPort": 8082]],
                "readinessProbe": ["tcpSocket": ["port": 8080], "periodSeconds": 1],
            ]]]]],
        ])
        _ = try await storefront.client.createRaw(.services, [
            "metadata": ["name": .string(name)],
            "spec": ["selector": labels, "ports": [
                ["name": "http", "port": 8080, "targetPort": "http"],
                ["name": "h2c", "port": 8081, "targetPort": "h2c", "appProtocol": "kubernetes.io/h2c"],
                ["name": "tcp-echo", "port": 8082, "targetPort": "tcp"],
            ]],
        ])
        let ready = await TestSandbox.eventually(timeout: .seconds(180)) { try await storefront.sample.hasReadyEndpoint(service: name) }
        let pods = await storefront.sample.podSummary()
        try #require(ready, "the \(name) servers run: \(pods)")
    }

    /// What `work` gives within `seconds`; nil when it gives nothing in time (a hung exchange fails
    /// the check instead of the test run).
    static func within<T: Sendable>(_ seconds: Int, _ work: @escaping @Sendable () async -> T?) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Who answers an h2c request to `address:port` carrying `routeAs` (nil: no header).
    static func h2cServedBy(host: String, port: Int, routeAs: String?) async -> String? {
        await within(15) { await h2cExchange(host: host, port: port, routeAs: routeAs) }
    }

    private static func h2cExchange(host: String, port: Int, routeAs: String?) async -> String? {
        guard let (channel, multiplexer) = try? await HTTP2TestPeers.connect(host: host, port: port) else { return nil }
        defer { channel.close(promise: nil) }
        let headers = routeAs.map { [("kubernetes-route-as", $0)] } ?? []
        guard let answer = try? await HTTP2TestPeers.request(multiplexer, on: channel.eventLoop, headers: headers, body: Array("ping".utf8)) else { return nil }
        return answer.headers.first(name: "x-served-by")
    }

    /// The reply to `hello` over a WebSocket to `address:port` opened with `routeAs` (nil: no header).
    static func webSocketReply(host: String, port: Int, routeAs: String?) async -> String? {
        await within(15) { await webSocketExchange(host: host, port: port, routeAs: routeAs) }
    }

    private static func webSocketExchange(host: String, port: Int, routeAs: String?) async -> String? {
        var reply: String?
        try? await TestClient.with(host: host, port: port) { client in
            reply = try await client.webSocketExchange("/ws", headers: routeAs.map { ["kubernetes-route-as": $0] } ?? [:], message: "hello").reply
        }
        return reply
    }

    /// 64 KiB that begin as a TLS ClientHello does, sent to `address:port` and read back whole.
    static func echoesBytes(host: String, port: Int) async -> Bool {
        await within(30) { await echoExchange(host: host, port: port) } ?? false
    }

    private static func echoExchange(host: String, port: Int) async -> Bool {
        let bytes: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03] + (0..<65_525).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var echoed: [UInt8] = []
        try? await TestClient.with(host: host, port: port) { client in
            try await client.send(bytes)
            echoed = try await client.read(count: bytes.count)
        }
        return echoed == bytes
    }

    /// An isolated service's h2c requests and WebSockets go to the session when they name it and
    /// to the original otherwise; bytes that are not HTTP (TLS, a database's) pass its routers
    /// to the original byte for byte; a plain-TCP service of the namespace is not touched at all.
    static func h2cWebSocketsAndOtherBytesGoWhereTheyShould(_ storefront: Storefront, serversImage: String) async throws {
        let client = storefront.client
        try await deployServers(storefront, name: "echo", image: serversImage)
        try await deployServers(storefront, name: "bytes", image: serversImage)
        let bytesBefore = try await client.getRaw(.services, name: "bytes")
        let before = try await state(storefront)
        let (http, h2c, tcp) = (Storefront.freePort(), Storefront.freePort(), Storefront.freePort())
        let session = try Isolated.start(
            storefront, name: "a", service: "echo", localPort: http, extra: ["--map", "8081:\(h2c)", "--map", "8082:\(tcp)"],
            command: [Tools.kbridgeTestserver, "--name", "local-a", "--http-port", String(http), "--h2c-port", String(h2c), "--tcp-port", String(tcp)]
        )
        let connected = await session.waitUntilConnected()
        try #require(connected, "connected: \(session.printed)")
        let echo = try await client.get(Service.self, name: "echo")
        let address = try #require(echo.spec.clusterIP)
        let routed = await TestSandbox.eventually(timeout: .seconds(60)) {
            await h2cServedBy(host: address, port: 8081, routeAs: "a") == "local-a"
        }
        #expect(routed, "an h2c request naming a reaches a's local server: \(session.printed)")
        #expect(await h2cServedBy(host: address, port: 8081, routeAs: nil) == "echo", "without the header, the original")
        #expect(await webSocketReply(host: address, port: 8080, routeAs: "a") == "local-a: hello")
        #expect(await webSocketReply(host: address, port: 8080, routeAs: nil) == "echo: hello")
        #expect(await echoesBytes(host: address, port: 8082), "TLS-looking bytes through the isolated service's routers, byte for byte")
        #expect(try await client.listRaw(.ingresses).items.isEmpty, "a namespace without ingresses: nothing duplicated")

        // A non-HTTP service behind an ingress: once anyone isolated anything, Bridge to Kubernetes
        // closed TLS and plain TCP to every such service.
        _ = try await client.createRaw(.ingresses, [
            "metadata": ["name": "bytes"],
            "spec": ["rules": [["host": "bytes.example.test", "http": ["paths": [
                ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "bytes", "port": ["number": 8082]]]],
            ]]]]],
        ])
        let duplicated = await TestSandbox.eventually(timeout: .seconds(60)) {
            (try? await client.getRaw(.ingresses, name: RoutingNames.duplicatedIngress("bytes", for: "a"))) != nil
        }
        #expect(duplicated, "the ingress is duplicated for a")
        let bytes = try await client.get(Service.self, name: "bytes")
        #expect(await echoesBytes(host: try #require(bytes.spec.clusterIP), port: 8082), "a TLS or plain-TCP service of the namespace, behind an ingress")
        #expect(try await client.getRaw(.services, name: "bytes") == bytesBefore, "a service no session isolates is not touched")
        #expect(try await client.listRaw(.deployments, options: ListOptions(labelSelector: "\(RoutingNames.routerForLabel)=bytes")).items.isEmpty)
        try await client.delete(.ingresses, name: "bytes")

        // Stopped as Ctrl-C stops it: the local server ends by the signal, whose status connect passes on.
        let status = await session.stop()
        #expect(status == 0 || status == 128 + SIGINT, "\(session.printed)")
        #expect(session.printed.contains("removed the session's copy"), "\(session.printed)")
        var after = try await state(storefront)
        let givenBack = await TestSandbox.eventually(timeout: .seconds(120)) {
            after = try await state(storefront)
            return after == before
        }
        #expect(givenBack, "before: \(before)\nafter:  \(after)")
    }
}
