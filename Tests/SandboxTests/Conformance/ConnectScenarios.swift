import BridgeSession
import BridgeTunnel
import Foundation
import KubernetesClient
import SandboxTesting
import Testing
import TunnelTesting

/// The connect story and its edge cases as scenarios over any cluster with the storefront
/// deployed: the conformance suites run them on the real control plane and on the real node.
enum ConnectScenarios {
    static func theFrontIsAnsweredByTheLocalProcessWhichReachesTheBackendByName(_ storefront: Storefront) async throws {
        let hosts = try Storefront.hostsCopy()
        let hostsBefore = try Data(contentsOf: hosts)
        let clusterBefore = try await storefront.clusterState()
        let port = Storefront.freePort()
        var answer: JSONValue?
        let result = try await ConnectCommandTests.whileConnected(storefront, [
            "--service", "api", "--local-port", String(port), "--hosts-file", hosts.path, "--",
            "unshare", "--mount", "sh", "-c",
            #"mount --bind "$0" /etc/hosts && INVENTORY_URL=http://inventory:8080 API_VERSION=local PORT=$1 exec python3 "$2""#,
            hosts.path, String(port), ConnectCommandTests.api,
        ]) {
            answer = await ConnectCommandTests.localAnswer(storefront)
            let block = try String(contentsOf: hosts, encoding: .utf8)
            let ns = storefront.namespace
            #expect(block.contains("inventory inventory.\(ns) inventory.\(ns).svc inventory.\(ns).svc.cluster.local"), "\(block)")
        }
        #expect(answer?[path: "api", "version"]?.stringValue == "local", "\(answer?.jsonString ?? "no answer")\n\(result.stderr)")
        #expect(answer?[path: "api", "inventory", "service"]?.stringValue == "inventory", "reached by name with the Secret's token: \(answer?.jsonString ?? "")")
        #expect(answer?[path: "api", "inventory", "items"]?.arrayValue?.count == 2)
        #expect(answer?[path: "api", "currency"]?.stringValue == "EUR", "the ConfigMap's value")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: hosts) == hostsBefore, "the hosts file is byte-identical")
        try await storefront.expectUnchanged(since: clusterBefore)
        // The agent served every connection without dying (socket options a pod allows, listening where the kubelet dials).
        #expect(!result.stderr.contains("lost the connection"), "\(result.stderr)")
    }

    static func withoutAHostsFileTheEnvironmentCarriesSecretsConfigMapsAndServiceVariables(_ storefront: Storefront) async throws {
        let clusterBefore = try await storefront.clusterState()
        let port = Storefront.freePort()
        let envFile = NSTemporaryDirectory() + "kbridge-env-\(UUID().uuidString.prefix(8))"
        var answer: JSONValue?
        let result = try await ConnectCommandTests.whileConnected(storefront, [
            "--service", "api", "--local-port", String(port), "--no-hosts", "--env-file", envFile, "--",
            "sh", "-c", #"API_VERSION=local PORT=$0 exec python3 "$1""#, String(port), ConnectCommandTests.api,
        ]) {
            answer = await ConnectCommandTests.localAnswer(storefront)
        }
        #expect(answer?[path: "api", "version"]?.stringValue == "local", "\(answer?.jsonString ?? "no answer")\n\(result.stderr)")
        #expect(answer?[path: "api", "inventory", "items"]?.arrayValue?.count == 2, "the local api reached the inventory through INVENTORY_URL: \(answer?.jsonString ?? "")")
        #expect(answer?[path: "api", "currency"]?.stringValue == "EUR")
        let environment = try String(contentsOfFile: envFile, encoding: .utf8)
        #expect(environment.contains(#"INVENTORY_TOKEN='s3cr3t-inventory-token'"#), "the Secret's value is in the env file")
        #expect(environment.contains(#"CATALOG_CURRENCY='EUR'"#), "the ConfigMap's value is in the env file")
        #expect(environment.contains(#"INVENTORY_SERVICE_HOST='127.1."#), "service variables point at local listeners")
        #expect(environment.contains(#"GRPC_DNS_RESOLVER='native'"#))
        #expect(result.status == 0, "\(result.stderr)")
        try await storefront.expectUnchanged(since: clusterBefore)
    }

    static func statusListsTheSessionAndDisconnectFromAnotherTerminalGivesEverythingBack(_ storefront: Storefront) async throws {
        let clusterBefore = try await storefront.clusterState()
        let session = try await BackgroundSession.connect(storefront, service: "inventory")
        let disconnect = try await session.kbridge(["disconnect", "--service", "inventory"])
        #expect(disconnect.status == 0, "\(disconnect.stderr)")
        #expect(disconnect.stdout.contains("is back as it was"), "\(disconnect.stdout)")
        let result = try await session.connect.value
        #expect(result.status == 0, "the session ended normally: \(result.stderr)")
        try await storefront.expectUnchanged(since: clusterBefore)
        let after = try await session.kbridge(["status"])
        #expect(after.stdout.contains("no kbridge sessions"), "\(after.stdout)")
    }

    /// Someone scales the redirected workload during the session: it is held at one replica (one
    /// agent pod carries the tunnel), the CLI says so, and the give-back gives the count asked for.
    static func aScaleDuringTheSessionIsHeldAtOneAndGivenBack(_ storefront: Storefront) async throws {
        let session = try await BackgroundSession.connect(storefront, service: "inventory")
        _ = try await storefront.client.patchRaw(.deployments, name: "inventory", .merge(["spec": ["replicas": 3]]))
        var seen: JSONValue?
        let held = await TestSandbox.eventually(timeout: .seconds(60)) {
            seen = try await storefront.client.getRaw(.deployments, name: "inventory")
            return seen?[path: "spec", "replicas"] == 1 && seen?[path: "metadata", "annotations", ClusterNames.requestedReplicasAnnotation] == "3"
        }
        #expect(held, "held at one, the count asked for remembered: \(seen?[path: "spec"]?.jsonString ?? "")")
        let disconnect = try await session.kbridge(["disconnect", "--service", "inventory"])
        #expect(disconnect.status == 0, "\(disconnect.stderr)")
        let result = try await session.connect.value
        #expect(result.stderr.contains("was scaled to 3 during the session: held at 1"), "the CLI said so: \(result.stderr)")
        #expect(result.stderr.contains("replicas set to 3 during the session"), "the give-back names it: \(result.stderr)")
        let after = try await storefront.client.getRaw(.deployments, name: "inventory")
        #expect(after[path: "spec", "replicas"] == 3, "given back with the count asked for")
        #expect(after[path: "metadata", "annotations", ClusterNames.requestedReplicasAnnotation] == nil)
    }

    static func servicesListTheirReadyPodsThoughTheRealServerRefusesLoopbackEndpoints(_ storefront: Storefront) async throws {
        // Case 1: the real endpoints controller cannot write the process kubelet's loopback pod IPs.
        let webPods = try await storefront.client.list(Pod.self, options: ListOptions(labelSelector: "component=web"))
        if webPods.allSatisfy({ $0.status?.podIP?.hasPrefix("127.") == true }) {
            let endpoints = try? await storefront.client.get(Endpoints.self, name: "web")
            #expect((endpoints?.subsets ?? []).allSatisfy { ($0.addresses ?? []).isEmpty }, "Endpoints refuse loopback pod IPs on a real server")
        }
        let list = try await storefront.kbridge(["list", "services"])
        #expect(list.status == 0, "\(list.stderr)")
        let web = list.stdout.split(separator: "\n").first { $0.hasPrefix("web ") }
        #expect(web?.hasSuffix(" 1") == true, "read from EndpointSlices v1beta1: \(list.stdout)")
        let relayed = await TestSandbox.eventually(timeout: .seconds(60)) { await storefront.askFront()?[path: "api", "version"] == "1" }
        #expect(relayed, "the kubelet's kube-proxy relays through EndpointSlices")
    }

    static func aPodResolvesAServiceOfAnotherNamespaceByName(_ storefront: Storefront) async throws {
        // Case 3: cluster DNS with the kubelet joined to a real API server.
        let admin = storefront.client
        // The image the storefront's web runs in, whatever the node makes of it.
        let image = try #require(try await admin.get(Deployment.self, name: "web").spec.template.spec.containers.first?.image)
        let other = storefront.namespace + "-caller"
        try await admin.createRaw(.namespaces, ["metadata": ["name": .string(other)]])
        let caller: JSONValue = [
            "metadata": ["name": "caller"],
            "spec": ["containers": [[
                "name": "caller", "image": .string(image), "command": ["/usr/bin/python3", "-c", .string(Self.caller(storefront.namespace))],
            ]]],
        ]
        // A new namespace's service account gets its token a moment later; until then 1.20 refuses pods.
        let created = await TestSandbox.eventually(timeout: .seconds(30)) { (try? await admin.createRaw(.pods, caller, namespace: other)) != nil }
        try #require(created)
        var logs = ""
        let answered = await TestSandbox.eventually(timeout: .seconds(90)) {
            logs = try await admin.logs(pod: "caller", namespace: other)
            return logs.contains("answered")
        }
        #expect(answered, "a pod of another namespace called inventory.\(storefront.namespace) by name: \(logs)")
        await RealCluster.deleteNamespace(other, admin: admin)
    }

    /// Apps often define POD_IP themselves (downward API, or by hand); the agent keeps the app's
    /// environment and must not take it for where to listen (case 4).
    static func anAppThatDefinesItsOwnPodIPStillHasItsAgentReached(_ storefront: Storefront, podIP: JSONValue) async throws {
        try await storefront.client.patchRaw(.deployments, name: "api", .strategicMerge([
            "spec": ["template": ["spec": ["containers": [["name": "api", "env": [podIP]]]]]],
        ]))
        #expect(await TestSandbox.eventually(timeout: .seconds(90)) {
            let pods = try await storefront.client.list(Pod.self, options: ListOptions(labelSelector: "component=api"))
            return pods.count == 1 && pods.allSatisfy { $0.isReady && $0.spec.containers.first?.env?.contains { $0.name == "POD_IP" } == true }
        })
        let clusterBefore = try await storefront.clusterState()
        let port = Storefront.freePort()
        var answer: JSONValue?
        let result = try await ConnectCommandTests.whileConnected(storefront, [
            "--service", "api", "--local-port", String(port), "--no-hosts", "--",
            "sh", "-c", #"API_VERSION=local PORT=$0 exec python3 "$1""#, String(port), ConnectCommandTests.api,
        ]) {
            answer = await ConnectCommandTests.localAnswer(storefront)
        }
        #expect(answer?[path: "api", "version"]?.stringValue == "local", "\(answer?.jsonString ?? "no answer")\n\(result.stderr)")
        try await storefront.expectUnchanged(since: clusterBefore)
    }

    static func badInputIsRefusedWithAMessageAndNothingChanged(_ storefront: Storefront) async throws {
        let unknown = try await ConnectCommandTests.refused(storefront, ["--service", "nope", "--local-port", String(Storefront.freePort())])
        #expect(unknown.stderr.contains(#"service "nope" not found in namespace "\#(storefront.namespace)" (its services: api, inventory, web)"#), "\(unknown.stderr)")

        let missing = try await ConnectCommandTests.refused(storefront, ["-n", "no-such-namespace", "--service", "api", "--local-port", String(Storefront.freePort())])
        #expect(missing.stderr.contains(#"namespace "no-such-namespace" not found"#), "\(missing.stderr)")

        let port = Storefront.freePort()
        let holder = try await LocalHolder.start(port: port)
        defer { holder.stop() }
        let held = try await ConnectCommandTests.refused(storefront, ["--service", "api", "--local-port", String(port), "--", "true"])
        #expect(held.stderr.contains("port \(port) is held by pid \(holder.pid) ("), "\(held.stderr)")

        let image = try await ConnectCommandTests.refused(storefront, [
            "--service", "api", "--local-port", String(Storefront.freePort()), "--agent-image", "example.com/no-such/agent:0", "--timeout", "60",
        ])
        // The guard runs the agent image too: it cannot start, and connect stops before the take-over.
        #expect(image.stderr.contains("guard") && image.stderr.contains("is not running: ErrImagePull"), "\(image.stderr)")
        #expect(image.stderr.contains("Nothing was changed") && !image.stderr.contains("taking over"), "\(image.stderr)")

        // Without the guard the agent pod is what cannot start: the workload is given back.
        let unguarded = try await ConnectCommandTests.refused(storefront, [
            "--service", "api", "--local-port", String(Storefront.freePort()), "--agent-image", "example.com/no-such/agent:0", "--timeout", "60", "--no-guard",
        ])
        #expect(unguarded.stderr.contains("cannot start: ErrImagePull"), "\(unguarded.stderr)")
        #expect(unguarded.stderr.contains("the workload was restored"), "\(unguarded.stderr)")
    }

    /// A developer bound in one namespace: `admin` with the shipped `kbridge-user` Role (Leases)
    /// connects; `edit` (no Roles, no Leases) and `view` are refused before anything changes, the
    /// message naming what is missing (case 6, and the guard's minimum rights).
    static func aNamespaceScopedUserGetsAnswersWithoutClusterScopedRights(_ storefront: Storefront, role: String) async throws {
        let kubeconfig = try await ConnectCommandTests.namespaceScopedKubeconfig(
            storefront, role: role, namespace: storefront.namespace, withKbridgeRole: role == "admin"
        )
        let list = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", kubeconfig, "-n", "nope"])
        #expect(list.status == 1)
        #expect(list.stderr.contains(#"cannot list services in namespace "nope": either the namespace does not exist or you have no access to it there"#), "\(list.stderr)")
        let own = try await Tools.run(Tools.kbridge, ["list", "services", "--kubeconfig", kubeconfig])
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.stdout.split(separator: "\n").first { $0.hasPrefix("web ") }?.hasSuffix(" 1") == true, "ready pods without EndpointSlices: \(own.stdout)")
        let clusterBefore = try await storefront.clusterState()
        let connect = try await Tools.run(Tools.kbridge, [
            "connect", "--kubeconfig", kubeconfig, "--service", "inventory", "--local-port", String(Storefront.freePort()), "--no-hosts", "--", "true",
        ], timeout: .seconds(180))
        switch role {
        case "admin":
            #expect(connect.status == 0, "\(connect.stderr)")
            #expect(!connect.stderr.contains("still lists other pods"), "the wait for the agent read ready pods: \(connect.stderr)")
        case "edit":
            // 1.20's edit (and admin) role has no Leases: the guard cannot be installed, so nothing starts.
            #expect(connect.status == 1)
            #expect(connect.stderr.contains("cannot create the session's Lease"), "\(connect.stderr)")
            #expect(connect.stderr.contains("deploy/rbac/kbridge-user.yaml"), "\(connect.stderr)")
            #expect(connect.stderr.contains("Nothing was changed"), "\(connect.stderr)")
        default:
            #expect(connect.status == 1)
            #expect(connect.stderr.contains("forbidden: user \"system:serviceaccount:\(storefront.namespace):developer-view\""), "\(connect.stderr)")
        }
        try await storefront.expectUnchanged(since: clusterBefore)
    }

    /// Anyone on the pod network can reach the agent's control and carrier ports. Without the
    /// session secret (nothing, garbage, a wrong secret, a recorded exchange replayed) they get
    /// nothing but the agent's challenge, the agent logs them (not the kubelet's probes), and the
    /// session keeps answering the cluster's callers with the local process.
    static func foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks(_ storefront: Storefront) async throws {
        let port = Storefront.freePort()
        var attempts = 0
        let result = try await ConnectCommandTests.whileConnected(storefront, [
            "--service", "api", "--local-port", String(port), "--no-hosts", "--",
            "sh", "-c", #"API_VERSION=local PORT=$0 exec python3 "$1""#, String(port), ConnectCommandTests.api,
        ]) {
            #expect(await ConnectCommandTests.localAnswer(storefront)?[path: "api", "version"]?.stringValue == "local")
            let agent = try #require(try await storefront.client.list(Pod.self, options: ListOptions(labelSelector: "kbridge.dev/session")).first)
            let podIP = try #require(agent.status?.podIP)
            let session = try #require(agent.metadata.labels?["kbridge.dev/session"])
            // What an attacker may have recorded: a genuine exchange on the control port (it carries no traffic of its own).
            let secret = try #require(try await storefront.client.getRaw(.secrets, name: "kbridge-session-\(session)")[path: "data", "token"]?.stringValue)
            let decoded = try #require(Data(base64Encoded: secret).flatMap { String(data: $0, encoding: .utf8) })
            let recorder = try await RecordingRelay.start(host: podIP, port: 7300)
            let genuine = try await PendingCarrier.connect(host: "127.0.0.1", port: recorder.port, purpose: .control, configuration: TunnelConfiguration(secret: decoded)).dialer()
            await genuine.close()
            let recorded = recorder.sentToAgent()

            for agentPort in [7300, 7301] {
                for bytes in [Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), recorded] {
                    let received = try await RawPeer.exchange(host: podIP, port: agentPort, sending: bytes)
                    #expect(received.count == 40, "only the challenge: \(received.count) bytes")
                    attempts += 1
                }
                let wrong = try await PendingCarrier.connect(host: podIP, port: agentPort, purpose: agentPort == 7300 ? .control : .inbound, configuration: TunnelConfiguration(secret: "guessed"))
                await #expect(throws: TunnelHandshakeError.self) { _ = try await wrong.dialer() }
                attempts += 1
            }
            let answer = await storefront.askFront()
            #expect(answer?[path: "api", "version"]?.stringValue == "local", "the session still works: \(answer?.jsonString ?? "no answer")")
            let log = try await storefront.client.logs(pod: agent.metadata.name ?? "")
            let refusals = log.split(separator: "\n").filter { $0.contains("refused a connection") }
            #expect(refusals.count == attempts, "each foreign attempt is logged, the kubelet's probes are not:\n\(log)")
        }
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Without a KubernetesLocalProcessConfig.yaml: the local copy of web reads the pod's mounted
    /// ConfigMap file (its `GREETING_FILE` points at the downloaded copy) and the service-account
    /// token under `KBRIDGE_ROOT`, and calls `rates.<other namespace>` by name; the files are gone
    /// once the session ends.
    static func theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName(_ storefront: Storefront) async throws {
        let admin = storefront.client
        let (other, _) = try await deployRates(storefront)
        let clusterBefore = try await storefront.clusterState()
        let hosts = try Storefront.hostsCopy()
        let hostsBefore = try Data(contentsOf: hosts)
        let result = try await storefront.kbridge([
            "connect", "--service", "web", "--local-port", String(Storefront.freePort()), "--hosts-file", hosts.path, "--",
            "unshare", "--mount", "sh", "-c", #"mount --bind "$0" /etc/hosts && exec python3 -c "$1" "$2""#,
            hosts.path, Self.filesAndNamesReader, "http://rates.\(other):9000/",
        ])
        await RealCluster.deleteNamespace(other, admin: admin)
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("RESULT ") }, "\(result.stdout)\n\(result.stderr)")
        let seen = try JSONValue.parse(Data(line.dropFirst("RESULT ".count).utf8))
        let root = try #require(seen["root"]?.stringValue, "KBRIDGE_ROOT is set: \(seen.jsonString)")
        #expect(seen["greetingFile"]?.stringValue == root + "/etc/storefront/greeting.txt", "GREETING_FILE points at the copy: \(seen.jsonString)")
        #expect(seen["greeting"]?.stringValue == "Welcome to the storefront!", "\(seen.jsonString)")
        #expect((seen["tokenLength"]?.intValue ?? 0) > 20, "the service-account token was downloaded: \(seen.jsonString)")
        #expect(seen["tokenMode"]?.stringValue?.hasSuffix("00") == true, "only this user may read it: \(seen.jsonString)")
        #expect(seen["containerRoot"] == .null, "the sandbox's CONTAINER_ROOT is the agent's, not the app's")
        #expect(seen[path: "rates", "service"]?.stringValue == "rates", "rates.\(other) answered by name: \(seen.jsonString)\n\(result.stderr)")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root), "the pod's files are removed at the end")
        #expect(try Data(contentsOf: hosts) == hostsBefore, "the hosts file is byte-identical")
        try await storefront.expectUnchanged(since: clusterBefore)
    }

    /// The namespace `<storefront>-shared` with a pod `rates` (`ratesServer`) behind a service
    /// `rates` on port 9000; returns the namespace and the pod's IP once it runs.
    static func deployRates(_ storefront: Storefront) async throws -> (namespace: String, podIP: String) {
        let admin = storefront.client
        let image = try #require(try await admin.get(Deployment.self, name: "web").spec.template.spec.containers.first?.image)
        let other = storefront.namespace + "-shared"
        try await admin.createRaw(.namespaces, ["metadata": ["name": .string(other)]])
        let rates: JSONValue = [
            "metadata": ["name": "rates", "labels": ["app": "rates"]],
            "spec": ["containers": [[
                "name": "rates", "image": .string(image), "command": ["/usr/bin/python3", "-c", .string(Self.ratesServer)],
                "ports": [["containerPort": 9000]],
            ]]],
        ]
        // A new namespace's service account gets its token a moment later; until then 1.20 refuses pods.
        let created = await TestSandbox.eventually(timeout: .seconds(30)) { (try? await admin.createRaw(.pods, rates, namespace: other)) != nil }
        try #require(created)
        try await admin.createRaw(.services, [
            "metadata": ["name": "rates"], "spec": ["selector": ["app": "rates"], "ports": [["port": 9000, "targetPort": 9000]]],
        ], namespace: other)
        var podIP = ""
        let running = await TestSandbox.eventually(timeout: .seconds(90)) {
            let pod = try await admin.get(Pod.self, name: "rates", namespace: other)
            podIP = pod.status?.podIP ?? ""
            return pod.isReady && !podIP.isEmpty
        }
        try #require(running, "the rates pod runs")
        return (other, podIP)
    }

    /// With a KubernetesLocalProcessConfig.yaml using every token kind and a volume wildcard: the
    /// local copy of web reads the ConfigMap file through `$(volumeMounts:config)`, the
    /// service-account token through a wildcard volume linked at a `localPath`, calls
    /// `$(services:rates.<other>:9000)` and an external endpoint (the rates pod's own DNS name,
    /// which no hosts file of this machine knows) that the agent dials from the pod, as its log
    /// says; `$$` is a literal `$`.
    static func aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint(_ storefront: Storefront) async throws {
        let admin = storefront.client
        let (other, ratesIP) = try await deployRates(storefront)
        let web = try #require(try await admin.list(Pod.self, options: ListOptions(labelSelector: "component=web")).first)
        let tokenVolume = try #require(web.spec.containers[0].volumeMounts?.first { $0.mountPath == "/var/run/secrets/kubernetes.io/serviceaccount" }?.name)
        let dash = try #require(tokenVolume.lastIndex(of: "-"), "the token volume's name has a generated suffix: \(tokenVolume)")
        let tokenPattern = String(tokenVolume[...dash]) + "*"
        let scratch = NSTemporaryDirectory() + "kbridge-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let external = "\(ratesIP.replacingOccurrences(of: ".", with: "-")).\(other).pod.cluster.local"
        let config = scratch + "/" + LocalProcessConfig.fileName
        try """
            version: 0.1
            volumeMounts:
              - name: \(tokenPattern)
                localPath: \(scratch)/token
            env:
              - name: GREETING_DIR
                value: $(volumeMounts:config)
              - name: TOKEN_DIR
                value: $(volumeMounts:\(tokenPattern))
              - name: RATES_URL
                value: http://$(services:rates.\(other):9000):9000/
              - name: EXTERNAL_URL
                value: http://$(externalEndpoints:\(external):9000):9000/
              - name: PASSWORD
                value: pa$$word
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let clusterBefore = try await storefront.clusterState()
        let hosts = try Storefront.hostsCopy()
        let hostsBefore = try Data(contentsOf: hosts)
        let results = scratch + "/result.json"
        var seen: JSONValue = .null
        var agentLog = ""
        let result = try await ConnectCommandTests.whileConnected(storefront, [
            "--service", "web", "--local-port", String(Storefront.freePort()), "--hosts-file", hosts.path, "--config", config, "--",
            "unshare", "--mount", "sh", "-c", #"mount --bind "$0" /etc/hosts && python3 -c "$1" "$2" && exec sleep 600"#,
            hosts.path, Self.configReader, results,
        ]) {
            _ = await TestSandbox.eventually(timeout: .seconds(120)) { FileManager.default.fileExists(atPath: results) }
            seen = (try? JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: results)))) ?? .null
            let agent = try #require(try await admin.list(Pod.self, options: ListOptions(labelSelector: "component=web")).first { $0.spec.containers[0].image != web.spec.containers[0].image })
            agentLog = try await Tools.kubectl(storefront.kubeconfigPath, ["logs", "-n", storefront.namespace, agent.metadata.nameOrEmpty]).stdout
        }
        await RealCluster.deleteNamespace(other, admin: admin)
        #expect(seen["greeting"]?.stringValue == "Welcome to the storefront!", "the ConfigMap file, through $(volumeMounts:config): \(seen.jsonString)\n\(result.stderr)")
        #expect((seen["tokenLength"]?.intValue ?? 0) > 20, "the token, through the wildcard volume's localPath link: \(seen.jsonString)")
        #expect(seen["tokenDir"]?.stringValue == scratch + "/token", "$(volumeMounts:\(tokenPattern)) is its localPath: \(seen.jsonString)")
        #expect(seen[path: "rates", "service"]?.stringValue == "rates", "$(services:rates.\(other):9000): \(seen.jsonString)")
        #expect(seen["ratesURL"]?.stringValue?.hasPrefix("http://127.") == true, "a service token is its local address: \(seen.jsonString)")
        #expect(seen[path: "external", "service"]?.stringValue == "rates", "the external endpoint answered through the cluster: \(seen.jsonString)")
        #expect(seen["externalURL"]?.stringValue == "http://\(external):9000/", "an external endpoint token is its host: \(seen.jsonString)")
        #expect(seen["password"]?.stringValue == "pa$word", "$$ is a literal $")
        #expect(agentLog.contains("dialling \(external):9000"), "the agent's log says it dialled the external endpoint: \(agentLog)")
        #expect([0, 130, 143].contains(result.status), "ended by the stop, as Ctrl-C would: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/token"), "the localPath link is removed at the end")
        #expect(try Data(contentsOf: hosts) == hostsBefore, "the hosts file is byte-identical")
        try await storefront.expectUnchanged(since: clusterBefore)
    }

    /// The local process of `aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint`:
    /// writes what it found to the file named by its argument.
    static let configReader = """
        import json, os, sys, time, urllib.request
        seen = {k: os.environ.get(v) for k, v in [('tokenDir', 'TOKEN_DIR'), ('ratesURL', 'RATES_URL'), ('externalURL', 'EXTERNAL_URL'), ('password', 'PASSWORD')]}
        try:
            seen['greeting'] = open(os.environ['GREETING_DIR'] + '/greeting.txt').read().strip()
            seen['tokenLength'] = len(open(os.environ['TOKEN_DIR'] + '/token').read())
        except Exception as error:
            seen['filesError'] = str(error)
        for key, url in [('rates', os.environ.get('RATES_URL')), ('external', os.environ.get('EXTERNAL_URL'))]:
            for attempt in range(60):
                try:
                    seen[key] = json.loads(urllib.request.urlopen(url, timeout=5).read())
                    break
                except Exception as error:
                    seen[key + 'Error'] = str(error)
                    time.sleep(1)
        with open(sys.argv[1] + '.tmp', 'w') as file:
            json.dump(seen, file)
        os.rename(sys.argv[1] + '.tmp', sys.argv[1])
        """

    /// A server in another namespace: answers `{"service": "rates"}` on port 9000.
    static let ratesServer = """
        import json, os
        from http.server import BaseHTTPRequestHandler, HTTPServer
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({'service': 'rates'}).encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        HTTPServer((os.environ.get('KBRIDGE_LISTEN_ADDRESS') or '0.0.0.0', 9000), Handler).serve_forever()
        """

    /// The local process of `theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName`:
    /// prints `RESULT {json}` with what it found, then exits.
    static let filesAndNamesReader = """
        import json, os, sys, time, urllib.request
        root = os.environ.get('KBRIDGE_ROOT')
        seen = {'root': root, 'greetingFile': os.environ.get('GREETING_FILE'), 'containerRoot': os.environ.get('CONTAINER_ROOT')}
        try:
            seen['greeting'] = open(os.environ['GREETING_FILE']).read().strip()
            token = root + '/var/run/secrets/kubernetes.io/serviceaccount/token'
            seen['tokenLength'] = len(open(token).read())
            seen['tokenMode'] = oct(os.stat(token).st_mode & 0o777)
        except Exception as error:
            seen['filesError'] = str(error)
        for attempt in range(60):
            try:
                seen['rates'] = json.loads(urllib.request.urlopen(sys.argv[1], timeout=5).read())
                break
            except Exception as error:
                seen['ratesError'] = str(error)
                time.sleep(1)
        print('RESULT ' + json.dumps(seen), flush=True)
        """

    static func caller(_ namespace: String) -> String {
        """
        import time, urllib.request
        while True:
            try:
                body = urllib.request.urlopen('http://inventory.\(namespace):8080/healthz', timeout=5).read().decode()
                print('answered %s' % body, flush=True)
            except Exception as error:
                print('failed: %s' % error, flush=True)
            time.sleep(1)
        """
    }
}
