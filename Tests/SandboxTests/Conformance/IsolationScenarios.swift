import AsyncHTTPClient
import BridgeSession
import ChildProcesses
import Foundation
import Isolation
import KubernetesClient
import NIOFoundationCompat
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

        static func start(_ storefront: Storefront, name: String, extra: [String] = []) throws -> Isolated {
            let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
            let output = records + "/connect.out"
            let port = Storefront.freePort()
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = records
            let pid = try ProcessSpawner.spawn(.init(
                executable: Tools.kbridge,
                arguments: [
                    "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", "api", "--local-port", String(port), "--no-hosts",
                    "--isolate", "--route-as", name, "--ttl", String(IsolationScenarios.ttl), "-o", "json",
                ] + extra + ["--", "sh", "-c", #"API_VERSION=local-$0 PORT=$1 exec python3 "$2""#, name, String(port), ConnectCommandTests.api],
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

    /// GET through the routers behind `name`'s duplicated ingress (what an ingress controller
    /// does for host `name.<host>`): the api version the front's answer shows.
    static func apiVersionThroughIngress(_ storefront: Storefront, name: String) async -> String? {
        guard let routers = try? await storefront.client.get(Service.self, name: RoutingNames.ingressRouters(of: name)),
              let address = routers.spec.clusterIP, let port = routers.spec.ports?.first?.port else { return nil }
        var request = HTTPClientRequest(url: "http://\(address):\(port)/")
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
        #expect(await apiVersionThroughIngress(storefront, name: "a") == "local-a")
        #expect(await apiVersionThroughIngress(storefront, name: "b") == "local-b")

        let routes = try await Tools.run(Tools.kbridge, ["list", "routes", "--kubeconfig", storefront.kubeconfigPath])
        #expect(routes.status == 0, "\(routes.stderr)")
        #expect(routes.stdout.contains("a.\(ingressHost)") && routes.stdout.contains("b.\(ingressHost)"), "\(routes.stdout)")

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
