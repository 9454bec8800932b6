import AsyncHTTPClient
import BridgeSession
import BridgeTunnel
import ChildProcesses
import Foundation
import KubernetesClient
import NIOCore
import SandboxTesting
import Testing
import TunnelTesting

/// `kbridge connect` end to end: the real `kbridge` and `kbridge-agent` against a sandbox with
/// the storefront, the local process being a copy of the storefront's api.
@Suite(.serialized) struct ConnectCommandTests {
    static let api = Tools.storefront.appendingPathComponent("app/api.py").path

    static var canMountPrivateHostsFile: Bool {
        getuid() == 0 && Tools.locate("unshare") != nil
    }

    /// Runs `kbridge connect` in the background until `body` returns, then stops it as Ctrl-C would.
    static func whileConnected(
        _ storefront: Storefront, _ arguments: [String], _ body: () async throws -> Void
    ) async throws -> Tools.Result {
        let connect = Task { try await storefront.kbridge(["connect"] + arguments) }
        do {
            try await body()
        } catch {
            connect.cancel()
            _ = try? await connect.value
            throw error
        }
        connect.cancel()
        return try await connect.value
    }

    /// Waits for the front service to answer through a local api (version "local").
    static func localAnswer(_ storefront: Storefront) async -> JSONValue? {
        var answer: JSONValue?
        _ = await TestSandbox.eventually(timeout: .seconds(120)) {
            answer = await storefront.askFront()
            return answer?[path: "api", "version"]?.stringValue == "local"
        }
        return answer
    }

    @Test(.enabled(if: canMountPrivateHostsFile, "needs root and unshare to give the local process a private /etc/hosts"))
    func frontRequestsReachTheLocalProcessWhichReachesBackendsByClusterName() async throws {
        try await withStorefront(ConnectScenarios.theFrontIsAnsweredByTheLocalProcessWhichReachesTheBackendByName)
    }

    @Test(.enabled(if: canMountPrivateHostsFile, "needs root and unshare to give the local process a private /etc/hosts"))
    func theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName() async throws {
        try await withStorefront(ConnectScenarios.theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName)
    }

    @Test(.enabled(if: canMountPrivateHostsFile, "needs root and unshare to give the local process a private /etc/hosts"))
    func aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint() async throws {
        try await withStorefront(ConnectScenarios.aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint)
    }

    /// `kbridge diagnostics` while connected: the environment (a Secret's value masked unless
    /// asked for), the names and where they lead, the pod's files, the state and the log; the log
    /// holds the session's events and, at the end, the agent pod's own log.
    @Test func diagnosticsShowsWhatTheConnectedSessionGivesTheLocalProcess() async throws {
        try await withStorefront { storefront in
            let session = try await BackgroundSession.connect(storefront, service: "api")
            let inventory = try await storefront.client.get(Service.self, name: "inventory")
            let text = try await session.kbridge(["diagnostics"])
            #expect(text.status == 0, "\(text.stderr)")
            let said = text.stdout
            #expect(said.contains("service \"api\" in namespace \"\(storefront.namespace)\""), "\(said)")
            #expect(said.contains("connected"), "\(said)")
            #expect(said.contains("INVENTORY_TOKEN=******** (from a Secret)"), "\(said)")
            #expect(!said.contains("s3cr3t-inventory-token"), "a Secret's value is masked: \(said)")
            #expect(said.contains("CATALOG_CURRENCY=EUR"), "\(said)")
            #expect(said.contains("INVENTORY_SERVICE_HOST=127.1."), "\(said)")
            let inventoryLine = said.split(separator: "\n").first { $0.hasPrefix("  inventory inventory.\(storefront.namespace)") }
            #expect(inventoryLine?.contains("→ 127.1.") == true && inventoryLine?.hasSuffix("→ \(inventory.spec.clusterIP ?? "?"):8080") == true, "name → local address → cluster target: \(said)")
            #expect(said.contains("/var/run/secrets/kubernetes.io/serviceaccount → "), "the downloaded token folder: \(said)")
            let log = try #require(said.split(separator: "\n").first { $0.hasPrefix("  log: ") }.map { String($0.dropFirst("  log: ".count)) })
            #expect(FileManager.default.fileExists(atPath: log), "\(said)")

            let shown = try await session.kbridge(["diagnostics", "--show-secrets"])
            #expect(shown.stdout.contains("INVENTORY_TOKEN=s3cr3t-inventory-token"), "\(shown.stdout)")
            let json = try await session.kbridge(["diagnostics", "-o", "json"])
            let event = try JSONValue.parse(Data(json.stdout.utf8))
            #expect(event["event"] == "diagnostics" && event["state"] == "connected", "\(json.stdout)")
            #expect(event[path: "environment", "INVENTORY_TOKEN"]?.stringValue?.hasPrefix("********") == true)
            #expect(event["secretVariables"]?.arrayValue?.contains("INVENTORY_TOKEN") == true)
            #expect(event["names"]?.arrayValue?.contains { $0["names"]?.arrayValue?.first == "inventory" } == true)

            let disconnect = try await session.kbridge(["disconnect", "--service", "api"])
            #expect(disconnect.status == 0, "\(disconnect.stderr)")
            _ = try await session.connect.value
            let written = try String(contentsOfFile: log, encoding: .utf8)
            #expect(written.contains("connected: connected: service \"api\""), "the session's events are in its log")
            #expect(written.contains("'s log:") && written.contains("kbridge-agent: listening"), "the agent pod's log ends it: \(written.suffix(2000))")
            let after = try await session.kbridge(["diagnostics"])
            #expect(after.status != 0 && after.stderr.contains("no kbridge session on this machine"), "\(after.stderr)")
        }
    }

    /// A queue worker that no Service fronts, named by `--workload deployment/NAME` and by `--pod
    /// NAME`: the local process gets its environment, its mounted files and the cluster's
    /// services; no traffic is redirected (said so); the worker is given back as it was.
    @Test(arguments: ["--workload", "--pod"])
    func aWorkerNoServiceFrontsGetsItsEnvironmentFilesAndNames(_ flag: String) async throws {
        try await withStorefront { storefront in
            let admin = storefront.client
            let image = try #require(try await admin.get(Deployment.self, name: "inventory").spec.template.spec.containers.first?.image)
            let spec: JSONValue = [
                "containers": [[
                    "name": "worker", "image": .string(image), "command": ["sleep", "3600"],
                    "env": [["name": "QUEUE", "value": "orders"]], "volumeMounts": [["name": "items", "mountPath": "/etc/worker"]],
                ]],
                "volumes": [["name": "items", "configMap": ["name": "inventory-items"]]],
            ]
            let target: [String]
            let type: ResourceType
            let name: String
            if flag == "--workload" {
                (type, name, target) = (.deployments, "worker", ["--workload", "deployment/worker"])
                try await admin.createRaw(.deployments, [
                    "metadata": ["name": "worker"],
                    "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "worker"]], "template": ["metadata": ["labels": ["app": "worker"]], "spec": spec]],
                ])
            } else {
                (type, name, target) = (.pods, "solo", ["--pod", "solo"])
                try await admin.createRaw(.pods, ["metadata": ["name": "solo", "labels": ["app": "solo"]], "spec": spec])
            }
            let running = await TestSandbox.eventually(timeout: .seconds(90)) {
                try await admin.list(Pod.self, options: ListOptions(labelSelector: "app in (worker,solo)")).contains { $0.isReady }
            }
            try #require(running)
            let before = try await admin.getRaw(type, name: name)
            let clusterBefore = try await storefront.clusterState()
            let result = try await storefront.kbridge(["connect", "--no-hosts"] + target + [
                "--", "sh", "-c",
                #"echo "QUEUE=$QUEUE"; cat "$KBRIDGE_ROOT/etc/worker/items.json"; python3 -c 'import os, urllib.request; print(urllib.request.urlopen("http://%s:%s/healthz" % (os.environ["INVENTORY_SERVICE_HOST"], os.environ["INVENTORY_SERVICE_PORT"])).read().decode())'"#,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("QUEUE=orders"), "its environment: \(result.stdout)")
            #expect(result.stdout.contains("Road bike"), "its mounted ConfigMap: \(result.stdout)")
            #expect(result.stdout.contains(#""status": "ok""#), "a cluster service, through its variables: \(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("no Service fronts it, so no traffic comes to this machine"), "\(result.stderr)")
            #expect(result.stderr.contains("is back as it was"), "\(result.stderr)")
            let after = try await admin.getRaw(type, name: name)
            #expect(after[path: "spec", "template", "spec", "containers"] == before[path: "spec", "template", "spec", "containers"], "the worker's template is back")
            #expect(after[path: "spec", "containers"]?[0]?["image"] == before[path: "spec", "containers"]?[0]?["image"], "the bare pod runs its own image again")
            try await storefront.expectUnchanged(since: clusterBefore)
        }
    }

    @Test func withoutHostsFileTheLocalProcessReachesBackendsThroughServiceVariables() async throws {
        try await withStorefront(ConnectScenarios.withoutAHostsFileTheEnvironmentCarriesSecretsConfigMapsAndServiceVariables)
    }

    @Test func theCommandsExitCodeBecomesKbridgesAndStatusListsTheSession() async throws {
        try await withStorefront() { storefront in
            let clusterBefore = try await storefront.clusterState()
            let result = try await storefront.kbridge([
                "connect", "--service", "inventory", "--local-port", String(Storefront.freePort()), "--no-hosts", "--",
                "sh", "-c", #"exec "$0" status | grep -q inventory && exit 7"#, Tools.kbridge,
            ])
            #expect(result.status == 7, "the command's own exit code: \(result.stderr)")
            #expect(result.stderr.contains("is back as it was"), "\(result.stderr)")
            try await storefront.expectUnchanged(since: clusterBefore)
        }
    }

    @Test func mapSendsAnotherContainerPortToTheLocalPortItNames() async throws {
        try await withStorefront() { storefront in
            let client = storefront.client
            _ = try await client.createRaw(.services, [
                "metadata": ["name": "two-ports"],
                "spec": ["selector": ["app": "two-ports"], "ports": [["name": "main", "port": 80, "targetPort": 8080], ["name": "admin", "port": 90, "targetPort": 9090]]],
            ])
            _ = try await client.createRaw(.deployments, [
                "metadata": ["name": "two-ports"],
                "spec": [
                    "selector": ["matchLabels": ["app": "two-ports"]],
                    "template": ["metadata": ["labels": ["app": "two-ports"]], "spec": ["containers": [[
                        "name": "app", "image": "storefront/web:1", "ports": [["containerPort": 8080], ["containerPort": 9090]],
                    ]]]],
                ],
            ])
            let main = Storefront.freePort()
            let admin = Storefront.freePort()
            let address = try #require(try await client.get(Service.self, name: "two-ports").spec.clusterIP)
            var answer = ""
            let result = try await Self.whileConnected(storefront, [
                "--service", "two-ports", "--local-port", String(main), "--map", "9090:\(admin)", "--no-hosts", "--",
                "python3", "-c", Self.twoFolderServers,
                String(main), Tools.storefront.appendingPathComponent("k8s").path, String(admin), Tools.storefront.appendingPathComponent("app").path,
            ]) {
                _ = await TestSandbox.eventually(timeout: .seconds(120)) {
                    answer = try await Self.get("http://\(address):90/")
                    return answer.contains("api.py")
                }
                #expect(answer.contains("api.py"), "port 90 → container 9090 → local \(admin) (serving app/): \(answer)")
                let mainAnswer = try await Self.get("http://\(address):80/")
                #expect(mainAnswer.contains("api.yaml"), "port 80 → container 8080 → local \(main) (serving k8s/): \(mainAnswer)")
            }
            #expect(result.status == 128 + SIGTERM, "the local command ended by the SIGTERM kbridge passed on: \(result.stderr)")
        }
    }

    /// One process serving two folders on two local ports: `PORT1 FOLDER1 PORT2 FOLDER2`.
    static let twoFolderServers = """
        import functools, http.server, sys, threading
        def serve(port, folder):
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
            http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler).serve_forever()
        threading.Thread(target=serve, args=(sys.argv[1], sys.argv[2]), daemon=True).start()
        serve(sys.argv[3], sys.argv[4])
        """

    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func disconnectFromAnotherTerminalEndsTheSessionAndGivesEverythingBack() async throws {
        try await withStorefront(ConnectScenarios.statusListsTheSessionAndDisconnectFromAnotherTerminalGivesEverythingBack)
    }

    @Test func aScaleDuringTheSessionIsHeldAtOneAndGivenBack() async throws {
        try await withStorefront(ConnectScenarios.aScaleDuringTheSessionIsHeldAtOneAndGivenBack)
    }

    @Test func foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks() async throws {
        try await withStorefront(ConnectScenarios.foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks)
    }

    /// `kill -9` of kbridge: its command ends with it (it would hold the local port with nobody to
    /// stop it), and the record written before the take-over lets `disconnect` give everything back.
    @Test func aKilledKbridgeTakesItsCommandAlongAndDisconnectGivesBackWhatItLeft() async throws {
        try await withStorefront() { storefront in
            let clusterBefore = try await storefront.clusterState()
            let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
            let pidFile = records + "/command.pid"
            let connect = Task {
                try await Tools.run(Tools.kbridge, [
                    "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", "api", "--local-port", String(Storefront.freePort()), "--no-hosts",
                    "--", "sh", "-c", "echo $$ > \(pidFile); exec sleep 600",
                ], timeout: .seconds(180), environment: ["TMPDIR": records])
            }
            var kbridgePid: Int32?
            let running = await TestSandbox.eventually(timeout: .seconds(120)) {
                let status = try await Tools.run(Tools.kbridge, ["status", "-o", "json"], environment: ["TMPDIR": records])
                kbridgePid = try? JSONValue.parse(Data(status.stdout.utf8))["pid"]?.intValue.map(Int32.init)
                return kbridgePid != nil && FileManager.default.fileExists(atPath: pidFile)
            }
            try #require(running, "the session and its command started")
            let commandPid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(try #require(kbridgePid), SIGKILL)
            _ = try await connect.value
            #expect(await TestSandbox.eventually(timeout: .seconds(10)) { !ProcessLiveness.isAlive(commandPid) }, "the command ended with kbridge")

            let status = try await Tools.run(Tools.kbridge, ["status"], environment: ["TMPDIR": records])
            #expect(status.stdout.contains("stale"), "\(status.stdout)")
            let disconnect = try await Tools.run(Tools.kbridge, ["disconnect", "--service", "api"], environment: ["TMPDIR": records])
            #expect(disconnect.status == 0, "\(disconnect.stderr)")
            try await storefront.expectUnchanged(since: clusterBefore)
        }
    }

    @Test func aClusterGoneMidSessionEndsItWithAMessageAndTheHostsFileRestored() async throws {
        try await withTestSandbox(imageFiles: [Tools.storefrontImages, try Storefront.agentImageFile()]) { sandbox in
            let storefront = try await Storefront.deploy(kubeconfig: sandbox.kubeconfigPath)
            let hosts = try Storefront.hostsCopy()
            let hostsBefore = try Data(contentsOf: hosts)
            let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
            let connect = Task {
                try await Tools.run(Tools.kbridge, [
                    "connect", "--kubeconfig", storefront.kubeconfigPath, "--service", "api", "--local-port", String(Storefront.freePort()), "--hosts-file", hosts.path,
                    "--reconnect-timeout", "5",
                ], timeout: .seconds(180), environment: ["TMPDIR": records])
            }
            let connected = await TestSandbox.eventually(timeout: .seconds(90)) { try String(contentsOf: hosts, encoding: .utf8).contains("# BEGIN kbridge") }
            #expect(connected, "the session wrote its block")
            await sandbox.stop()
            let result = try await connect.value
            #expect(result.status != 0)
            #expect(result.stderr.contains("lost the connection to the agent"), "\(result.stderr)")
            #expect(result.stderr.contains("run `kbridge disconnect` once the cluster is reachable"), "\(result.stderr)")
            #expect(try Data(contentsOf: hosts) == hostsBefore, "the hosts file is byte-identical")

            // The record stays for `kbridge disconnect`; with the cluster gone for good, --forget drops it.
            let disconnect = try await Tools.run(Tools.kbridge, ["disconnect", "--service", "api"], environment: ["TMPDIR": records])
            #expect(disconnect.status != 0)
            #expect(disconnect.stderr.contains("--forget"), "\(disconnect.stderr)")
            let forget = try await Tools.run(Tools.kbridge, ["disconnect", "--service", "api", "--forget"], environment: ["TMPDIR": records])
            #expect(forget.status == 0, "\(forget.stderr)")
            let status = try await Tools.run(Tools.kbridge, ["status"], environment: ["TMPDIR": records])
            #expect(status.stdout.contains("no kbridge sessions"), "\(status.stdout)")
        }
    }

    /// `inventory` redirected (through `connecting`'s kubeconfig) to a local HTTP server, answering
    /// through the redirect; the closure asks once more.
    static func inventoryRedirectedToALocalServer(
        _ connecting: Storefront, _ storefront: Storefront
    ) async throws -> (BackgroundSession, LocalHolder, @Sendable () async -> Bool) {
        let port = Storefront.freePort()
        let session = try await BackgroundSession.connect(connecting, service: "inventory", localPort: port)
        let local = try await LocalHolder.start(port: port)
        let inventory = try #require(try await storefront.client.get(Service.self, name: "inventory").spec.clusterIP)
        let throughRedirect: @Sendable () async -> Bool = { (try? await Self.get("http://\(inventory):8080/"))?.contains("Directory listing") == true }
        #expect(await TestSandbox.eventually(timeout: .seconds(30)) { await throughRedirect() }, "the local process answers through the redirect")
        return (session, local, throughRedirect)
    }

    /// Ends the session from another terminal and checks it said it lost and regained the agent and gave everything back.
    static func expectReconnectedAndGivenBack(_ session: BackgroundSession, _ storefront: Storefront, since clusterBefore: [String]) async throws {
        let disconnect = try await session.kbridge(["disconnect", "--service", "inventory"])
        #expect(disconnect.status == 0, "\(disconnect.stderr)")
        let result = try await session.connect.value
        #expect(result.stderr.contains("lost the connection to the agent"), "\(result.stderr)")
        #expect(result.stderr.contains("reconnected to the agent"), "\(result.stderr)")
        try await storefront.expectUnchanged(since: clusterBefore)
    }

    /// The API server's listener goes away (every port-forward with it) and comes back with its
    /// state kept, as when it restarts: the session reconnects by itself and the redirect works again.
    @Test func anAPIServerThatGoesAwayAndComesBackHasTheSessionReconnect() async throws {
        try await withStorefront() { storefront in
            let clusterBefore = try await storefront.clusterState()
            var config = try #require(try KubeconfigLoader().load(explicitPath: storefront.kubeconfigPath))
            let clusterName = try #require(config.currentContext.flatMap { config.contexts[$0]?.cluster })
            let server = try #require(config.clusters[clusterName]?.server)
            let apiPort = try #require(URL(string: server)?.port)
            let proxy = try await SwitchableProxy.start(forwardingTo: apiPort)
            config.clusters[clusterName]?.server = "https://127.0.0.1:\(proxy.port)"
            let proxiedPath = NSTemporaryDirectory() + "kbridge-proxied-\(UUID().uuidString.prefix(8)).kubeconfig"
            try config.yaml().write(toFile: proxiedPath, atomically: true, encoding: .utf8)
            let proxied = Storefront(kubeconfigPath: proxiedPath, client: storefront.client)

            let (session, local, throughRedirect) = try await Self.inventoryRedirectedToALocalServer(proxied, storefront)
            defer { local.stop() }

            await proxy.cut()
            // The scenario: the API server away for three seconds (long enough to drop the tunnel).
            try await Task.sleep(for: .seconds(3))

            proxy.resume()
            #expect(await TestSandbox.eventually(timeout: .seconds(90)) { await throughRedirect() }, "the redirect works again once the API server is back")

            try await Self.expectReconnectedAndGivenBack(session, storefront, since: clusterBefore)
        }
    }

    /// The agent's container dies and its kubelet restarts it: the port-forwards drop, the CLI
    /// says so, reconnects by itself, and a request through the redirect works again; the local
    /// process never stopped.
    @Test func anAgentWhoseContainerRestartsIsReconnectedAndTheRedirectWorksAgain() async throws {
        try await withStorefront() { storefront in
            let clusterBefore = try await storefront.clusterState()
            let (session, local, throughRedirect) = try await Self.inventoryRedirectedToALocalServer(storefront, storefront)
            defer { local.stop() }

            // The agent pod's name is its processes' HOSTNAME (random: no other sandbox's).
            let agentPods = try await storefront.client.list(Pod.self, options: ListOptions(labelSelector: ClusterNames.sessionLabel))
            let agentPod = try #require(agentPods.first?.metadata.name, "the session's agent pod")
            let agents = CommandLineTests.processes(withEnvironmentContaining: "HOSTNAME=\(agentPod)").filter { pid in
                let arguments = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.split(separator: "\0") ?? []
                return arguments.first?.hasSuffix("kbridge-agent") == true && arguments.dropFirst().first != "guard"
            }
            #expect(agents.count == 1, "the session's agent process (not its guard)")
            for pid in agents { kill(pid, SIGKILL) }
            #expect(await TestSandbox.eventually(timeout: .seconds(90)) { await throughRedirect() }, "the redirect works again after the agent restarted")
            #expect(local.isRunning, "the local process kept running")

            try await Self.expectReconnectedAndGivenBack(session, storefront, since: clusterBefore)
        }
    }

    @Test func anAppThatDefinesItsOwnPodIPStillHasItsAgentReached() async throws {
        try await withStorefront { try await ConnectScenarios.anAppThatDefinesItsOwnPodIPStillHasItsAgentReached($0, podIP: ["name": "POD_IP", "value": "10.123.45.67"]) }
    }

    /// A kubeconfig for a service account of `namespace` bound to the built-in ClusterRole `role` there.
    /// A kubeconfig for a service account bound to the ClusterRole `role` in `namespace` only,
    /// and to the shipped `deploy/rbac/kbridge-user.yaml` Role too with `withKbridgeRole`.
    static func namespaceScopedKubeconfig(_ storefront: Storefront, role: String, namespace: String = "default", withKbridgeRole: Bool = false) async throws -> String {
        let client = storefront.client
        let account = "developer-\(role)"
        try await client.createRaw(.serviceAccounts, ["metadata": ["name": .string(account)]], namespace: namespace)
        var roles: [(kind: String, name: String)] = [("ClusterRole", role)]
        if withKbridgeRole {
            for object in try Manifest.objects(at: Tools.repository.appendingPathComponent("deploy/rbac/kbridge-user.yaml").path) {
                try await client.createRaw(object.type, object.body, namespace: namespace)
                roles.append(("Role", object.body[path: "metadata", "name"]?.stringValue ?? ""))
            }
        }
        for (kind, name) in roles {
            try await client.createRaw(.roleBindings, [
                "metadata": ["name": .string("\(account)-\(name)")],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(kind), "name": .string(name)],
                "subjects": [["kind": "ServiceAccount", "name": .string(account), "namespace": .string(namespace)]],
            ], namespace: namespace)
        }
        let token = try await client.requestToken(serviceAccount: account, namespace: namespace)
        var config = try #require(try KubeconfigLoader().load(explicitPath: storefront.kubeconfigPath))
        config.users[account] = .init(token: token)
        let cluster = try #require(config.currentContext.flatMap { config.contexts[$0]?.cluster })
        config.contexts[account] = .init(cluster: cluster, user: account, namespace: namespace)
        config.currentContext = account
        let file = NSTemporaryDirectory() + "kbridge-\(account)-\(UUID().uuidString.prefix(8)).kubeconfig"
        try config.yaml().write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test(arguments: ["admin", "edit", "view"])
    func aNamespaceScopedUserConnectsWithTheShippedRoleAndIsToldWhatIsMissingWithout(role: String) async throws {
        try await withStorefront { try await ConnectScenarios.aNamespaceScopedUserGetsAnswersWithoutClusterScopedRights($0, role: role) }
    }

    @Test(arguments: ["edit", "view"])
    func aNamespaceScopedUserIsToldWhenANamespaceIsMissingOrNotTheirs(role: String) async throws {
        try await withStorefront() { storefront in
            let kubeconfig = try await Self.namespaceScopedKubeconfig(storefront, role: role)
            let list = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", kubeconfig, "-n", "nope"])
            #expect(list.status == 1)
            #expect(list.stderr.contains(#"cannot list services in namespace "nope": either the namespace does not exist or you have no access to it there"#), "\(list.stderr)")
            #expect(!list.stderr.contains("namespaces"), "no cluster-scoped read was needed: \(list.stderr)")

            let connect = try await Tools.run(Tools.kbridge, ["connect", "--kubeconfig", kubeconfig, "-n", "nope", "--service", "api", "--local-port", String(Storefront.freePort()), "--no-hosts"])
            #expect(connect.status == 1)
            #expect(connect.stderr.contains(#"cannot get services in namespace "nope": either the namespace does not exist or you have no access to it there"#), "\(connect.stderr)")

            // In its own namespace it lists with ready pods, though 1.20's built-in roles cannot read EndpointSlices.
            let own = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", kubeconfig])
            #expect(own.status == 0, "\(own.stderr)")
            let web = own.stdout.split(separator: "\n").first { $0.hasPrefix("web ") }
            #expect(web?.hasSuffix(" 1") == true, "\(own.stdout)")
        }
    }

    // MARK: Bad input: a clear message, a non-zero exit, nothing changed

    /// Runs `kbridge connect ARGS` that must fail, and checks that neither the cluster nor the hosts file changed.
    static func refused(_ storefront: Storefront, _ arguments: [String]) async throws -> Tools.Result {
        let hosts = try Storefront.hostsCopy()
        let hostsBefore = try Data(contentsOf: hosts)
        let clusterBefore = try await storefront.clusterState()
        let result = try await storefront.kbridge(["connect", "--hosts-file", hosts.path] + arguments)
        #expect(result.status != 0, "kbridge failed: \(result.stderr)")
        #expect(try Data(contentsOf: hosts) == hostsBefore, "the hosts file is unchanged")
        try await storefront.expectUnchanged(since: clusterBefore)
        return result
    }

    @Test func anUnknownServiceIsRefusedNamingTheServicesThatExist() async throws {
        try await withStorefront() { storefront in
            let result = try await Self.refused(storefront, ["--service", "nope", "--local-port", String(Storefront.freePort())])
            #expect(result.stderr.contains(#"error: service "nope" not found in namespace "default" (its services: api, inventory, kubernetes, web)"#), "\(result.stderr)")
        }
    }

    @Test func aServiceWithoutPodsIsRefusedSayingWhatToDo() async throws {
        try await withStorefront() { storefront in
            _ = try await storefront.client.createRaw(.services, ["metadata": ["name": "lonely"], "spec": ["selector": ["app": "nothing"], "ports": [["port": 80]]]])
            let result = try await Self.refused(storefront, ["--service", "lonely", "--local-port", String(Storefront.freePort())])
            #expect(result.stderr.contains(#"service "lonely" in namespace "default" selects no pods (selector app=nothing)"#), "\(result.stderr)")
        }
    }

    /// A command needs the local port for itself: a port held by something else is refused.
    @Test func aLocalPortHeldWhenACommandNeedsItIsRefusedNamingItsHolder() async throws {
        try await withStorefront() { storefront in
            let port = Storefront.freePort()
            let holder = try await LocalHolder.start(port: port)
            defer { holder.stop() }
            let result = try await Self.refused(storefront, ["--service", "api", "--local-port", String(port), "--", "true"])
            #expect(result.stderr.contains("port \(port) is held by pid \(holder.pid) ("), "\(result.stderr)")
            #expect(result.stderr.contains("python3 -m http.server \(port)"), "the holder's command line")
            #expect(result.stderr.contains("--free-port"), "the message says how to go on")
            #expect(holder.isRunning, "the holder was left alone")
        }
    }

    /// The seeds' "start your app, then connect": without a command, what listens on the local
    /// port is the app. It listens on every address, and another service of the namespace uses
    /// the same port number: kbridge serves that one elsewhere (saying so before anything
    /// changes) instead of walking its whole loopback range, and the traffic reaches the app.
    @Test func anAppListeningOnEveryAddressBeforeConnectGetsTheTrafficThoughAServiceSharesItsPort() async throws {
        try await withStorefront() { storefront in
            let port = Storefront.freePort()
            let app = try await LocalHolder.start(port: port, address: "0.0.0.0")
            defer { app.stop() }
            _ = try await storefront.client.createRaw(.services, [
                "metadata": ["name": "reports"], "spec": ["selector": ["app": "inventory"], "ports": [["port": .integer(Int64(port)), "targetPort": 8080]]],
            ])
            let clusterBefore = try await storefront.clusterState()
            let session = try await BackgroundSession.connect(storefront, service: "inventory", localPort: port)
            let inventory = try #require(try await storefront.client.get(Service.self, name: "inventory").spec.clusterIP)
            let reached = await TestSandbox.eventually(timeout: .seconds(30)) { (try? await Self.get("http://\(inventory):8080/"))?.contains("Directory listing") == true }
            #expect(reached, "the app answers through the redirect")
            #expect(app.isRunning)
            let disconnect = try await session.kbridge(["disconnect", "--service", "inventory"])
            #expect(disconnect.status == 0, "\(disconnect.stderr)")
            let result = try await session.connect.value
            #expect(result.stderr.contains("port \(port) is held by pid \(app.pid)") && result.stderr.contains("it gets the service's traffic"), "\(result.stderr)")
            let warned = try #require(result.stderr.range(of: #"service "reports" also uses port \#(port), which the app holds on every address"#), "\(result.stderr)")
            let tookOver = try #require(result.stderr.range(of: "taking over"), "\(result.stderr)")
            #expect(warned.lowerBound < tookOver.lowerBound, "said before anything changed")
            try await storefront.expectUnchanged(since: clusterBefore)
        }
    }

    @Test func freePortStopsTheHolderAndTheSessionGoesOn() async throws {
        try await withStorefront() { storefront in
            let clusterBefore = try await storefront.clusterState()
            let port = Storefront.freePort()
            let holder = try await LocalHolder.start(port: port)
            defer { holder.stop() }
            let result = try await storefront.kbridge(["connect", "--service", "api", "--local-port", String(port), "--no-hosts", "--free-port", "--", "true"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("port \(port) is held by pid \(holder.pid)"), "\(result.stderr)")
            #expect(!holder.isRunning, "the holder was stopped")
            try await storefront.expectUnchanged(since: clusterBefore)
        }
    }

    /// The guard runs the agent image: one the cluster cannot pull stops the session at the guard,
    /// before anything of the workload changed.
    @Test func anAgentImageTheClusterCannotPullStopsTheSessionBeforeAnythingChanges() async throws {
        try await withStorefront() { storefront in
            let result = try await Self.refused(storefront, [
                "--service", "api", "--local-port", String(Storefront.freePort()), "--agent-image", "example.com/no-such/agent:0", "--timeout", "60",
            ])
            #expect(result.stderr.contains("guard"), "\(result.stderr)")
            #expect(result.stderr.contains("is not running: ErrImagePull"), "\(result.stderr)")
            #expect(result.stderr.contains("example.com/no-such/agent:0"), "\(result.stderr)")
            #expect(result.stderr.contains("Nothing was changed"), "\(result.stderr)")
            #expect(!result.stderr.contains("taking over"), "nothing was taken over: \(result.stderr)")
        }
    }

    /// A guard whose pod crashes: connect waits for its proof, quotes the pod's reason and its
    /// last output, and stops before the take-over.
    @Test func aGuardThatCannotRunStopsConnectBeforeAnythingChangesQuotingItsPod() async throws {
        try await withStorefront() { storefront in
            let result = try await Self.refused(storefront, [
                "--service", "api", "--local-port", String(Storefront.freePort()), "--agent-image", Storefront.crashingAgentImage, "--timeout", "90",
            ])
            #expect(result.stderr.contains("the session's guard (pod kbridge-guard-"), "\(result.stderr)")
            #expect(result.stderr.contains("this image cannot run here"), "its last output is quoted: \(result.stderr)")
            #expect(result.stderr.contains("--no-guard"), "\(result.stderr)")
            #expect(!result.stderr.contains("taking over"), "nothing was taken over: \(result.stderr)")
        }
    }

    /// `--no-guard`: no Lease or guard, said so; the session works and gives back as usual.
    @Test func noGuardConnectsWithoutOneAndSaysWhatThatRisks() async throws {
        try await withStorefront() { storefront in
            let clusterBefore = try await storefront.clusterState()
            let script = #"exec "$0" --kubeconfig "$1" get leases -o name"#
            let result = try await storefront.kbridge([
                "connect", "--service", "inventory", "--local-port", String(Storefront.freePort()), "--no-hosts", "--no-guard", "--",
                "sh", "-c", script, try #require(Tools.locate("kubectl")), storefront.kubeconfigPath,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("no guard (--no-guard)"), "\(result.stderr)")
            #expect(!result.stdout.contains("kbridge-session-"), "no Lease while connected: \(result.stdout)")
            try await storefront.expectUnchanged(since: clusterBefore)
        }
    }
}

/// A local process that holds a port, as a developer's forgotten server would.
struct LocalHolder {
    let pid: pid_t

    static func start(port: Int, address: String = "127.0.0.1") async throws -> LocalHolder {
        let python = try #require(Tools.locate("python3"))
        let log = NSTemporaryDirectory() + "kbridge-holder-\(port).log"
        let pid = try ProcessSpawner.spawn(.init(executable: python, arguments: ["-m", "http.server", String(port), "--bind", address], environment: ProcessInfo.processInfo.environment, output: log))
        let holder = LocalHolder(pid: pid)
        #expect(await TestSandbox.eventually { holder.listens(on: port) }, "the holder listens on \(port)")
        return holder
    }

    func listens(on port: Int) -> Bool {
        // Read to the end: Foundation's String(contentsOfFile:) stops after a /proc file's first page.
        let table = (try? FileHandle(forReadingAtPath: "/proc/net/tcp")?.readToEnd()).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
        return table?.contains(String(format: ":%04X 00000000:0000 0A", port)) == true
    }

    var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// The restore guard on the sandbox: `kill -9` of connect at every step, for each kind of workload.
@Suite struct RestoreGuardTests {
    @Test(arguments: [WorkloadReference.Kind.deployment, .statefulSet, .pod])
    func aKilledSessionIsGivenBackByItsGuardAtEveryStep(kind: WorkloadReference.Kind) async throws {
        try await withStorefront { try await GuardScenarios.killedAtEveryStepIsGivenBackByTheGuard($0, kind: kind) }
    }

    /// A take-over whose session left no Lease (a kbridge that crashed before it had a guard, or
    /// whose guard was deleted): `clean --dry-run` names it and changes nothing, `clean` gives it
    /// back, a live session's Lease elsewhere is left alone, and a second `clean` finds nothing.
    @Test func cleanGivesBackWhatAGoneSessionLeftAndLeavesLiveOnesAlone() async throws {
        try await withStorefront { storefront in
            let client = storefront.client
            let before = try await GuardWorkloads.state(storefront, service: "api", kind: .deployment)
            let gone = SessionIdentity.generate()
            let target = try await TargetResolver(client: client).resolve(service: "api", namespace: "default", container: nil)
            _ = try await WorkloadTakeover(client: client).takeOver(target, session: gone, image: "agent:1")
            // Someone else's live session, in another namespace: its Lease is renewed.
            try await client.createRaw(.namespaces, ["metadata": ["name": "elsewhere"]])
            let live = SessionIdentity.generate()
            try await SessionGuard(client: client, session: live.id, namespace: "elsewhere").install(
                .takeover(WorkloadReference(kind: .deployment, name: "nothing", namespace: "elsewhere"), originalDigest: String(repeating: "0", count: 64)),
                image: "agent:1", ttl: .seconds(3600)
            )
            let records = NSTemporaryDirectory() + "kbridge-records-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
            let taken = try await GuardWorkloads.state(storefront, service: "api", kind: .deployment)

            let dryRun = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath, "-A", "--dry-run", "--hosts-file", try Storefront.hostsCopy().path], environment: ["TMPDIR": records])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stdout.contains("would give back session \(gone.id) in namespace \"default\": deployment \"api\""), "\(dryRun.stdout)")
            #expect(!dryRun.stdout.contains(live.id), "a live session is left alone: \(dryRun.stdout)")
            #expect(try await GuardWorkloads.state(storefront, service: "api", kind: .deployment) == taken, "a dry run changes nothing")

            let clean = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath, "-A", "--hosts-file", try Storefront.hostsCopy().path], environment: ["TMPDIR": records])
            #expect(clean.status == 0, "\(clean.stderr)")
            #expect(clean.stdout.contains("gave back session \(gone.id)"), "\(clean.stdout)")
            #expect(try await GuardWorkloads.state(storefront, service: "api", kind: .deployment) == before)
            #expect(try await client.getRaw(.leases, name: ClusterNames.session(live.id), namespace: "elsewhere")["spec"] != nil)

            let again = try await Tools.run(Tools.kbridge, ["clean", "--kubeconfig", storefront.kubeconfigPath, "-A", "--hosts-file", try Storefront.hostsCopy().path], environment: ["TMPDIR": records])
            #expect(again.stdout.contains("nothing to clean"), "\(again.stdout)\(again.stderr)")
        }
    }

    @Test func aSessionThatWakesAfterItsGuardActedSaysSoAndEnds() async throws {
        try await withStorefront(GuardScenarios.aSessionThatWakesAfterItsGuardActedSaysSoAndEnds)
    }

    @Test(arguments: GuardScenarios.Deleted.allCases)
    func aGuardDeletedUnderTheSessionIsInstalledAgain(deleting deleted: GuardScenarios.Deleted) async throws {
        try await withStorefront { try await GuardScenarios.aGuardDeletedUnderTheSessionIsInstalledAgain($0, deleting: deleted) }
    }
}
