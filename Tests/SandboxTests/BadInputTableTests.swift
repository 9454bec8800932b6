import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// Bad input of every kind, as a table: each row gets one message a person can act on, a
/// non-zero exit, and leaves the cluster, the hosts file and this machine's session records as
/// they were.
@Suite struct BadInputTableTests {
    struct Row: Sendable, CustomStringConvertible {
        var name: String
        /// `kbridge` arguments.
        var arguments: [String]
        /// What the message must say.
        var says: String
        var environment: [String: String] = [:]
        var description: String { name }
    }

    /// Files and clusters the rows point at, made once per run.
    struct Fixtures {
        let kubeconfig: String
        let namespace: String
        let scratch: String
        let hosts: String
        let viewer: String

        func file(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
            let path = scratch + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, mode_t(mode))
            return path
        }
    }

    static func rows(_ fixtures: Fixtures, heldPort: Int, holderPid: Int32) throws -> [Row] {
        let k = ["--kubeconfig", fixtures.kubeconfig]
        func connect(_ service: String = "api", _ more: [String] = [], port: Int? = nil, hostsFile: String? = nil) -> [String] {
            ["connect"] + k + ["--service", service, "--local-port", String(port ?? Storefront.freePort()), "--hosts-file", hostsFile ?? fixtures.hosts] + more
        }
        var configs = 0
        /// `connect` to web with a config file holding `text`; the message starts with the file's path.
        func config(_ name: String, _ text: String, extension: String = "yaml", says: String) throws -> Row {
            configs += 1
            let file = try fixtures.file("config-\(configs).\(`extension`)", text)
            return Row(name: name, arguments: connect("web", ["--config", file]), says: file + says)
        }
        let directory = fixtures.scratch + "/a-directory"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let openRecords = fixtures.scratch + "/open-tmp"
        try FileManager.default.createDirectory(atPath: openRecords + "/kbridge-\(geteuid())", withIntermediateDirectories: true)
        chmod(openRecords + "/kbridge-\(geteuid())", 0o777)
        let unreachable = try fixtures.file("unreachable.kubeconfig", """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: x}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        let failingPlugin = try fixtures.file("plugin.kubeconfig", """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: no-such-kube-plugin}}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        return [
            // Names
            Row(name: "unknown service", arguments: connect("nope"), says: #"service "nope" not found in namespace "\#(fixtures.namespace)" (its services: api, bare, database, dns, everything, external, inventory, kubernetes, lonely, web)"#),
            Row(name: "missing namespace", arguments: connect() + ["-n", "no-such-namespace"], says: #"namespace "no-such-namespace" not found"#),
            Row(name: "service without selector", arguments: connect("bare"), says: #"service "bare" in namespace "\#(fixtures.namespace)" has no selector"#),
            Row(name: "ExternalName service", arguments: connect("external"), says: "is an ExternalName service (another name for example.com)"),
            Row(name: "service selecting no pods", arguments: connect("lonely"), says: "selects no pods (selector app=nothing)"),
            Row(name: "service selecting pods of three workloads", arguments: connect("everything"), says: "sends its traffic to pods of 3 workloads"),
            Row(name: "unknown container", arguments: connect("api", ["--container", "nope"]), says: #"has no container "nope" (its containers: api)"#),
            Row(name: "unknown command after --", arguments: connect("api", ["--", "no-such-command-xyz"]), says: "no-such-command-xyz: command not found in PATH"),
            // Flags
            Row(name: "missing --service", arguments: ["connect"] + k + ["--local-port", "5000"], says: "Missing expected argument '--service <service>'"),
            Row(name: "missing --local-port", arguments: ["connect"] + k + ["--service", "api"], says: "Missing expected argument '--local-port <local-port>'"),
            Row(name: "local port 0", arguments: connect(port: 0), says: "--local-port must be between 1 and 65535"),
            Row(name: "local port 70000", arguments: connect(port: 70000), says: "--local-port must be between 1 and 65535"),
            Row(name: "local port not a number", arguments: ["connect"] + k + ["--service", "api", "--local-port", "http"], says: "The value 'http' is invalid for '--local-port <local-port>'"),
            Row(name: "unknown flag", arguments: connect() + ["--frobnicate"], says: "Unknown option '--frobnicate'"),
            Row(name: "service name with a query", arguments: connect("web?watch=1"), says: "--service must be the name of a service (lowercase letters, digits and '-', starting with a letter, at most 63 characters): got 'web?watch=1'"),
            Row(name: "empty service name", arguments: connect(""), says: "--service must be the name of a service"),
            Row(name: "service name with a slash", arguments: connect("../pods/x"), says: "--service must be the name of a service"),
            Row(name: "--service twice", arguments: connect("api", ["--service", "web"]), says: "--service is given twice: give it once"),
            Row(name: "--local-port twice", arguments: connect("api", ["--local-port=5001"]), says: "--local-port is given twice: give it once"),
            Row(name: "-n and --namespace", arguments: connect("api", ["-n", "a", "--namespace", "b"]), says: "-n is given twice: give it once"),
            Row(name: "--no-hosts with --hosts-file", arguments: connect("api", ["--no-hosts"]), says: "--no-hosts and --hosts-file contradict each other: give one"),
            Row(name: "--map of a port the container lacks", arguments: connect("api", ["--map", "9999:5009"]), says: #"container "api" has no port 9999 (its ports: 8080); check --map REMOTE:LOCAL"#),
            Row(name: "--map of one port twice", arguments: connect("api", ["--map", "8080:5001", "--map", "8080:5002"]), says: "--map gives the container's port 8080 twice (to 5001 and 5002)"),
            Row(name: "env file in /proc", arguments: connect("api", ["--env-file", "/proc/kbridge-env"]), says: "--env-file: cannot write /proc/kbridge-env"),
            Row(name: "timeout 0", arguments: connect("api", ["--timeout", "0"]), says: "--timeout must be positive"),
            Row(name: "--map without a local port", arguments: connect("api", ["--map", "8080"]), says: "The value '8080' is invalid for '--map <map>'"),
            Row(name: "--map to port 0", arguments: connect("api", ["--map", "8080:0"]), says: "The value '8080:0' is invalid for '--map <map>'"),
            Row(name: "bad loopback range", arguments: connect("api", ["--loopback-range", "10.0.0.0/8"]), says: "loopback"),
            Row(name: "status output format", arguments: ["status", "-o", "yaml"], says: "The value 'yaml' is invalid for '-o <output>'"),
            // Files
            Row(name: "hosts file is a directory", arguments: connect("api", hostsFile: directory), says: "cannot use \(directory) as the hosts file: it is a directory"),
            Row(name: "hosts file missing", arguments: connect("api", hostsFile: fixtures.scratch + "/no-hosts"), says: "as the hosts file: it does not exist"),
            Row(name: "env file in a missing folder", arguments: connect("api", ["--env-file", "/no-such-folder/app.env"]), says: "--env-file: cannot write /no-such-folder/app.env: the folder /no-such-folder does not exist"),
            Row(name: "env file is a directory", arguments: connect("api", ["--env-file", directory]), says: "it is a directory"),
            Row(name: "private folder open to others", arguments: connect(), says: "has mode 777, open to others", environment: ["TMPDIR": openRecords]),
            Row(name: "kubeconfig not YAML", arguments: ["connect", "--kubeconfig", try fixtures.file("garbage.kubeconfig", "this: [is not\n a kubeconfig"), "--service", "api", "--local-port", "5000"], says: "is not valid: line 3, column 1"),
            Row(name: "kubeconfig of the wrong shape", arguments: ["list", "services", "--kubeconfig", try fixtures.file("shape.kubeconfig", "apiVersion: v1\nkind: Config\nclusters: 5\n")], says: "is not valid: field clusters: expected a list"),
            Row(name: "kubeconfig missing", arguments: ["connect", "--kubeconfig", fixtures.scratch + "/none.kubeconfig", "--service", "api", "--local-port", "5000"], says: "none.kubeconfig does not exist"),
            Row(name: "unknown context", arguments: connect() + ["--context", "nope"], says: #"context "nope""#),
            Row(name: "exec plugin missing", arguments: ["connect", "--kubeconfig", failingPlugin, "--service", "api", "--local-port", "5000"], says: #"exec credential plugin "no-such-kube-plugin" not found"#),
            // Targets without a Service
            Row(name: "unknown pod", arguments: ["connect"] + k + ["--pod", "nope", "--hosts-file", fixtures.hosts], says: #"pod "nope" not found in namespace "\#(fixtures.namespace)""#),
            Row(name: "unknown deployment", arguments: ["connect"] + k + ["--workload", "deployment/nope", "--hosts-file", fixtures.hosts], says: #"deployment "nope" not found in namespace "\#(fixtures.namespace)" (its deployments: api, inventory, web)"#),
            Row(name: "workload of another kind", arguments: ["connect"] + k + ["--workload", "job/x"], says: "The value 'job/x' is invalid for '--workload <workload>'"),
            Row(name: "--pod with --local-port", arguments: ["connect"] + k + ["--pod", "x", "--local-port", "5000"], says: "--local-port and --map are for --service: a pod or workload that no Service fronts gets no traffic"),
            Row(name: "--service and --pod", arguments: connect("api", ["--pod", "x"]), says: "--service and --pod each name what to connect: give one"),
            // KubernetesLocalProcessConfig.yaml: its form, then what it says of the cluster
            try config("config: not YAML", "version: 0.1\nenv:\n  - name: A\n   value: x\n", says: ":4:4: not valid YAML"),
            try config("config: no version", "env: []\n", says: ":1:1: the required key \"version\" is missing"),
            try config("config: newer version", "version: 0.3\n", says: ":1:10: version 0.3 is newer than this kbridge reads (0.1)"),
            try config("config: unknown key", "version: 0.1\nvolumes: []\n", says: ":2:1: unknown key \"volumes\""),
            try config("config: unknown token", "version: 0.1\nenv:\n  - name: A\n    value: x-$(secrets:db)\n", says: ":4:14: $(secrets:db): unknown token kind \"secrets\""),
            try config("config: token never closed", "version: 0.1\nenv:\n  - name: A\n    value: $(services:web\n", says: ":4:12: \"$(\" opens a token that never closes"),
            try config("config: port not a number", "version: 0.1\nenv:\n  - name: A\n    value: $(services:web:http)\n", says: ":4:12: $(services:web:http): \"http\" is not a port"),
            try config("config: value not text", "version: 0.1\nenv:\n  - name: A\n    value: {x: 1}\n", says: ":4:12: env value must be text"),
            try config("config: entry without a value", "version: 0.1\nenv:\n  - name: A\n", says: ":3:5: this env entry has no \"value\""),
            try config("config: volume the container lacks", "version: 0.1\nenv:\n  - name: A\n    value: $(volumeMounts:secrets-*)\n", says: #":4:12: no volume of container "web" matches "secrets-*" (its volumes: config"#),
            try config("config: missing service", "version: 0.1\nenv:\n  - name: A\n    value: $(services:nope.\(fixtures.namespace))\n", says: #":4:12: $(services:nope.\#(fixtures.namespace)): service "nope" not found in namespace "\#(fixtures.namespace)""#),
            try config("config: port the service lacks", "version: 0.1\nenv:\n  - name: A\n    value: http://$(services:inventory:9999)\n", says: #":4:19: $(services:inventory): service "inventory" has no port 9999 (its ports: 8080)"#),
            try config("config: localPath taken", "version: 0.1\nvolumeMounts:\n  - name: config\n    localPath: \(directory)\n", says: ":3:11: localPath \(directory) exists"),
            try config("azds-local.env: unknown token", "A=1\nB=${secrets.db}\n", extension: "env", says: ":2:3: ${secrets.db} is not a token"),
            // Cluster
            Row(name: "cluster unreachable", arguments: ["connect", "--kubeconfig", unreachable, "--service", "api", "--local-port", "5000"], says: "127.0.0.1:1"),
            Row(name: "RBAC: view only", arguments: ["connect", "--kubeconfig", fixtures.viewer, "--service", "api", "--local-port", String(Storefront.freePort()), "--no-hosts"], says: "forbidden"),
            Row(name: "agent image not pullable: the guard cannot start", arguments: connect("api", ["--agent-image", "example.com/no-such/agent:0", "--timeout", "60"]), says: "is not running: ErrImagePull"),
            Row(name: "agent image not pullable, no guard", arguments: connect("api", ["--agent-image", "example.com/no-such/agent:0", "--timeout", "60", "--no-guard"]), says: "cannot start: ErrImagePull"),
            // Ports
            Row(name: "local port held when a command needs it", arguments: connect("api", ["--", "true"], port: heldPort), says: "port \(heldPort) is held by pid \(holderPid)"),
            // Sessions
            // Isolation
            Row(name: "--route-as without --isolate", arguments: connect("api", ["--route-as", "alice"]), says: "--route-as names the requests of an isolated session: add --isolate"),
            Row(name: "routing name not a DNS label", arguments: connect("api", ["--isolate", "--route-as", "Alice_1"]), says: #"--route-as: "Alice_1" is not a DNS label"#),
            Row(name: "routing name too long", arguments: connect("api", ["--isolate", "--route-as", String(repeating: "a", count: 64)]), says: "is longer than 63 characters"),
            Row(name: "--isolate of a service that speaks no HTTP", arguments: connect("database", ["--isolate"]), says: #"service "database" does not speak plain HTTP on any port (5432 (tcp))"#),
            Row(name: "--isolate of a service with a UDP port", arguments: connect("dns", ["--isolate"]), says: #"service "dns" has UDP port 53: header routing carries TCP only"#),
            Row(name: "--isolate of a pod", arguments: ["connect"] + k + ["--pod", "nope", "--isolate"], says: "--isolate routes the requests of a service to this machine: name it with --service"),
            Row(name: "disconnect without a session", arguments: ["disconnect", "--session", "00000000"], says: "no kbridge session with id 00000000 on this machine"),
            Row(name: "disconnect an unknown service", arguments: ["disconnect", "--service", "nope"] + k, says: #"service "nope" not found"#),
            Row(name: "list services in a missing namespace", arguments: ["list", "services", "-n", "no-such-namespace"] + k, says: #"namespace "no-such-namespace" not found"#),
        ]
    }

    @Test func everyBadInputGetsAMessageANonZeroExitAndChangesNothing() async throws {
        try await withStorefront { storefront in
            let client = storefront.client
            _ = try await client.createRaw(.services, ["metadata": ["name": "bare"], "spec": ["ports": [["port": 80]]]])
            _ = try await client.createRaw(.services, ["metadata": ["name": "external"], "spec": ["type": "ExternalName", "externalName": "example.com"]])
            _ = try await client.createRaw(.services, ["metadata": ["name": "lonely"], "spec": ["selector": ["app": "nothing"], "ports": [["port": 80]]]])
            _ = try await client.createRaw(.services, ["metadata": ["name": "everything"], "spec": ["selector": ["app": "storefront"], "ports": [["port": 8080]]]])
            let inventoryPods: JSONValue = ["app": "storefront", "component": "inventory"]
            _ = try await client.createRaw(.services, ["metadata": ["name": "database"], "spec": ["selector": inventoryPods, "ports": [["name": "tcp-postgres", "port": 5432, "targetPort": 8080]]]])
            _ = try await client.createRaw(.services, ["metadata": ["name": "dns"], "spec": ["selector": inventoryPods, "ports": [["port": 8080], ["name": "dns", "port": 53, "targetPort": 8080, "protocol": "UDP"]]]])
            let scratch = NSTemporaryDirectory() + "kbridge-bad-input-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let hosts = try Storefront.hostsCopy()
            let viewer = try await ConnectCommandTests.namespaceScopedKubeconfig(storefront, role: "view", namespace: storefront.namespace)
            let fixtures = Fixtures(kubeconfig: storefront.kubeconfigPath, namespace: storefront.namespace, scratch: scratch, hosts: hosts.path, viewer: viewer)
            let heldPort = Storefront.freePort()
            let holder = try await LocalHolder.start(port: heldPort)
            defer { holder.stop() }
            let records = scratch + "/records"
            try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)

            let rows = try Self.rows(fixtures, heldPort: heldPort, holderPid: holder.pid)
            #expect(rows.count >= 49)
            let hostsBefore = try Data(contentsOf: hosts)
            let clusterBefore = try await storefront.clusterState()
            for row in rows {
                var environment = ["TMPDIR": records]
                environment.merge(row.environment) { $1 }
                let result = try await Tools.run(Tools.kbridge, row.arguments, timeout: .seconds(120), environment: environment)
                let message = result.stderr + result.stdout
                #expect(result.status != 0, "\(row): exit code \(result.status)")
                #expect(message.contains(row.says), "\(row): \(message)")
                #expect(message.split(separator: "\n").filter { $0.hasPrefix("error:") || $0.hasPrefix("Error:") }.count == 1, "\(row): one error line: \(message)")
                #expect(try Data(contentsOf: hosts) == hostsBefore, "\(row): the hosts file is unchanged")
                try await storefront.expectUnchanged(since: clusterBefore)
                let status = try await Tools.run(Tools.kbridge, ["status"], environment: ["TMPDIR": records])
                #expect(status.stdout.contains("no kbridge sessions"), "\(row): no session record left: \(status.stdout)")
            }
            #expect(holder.isRunning, "the port's holder was left alone")
        }
    }
}
