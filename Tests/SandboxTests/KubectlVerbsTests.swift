import ChildProcesses
import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The real kubectl's everyday verbs against the sandbox, with the protocols kubectl 1.32 speaks:
/// exec (`v5.channel.k8s.io`), port-forward (SPDY tunnelled in a WebSocket), and the imperative
/// verbs that build objects or drive rollouts.
@Suite struct KubectlVerbsTests {
    @Test func execRunsInTheContainerWithItsStreamsAndExitCode() async throws {
        try await withStorefront { kubectl in
            let pod = try await Self.podName(component: "inventory", kubectl)
            let failing = try await kubectl(["exec", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(failing.status == 3, "\(failing.stderr)")
            #expect(failing.stdout == "out\n")
            #expect(failing.stderr.contains("err\n") && failing.stderr.contains("command terminated with exit code 3"))

            // The container's environment and working directory, as `kubectl exec` shows them in a pod.
            let environment = try await kubectl(["exec", pod, "--", "sh", "-c", "echo $INVENTORY_SERVICE_PORT; pwd"])
            #expect(environment.status == 0, "\(environment.stderr)")
            #expect(environment.stdout.hasPrefix("8080\n"), "\(environment.stdout)")

            // stdin, then its end: `cat` sees EOF and ends.
            let kubeconfig = kubectl.kubeconfig
            let piped = try await Tools.run("/bin/sh", ["-c", "printf 'one\\ntwo\\n' | kubectl --kubeconfig \(kubeconfig) exec -i \(pod) -- cat"])
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(piped.stdout == "one\ntwo\n")

            // A megabyte up through stdin and back down through stdout.
            let bulk = try await Tools.run("/bin/sh", ["-c", "head -c 1048576 /dev/zero | kubectl --kubeconfig \(kubeconfig) exec -i \(pod) -- cat | wc -c"])
            #expect(bulk.status == 0, "\(bulk.stderr)")
            #expect(bulk.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1048576", "\(bulk.stdout)")

            // `cp` rides on exec and tar, both ways.
            let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-cp-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try "copied by kubectl\n".write(to: folder.appendingPathComponent("sent.txt"), atomically: true, encoding: .utf8)
            let remote = folder.appendingPathComponent("in-pod.txt").path
            let up = try await kubectl(["cp", folder.appendingPathComponent("sent.txt").path, "\(pod):\(remote)"])
            #expect(up.status == 0, "\(up.stderr)")
            let read = try await kubectl(["exec", pod, "--", "cat", remote])
            #expect(read.stdout == "copied by kubectl\n", "\(read.stdout) \(read.stderr)")
            let down = try await kubectl(["cp", "\(pod):\(remote)", folder.appendingPathComponent("back.txt").path])
            #expect(down.status == 0, "\(down.stderr)")
            #expect((try? String(contentsOf: folder.appendingPathComponent("back.txt"), encoding: .utf8)) == "copied by kubectl\n")

            // `-t` from a terminal (`onTerminal` gives kubectl one): the command runs on a terminal too.
            let terminal = try await Tools.run("/usr/bin/env", ["python3", "-c", Self.onTerminal, "kubectl", "--kubeconfig", kubeconfig, "exec", "-it", pod, "--", "sh", "-c", "test -t 0 && test -t 1 && echo on-a-terminal; exit 4"])
            #expect(terminal.status == 4, "\(terminal.stdout) \(terminal.stderr)")
            #expect(terminal.stdout.contains("on-a-terminal"), "\(terminal.stdout) \(terminal.stderr)")

            let missing = try await kubectl(["exec", pod, "--", "no-such-command-kbridge"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("no-such-command-kbridge"), "\(missing.stderr)")
        }
    }

    @Test func portForwardCarriesDataBothWaysOnSeveralPortsAndConnections() async throws {
        try await withStorefront { kubectl in
            let pod = try await Self.podName(component: "inventory", kubectl)
            let first = Storefront.freePort()
            let second = Storefront.freePort()
            let output = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-pf-\(UUID().uuidString.prefix(8)).log")
            defer { try? FileManager.default.removeItem(at: output) }
            let forward = try ChildProcess(spawning: .init(
                executable: try #require(Tools.locate("kubectl")),
                arguments: ["--kubeconfig", kubectl.kubeconfig, "port-forward", pod, "\(first):8080", "\(second):8080"],
                environment: ProcessInfo.processInfo.environment, output: output.path
            ))
            defer { kill(forward.pid, SIGTERM) }
            let ready = await TestSandbox.eventually(timeout: .seconds(30)) {
                ((try? String(contentsOf: output, encoding: .utf8)) ?? "").components(separatedBy: "Forwarding from 127.0.0.1").count == 3
            }
            try #require(ready, "kubectl port-forward did not start: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
            // A request goes up, the inventory's answer comes down, and the pod's end closes the connection.
            for port in [first, second, first, second] {
                let answer = try await Tools.run("/usr/bin/env", ["python3", "-c", Self.httpGet, String(port), "/stock"])
                #expect(answer.status == 0, "\(answer.stderr)")
                #expect(answer.stdout.hasPrefix("HTTP/1.") && answer.stdout.contains("\"service\": \"inventory\""), "\(answer.stdout)")
            }
            #expect(forward.isRunning, "kubectl port-forward ended: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
        }
    }

    @Test func attachJoinsARunningContainersOutputAndStdin() async throws {
        try await withStorefront { kubectl in
            let kubeconfig = kubectl.kubeconfig
            // `run -i` makes a pod with stdin (stdinOnce), attaches, sends its input and ends it.
            let asked = try await Tools.run("/bin/sh", ["-c", "echo hello | kubectl --kubeconfig \(kubeconfig) run reader --image=storefront/inventory:1 --restart=Never -i --command -- sh -c 'read line; echo got $line'"])
            #expect(asked.status == 0, "\(asked.stderr)")
            #expect(asked.stdout == "got hello\n", "\(asked.stdout) \(asked.stderr)")

            // Plain attach: the output from now on, until the container ends (ticking for 10 s, so
            // that an attach that starts late under load still joins it).
            let ticker = try await kubectl(["run", "ticker", "--image=storefront/inventory:1", "--restart=Never", "--command", "--", "sh", "-c", "sleep 2; for i in $(seq 1 40); do echo tick $i; sleep 0.25; done"])
            #expect(ticker.status == 0, "\(ticker.stderr)")
            _ = try await kubectl(["wait", "--for=jsonpath={.status.phase}=Running", "pod/ticker", "--timeout=60s"])
            let followed = try await kubectl(["attach", "ticker"], timeout: .seconds(60))
            #expect(followed.status == 0, "\(followed.stderr)")
            #expect(followed.stdout.hasSuffix("tick 40\n"), "\(followed.stdout) \(followed.stderr)")

            // Without stdinOnce the end of a session's input detaches it and leaves the container's
            // stdin open for the next (as containerd does): the container reads a line from each.
            let manifest = """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pairing"}, "spec": {"restartPolicy": "Never", "containers": [
                  {"name": "pairing", "image": "storefront/inventory:1", "stdin": true, "command": ["sh", "-c", "read a; read b; echo pair: $a $b"]}]}}
                """
            let pairing = try await Tools.run("/bin/sh", ["-c", "echo '\(manifest)' | kubectl --kubeconfig \(kubeconfig) apply -f -"])
            #expect(pairing.status == 0, "\(pairing.stderr)")
            _ = try await kubectl(["wait", "--for=condition=Ready", "pod/pairing", "--timeout=60s"])
            for line in ["left", "right"] {
                let session = try await Tools.run("/bin/sh", ["-c", "echo \(line) | kubectl --kubeconfig \(kubeconfig) attach -i pairing"], timeout: .seconds(60))
                #expect(session.status == 0, "\(line): \(session.stdout) \(session.stderr)")
            }
            let ended = try await kubectl(["wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/pairing", "--timeout=60s"])
            #expect(ended.status == 0, "\(ended.stderr)")
            let paired = try await kubectl(["logs", "pairing"])
            #expect(paired.stdout == "pair: left right\n", "\(paired.stdout) \(paired.stderr)")
        }
    }

    /// `kubectl create KIND` sends its object as protobuf (`application/vnd.kubernetes.protobuf`).
    @Test func typedCreatesSendProtobufAndMakeTheObjectsTheyDescribe() async throws {
        try await withStorefront { kubectl in
            let deployment = try await kubectl(["create", "deployment", "hello", "--image=storefront/inventory:1", "--replicas=2", "--port=8080"])
            #expect(deployment.status == 0 && deployment.stdout.contains("deployment.apps/hello created"), "\(deployment.stderr)")
            let rolled = try await kubectl(["rollout", "status", "deployment/hello", "--timeout=90s"])
            #expect(rolled.status == 0 && rolled.stdout.contains("successfully rolled out"), "\(rolled.stderr)")
            let shape = try await kubectl(["get", "deployment", "hello", "-o", "jsonpath={.spec.replicas} {.spec.strategy.type} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].ports[0].containerPort}"])
            #expect(shape.stdout == "2 RollingUpdate hello 8080", "\(shape.stdout) \(shape.stderr)")
            // A pointer's zero is kept: no replicas, not the default one.
            let idle = try await kubectl(["create", "deployment", "idle", "--image=storefront/inventory:1", "--replicas=0"])
            #expect(idle.status == 0, "\(idle.stderr)")
            let none = try await kubectl(["get", "deployment", "idle", "-o", "jsonpath={.spec.replicas}"])
            #expect(none.stdout == "0", "\(none.stdout) \(none.stderr)")

            for (arguments, created) in [
                (["service", "clusterip", "hello", "--tcp=80:8080"], "service/hello created"),
                (["configmap", "settings", "--from-literal=mode=fast"], "configmap/settings created"),
                (["secret", "generic", "password", "--from-literal=value=pa$$word"], "secret/password created"),
                (["namespace", "team-b"], "namespace/team-b created"),
                (["serviceaccount", "robot"], "serviceaccount/robot created"),
                (["role", "reader", "--verb=get", "--resource=pods"], "role.rbac.authorization.k8s.io/reader created"),
                (["rolebinding", "robot-reads", "--role=reader", "--serviceaccount=default:robot"], "rolebinding.rbac.authorization.k8s.io/robot-reads created"),
                (["ingress", "front", "--rule=shop.example.com/=hello:80"], "ingress.networking.k8s.io/front created"),
                (["job", "once", "--image=storefront/inventory:1", "--", "sh", "-c", "echo done"], "job.batch/once created"),
            ] {
                let result = try await kubectl(["create"] + arguments)
                #expect(result.status == 0 && result.stdout.contains(created), "\(arguments): \(result.stdout) \(result.stderr)")
            }
            let service = try await kubectl(["get", "service", "hello", "-o", "jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector.app}"])
            #expect(service.stdout == "80 8080 hello", "\(service.stdout) \(service.stderr)")
            let secret = try await kubectl(["get", "secret", "password", "-o", "jsonpath={.data.value}"])
            #expect(Data(base64Encoded: secret.stdout).map { String(decoding: $0, as: UTF8.self) } == "pa$$word", "\(secret.stdout)")
            let ingress = try await kubectl(["get", "ingress", "front", "-o", "jsonpath={.spec.rules[0].host} {.spec.rules[0].http.paths[0].backend.service.port.number}"])
            #expect(ingress.stdout == "shop.example.com 80", "\(ingress.stdout) \(ingress.stderr)")
            let job = try await kubectl(["wait", "--for=condition=Complete", "job/once", "--timeout=60s"])
            #expect(job.status == 0, "\(job.stderr)")
            let token = try await kubectl(["create", "token", "robot"])
            #expect(token.status == 0 && !token.stdout.isEmpty, "\(token.stderr)")

            // A dry run answers as a create would, and keeps nothing: not the object, not the address
            // it showed; nor does a create refused because the name is taken.
            let dry = try await kubectl(["create", "service", "clusterip", "probe", "--tcp=80", "--dry-run=server", "-o", "jsonpath={.spec.clusterIP}"])
            #expect(dry.status == 0 && !dry.stdout.isEmpty, "\(dry.stderr)")
            #expect(try await kubectl(["get", "service", "probe"]).status != 0, "a dry run stored the service")
            let reuse = try await kubectl(["create", "service", "clusterip", "probe", "--tcp=80", "--clusterip=\(dry.stdout)"])
            #expect(reuse.status == 0, "the dry run's address was kept: \(reuse.stderr)")
            let spare = dry.stdout.split(separator: ".").prefix(2).joined(separator: ".") + ".250.250"
            let taken = try await kubectl(["create", "service", "clusterip", "hello", "--tcp=80", "--clusterip=\(spare)"])
            #expect(taken.status != 0 && taken.stderr.contains("already exists"), "\(taken.stderr)")
            let again = try await kubectl(["create", "service", "clusterip", "spare", "--tcp=80", "--clusterip=\(spare)"])
            #expect(again.status == 0, "a refused create kept its address: \(again.stderr)")

            // With a precondition kubectl scales by PUT of a Scale, whose zero replicas Go leaves out.
            let down = try await kubectl(["scale", "deployment", "hello", "--replicas=0", "--current-replicas=2"])
            #expect(down.status == 0 && down.stdout.contains("scaled"), "\(down.stdout) \(down.stderr)")
            let zero = try await kubectl(["get", "deployment", "hello", "-o", "jsonpath={.spec.replicas}"])
            #expect(zero.stdout == "0", "\(zero.stdout) \(zero.stderr)")

            // A kind the sandbox does not serve is refused as a server without that API refuses it.
            let cronJob = try await kubectl(["create", "cronjob", "nightly", "--image=storefront/inventory:1", "--schedule=0 3 * * *"])
            #expect(cronJob.status != 0 && cronJob.stderr.contains("the server could not find the requested resource"), "\(cronJob.stderr)")
        }
    }

    @Test func imperativeVerbsBuildObjectsAndDriveRollouts() async throws {
        try await withStorefront { kubectl in
            let run = try await kubectl(["run", "solo", "--image=storefront/inventory:1", "--labels=app=solo"])
            #expect(run.status == 0 && run.stdout.contains("pod/solo created"), "\(run.stderr)")
            let ready = try await kubectl(["wait", "--for=condition=Ready", "pod/solo", "--timeout=60s"])
            #expect(ready.status == 0, "\(ready.stderr)")

            let expose = try await kubectl(["expose", "pod", "solo", "--port=8080", "--name=solo"])
            #expect(expose.status == 0 && expose.stdout.contains("service/solo exposed"), "\(expose.stderr)")
            let service = try await kubectl(["get", "service", "solo", "-o", "jsonpath={.spec.selector.app} {.spec.ports[0].port}"])
            #expect(service.stdout == "solo 8080", "\(service.stdout) \(service.stderr)")

            let scale = try await kubectl(["scale", "deployment", "inventory", "--replicas=2"])
            #expect(scale.status == 0 && scale.stdout.contains("scaled"), "\(scale.stderr)")
            let scaled = try await kubectl(["rollout", "status", "deployment/inventory", "--timeout=60s"])
            #expect(scaled.status == 0 && scaled.stdout.contains("successfully rolled out"), "\(scaled.stderr)")

            let restart = try await kubectl(["rollout", "restart", "deployment/inventory"])
            #expect(restart.status == 0 && restart.stdout.contains("restarted"), "\(restart.stderr)")
            let restarted = try await kubectl(["rollout", "status", "deployment/inventory", "--timeout=60s"])
            #expect(restarted.status == 0 && restarted.stdout.contains("successfully rolled out"), "\(restarted.stderr)")
            let undo = try await kubectl(["rollout", "undo", "deployment/inventory"])
            #expect(undo.status == 0 && undo.stdout.contains("rolled back"), "\(undo.stderr)")

            // `logs -f` follows a container until it ends.
            let counter = try await kubectl(["run", "counter", "--image=storefront/inventory:1", "--restart=Never", "--command", "--", "sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.3; done"])
            #expect(counter.status == 0, "\(counter.stderr)")
            var followed = Tools.Result(status: -1, stdout: "", stderr: "")
            // Until the container has started, kubectl says it is waiting: ask again.
            _ = await TestSandbox.eventually(timeout: .seconds(30)) {
                followed = try await kubectl(["logs", "-f", "counter"], timeout: .seconds(30))
                return followed.status == 0
            }
            #expect(followed.stdout.hasSuffix("line 3\n"), "\(followed.stdout) \(followed.stderr)")

            let top = try await kubectl(["top", "pods"])
            #expect(top.status != 0 && top.stderr.contains("Metrics API not available"), "\(top.stderr)")
        }
    }

    // MARK: Support

    /// kubectl against a sandbox running the storefront.
    struct Kubectl {
        let kubeconfig: String

        func callAsFunction(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> Tools.Result {
            try await Tools.kubectl(kubeconfig, arguments, timeout: timeout)
        }
    }

    private func withStorefront(_ body: (Kubectl) async throws -> Void) async throws {
        try await withTestSandbox(imageFiles: [Tools.storefrontImages]) { sandbox in
            let kubectl = Kubectl(kubeconfig: sandbox.kubeconfigPath)
            let apply = try await kubectl(["apply", "-f", Tools.storefrontManifests])
            try #require(apply.status == 0, "\(apply.stderr)")
            let wait = try await kubectl(["wait", "--for=condition=Available", "deployment", "--all", "--timeout=90s"])
            try #require(wait.status == 0, "\(wait.stderr)")
            try await body(kubectl)
        }
    }

    static func podName(component: String, _ kubectl: Kubectl) async throws -> String {
        let pods = try await kubectl(["get", "pods", "-l", "component=\(component)", "-o", "jsonpath={.items[0].metadata.name}"])
        return try #require(pods.stdout.isEmpty ? nil : pods.stdout, "no \(component) pod: \(pods.stderr)")
    }

    /// A GET by hand on a socket, read until the server closes: `python3 -c … PORT PATH`.
    /// Runs a command on a new terminal whose input never ends, prints what it wrote, exits with its code.
    /// (Not `script`: with its input at an end it types an end-of-file on the terminal, which
    /// reaches kubectl as the end of its stdin when it comes before kubectl made the terminal raw;
    /// kubectl then closes the exec before the command's status arrives and exits 0.)
    static let onTerminal = """
        import os, pty, sys
        pid, terminal = pty.fork()
        if pid == 0:
            os.execvp(sys.argv[1], sys.argv[1:])
        while True:
            try:
                data = os.read(terminal, 65536)
            except OSError:
                break
            if not data: break
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
        sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        """

    static let httpGet = """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        s.sendall(("GET %s HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n" % sys.argv[2]).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        sys.stdout.write(data.decode())
        """
}
