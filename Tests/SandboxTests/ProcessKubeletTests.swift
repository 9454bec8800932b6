import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The process kubelet, seen through the API as a user sees a kubelet.
@Suite struct ProcessKubeletTests {
    /// An image map whose images are small Python programs given inline.
    static func images(_ programs: [String: String]) throws -> String {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-images-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var text = "images:\n"
        for (name, program) in programs.sorted(by: { $0.key < $1.key }) {
            text += "  \(name):\n    command: [python3, -c, \(JSONValue.string(program).jsonString)]\n"
        }
        let file = folder.appendingPathComponent("images.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// Prints its environment and the files under $CONTAINER_ROOT, then calls the API with its service-account token.
    static let inspector = """
        import json, os, ssl, urllib.request, urllib.error, time
        root = os.environ.get('CONTAINER_ROOT', '')
        files = {}
        for path in ['/etc/config/greeting', '/etc/secret/password', '/var/run/secrets/kubernetes.io/serviceaccount/namespace']:
            try:
                files[path] = open(root + path).read()
            except OSError as error:
                files[path] = 'missing: %s' % error
        sa = root + '/var/run/secrets/kubernetes.io/serviceaccount'
        context = ssl.create_default_context(cafile=sa + '/ca.crt')
        request = urllib.request.Request('https://%s:%s/api/v1/namespaces/default/pods' % (os.environ['KUBERNETES_SERVICE_HOST'], os.environ['KUBERNETES_SERVICE_PORT']))
        request.add_header('Authorization', 'Bearer ' + open(sa + '/token').read())
        try:
            urllib.request.urlopen(request, context=context, timeout=60)
            api = 'allowed'
        except urllib.error.HTTPError as error:
            api = '%d %s' % (error.code, json.loads(error.read()).get('message', ''))
        except Exception as error:
            api = 'failed: %s' % error
        print(json.dumps({'env': dict(os.environ), 'files': files, 'api': api}), flush=True)
        time.sleep(3600)
        """

    @Test func anImageThatIsNotInTheMapCannotBePulled() async throws {
        try await withTestSandbox() { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.pods, ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "nowhere/app:1"]]]])
            var reasons = Set<String>()
            let both = await TestSandbox.eventually {
                let pod = try await client.get(Pod.self, name: "p")
                if let reason = pod.status?.containerStatuses?.first?.state?.waiting?.reason { reasons.insert(reason) }
                return reasons.isSuperset(of: ["ErrImagePull", "ImagePullBackOff"])
            }
            #expect(both, "saw \(reasons)")
            let pod = try await client.get(Pod.self, name: "p")
            #expect(pod.status?.phase == "Pending")
            #expect(!pod.isReady)
        }
    }

    @Test func containersGetTheEnvironmentAndFilesAKubeletGives() async throws {
        let images = try Self.images(["inspector:1": Self.inspector])
        try await withTestSandbox(imageFiles: [images]) { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.services, ["metadata": ["name": "backend-db"], "spec": ["selector": ["app": "db"], "ports": [["name": "sql", "port": 5432]]]])
            try await client.createRaw(.configMaps, ["metadata": ["name": "settings"], "data": ["greeting": "hello", "MODE": "test"]])
            try await client.createRaw(.secrets, ["metadata": ["name": "credentials"], "stringData": ["password": "s3cret"]])
            try await client.createRaw(.pods, [
                "metadata": ["name": "inspect", "labels": ["app": "inspect"]],
                "spec": ["containers": [[
                    "name": "main", "image": "inspector:1",
                    "envFrom": [["configMapRef": ["name": "settings"], "prefix": "CFG_"]],
                    "env": [
                        ["name": "DB_URL", "value": "postgres://$(BACKEND_DB_SERVICE_HOST):$(BACKEND_DB_SERVICE_PORT)"],
                        ["name": "PASSWORD", "valueFrom": ["secretKeyRef": ["name": "credentials", "key": "password"]]],
                        ["name": "GREETING", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "greeting"]]],
                        ["name": "MY_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                        ["name": "MY_APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
                    ],
                    "volumeMounts": [["name": "config", "mountPath": "/etc/config"], ["name": "secret", "mountPath": "/etc/secret"]],
                ]], "volumes": [["name": "config", "configMap": ["name": "settings"]], ["name": "secret", "secret": ["secretName": "credentials"]]]],
            ])
            var report: JSONValue?
            // Generous: the whole suite shares two cores, and this pod's API call goes through TLS and kube-proxy.
            let printed = await TestSandbox.eventually(timeout: .seconds(90)) {
                let logs = try await client.logs(pod: "inspect")
                report = try? JSONValue.parse(logs)
                return report != nil
            }
            try #require(printed, "the inspector printed nothing")
            let env = try #require(report?["env"])
            let pod = try await client.get(Pod.self, name: "inspect")
            let dbIP = try await client.get(Service.self, name: "backend-db").spec.clusterIP ?? ""
            #expect(env["DB_URL"] == .string("postgres://\(dbIP):5432"))
            #expect(env["BACKEND_DB_SERVICE_PORT_SQL"] == "5432")
            #expect(env["BACKEND_DB_PORT_5432_TCP_ADDR"] == .string(dbIP))
            #expect(env["PASSWORD"] == "s3cret")
            #expect(env["GREETING"] == "hello")
            #expect(env["CFG_MODE"] == "test")
            #expect(env["MY_NAME"] == "inspect")
            #expect(env["MY_APP"] == "inspect")
            #expect(env["POD_IP"] == pod.status?.podIP.map(JSONValue.string))
            #expect(env["KUBERNETES_SERVICE_PORT"] == "443")
            #expect(report?[path: "files", "/etc/config/greeting"] == "hello")
            #expect(report?[path: "files", "/etc/secret/password"] == "s3cret")
            #expect(report?[path: "files", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"] == "default")
            let api = report?["api"]?.stringValue ?? ""
            #expect(api.hasPrefix("403") && api.contains("system:serviceaccount:default:default"), "the token authenticates the pod's service account through the kubernetes service: \(api)")
        }
    }

    @Test func aCrashingContainerIsRestartedWithBackOff() async throws {
        let images = try Self.images(["crash:1": "import sys; print('starting', flush=True); sys.exit(2)"])
        try await withTestSandbox(imageFiles: [images]) { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.pods, ["metadata": ["name": "crash"], "spec": ["containers": [["name": "c", "image": "crash:1"]]]])
            let restarted = await TestSandbox.eventually {
                let status = try await client.get(Pod.self, name: "crash").status?.containerStatuses?.first
                return (status?.restartCount ?? 0) >= 2 && status?.lastState?.terminated?.exitCode == 2
            }
            #expect(restarted)
            let waiting = await TestSandbox.eventually {
                try await client.get(Pod.self, name: "crash").status?.containerStatuses?.first?.state?.waiting?.reason == "CrashLoopBackOff"
            }
            #expect(waiting)
            // Read while it waits, or just after its next start (before it printed): as on a kubelet,
            // the current log may be a run that has not written yet.
            let logged = await TestSandbox.eventually { try await client.logs(pod: "crash").contains("starting") }
            #expect(logged)
        }
    }

    @Test func aJobRunsToCompletion() async throws {
        let images = try Self.images(["task:1": "print('done', flush=True)"])
        try await withTestSandbox(imageFiles: [images]) { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.jobs, ["metadata": ["name": "once"], "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "t", "image": "task:1"]]]]]])
            let complete = await TestSandbox.eventually {
                let job = try await client.getRaw(.jobs, name: "once")
                return job[path: "status", "succeeded"] == 1
                    && (job[path: "status", "conditions"]?.arrayValue ?? []).contains { $0["type"] == "Complete" && $0["status"] == "True" }
            }
            #expect(complete)
            let pods = try await client.list(Pod.self, options: ListOptions(labelSelector: "job-name=once"))
            #expect(pods.map { $0.status?.phase } == ["Succeeded"])
        }
    }

    @Test func aStandaloneKubeletJoinsTheAPIServer() async throws {
        let images = try Self.images(["hello:1": "import time; print('hello from the second node', flush=True); time.sleep(3600)"])
        try await withTestSandbox() { sandbox in
            let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-kubelet-\(UUID().uuidString.prefix(8))").path
            let kubelet = Task {
                try await Tools.run(Tools.kbridge, [
                    "sandbox", "kubelet", "--kubeconfig", sandbox.kubeconfigPath, "--node-name", "second", "--images", images, "--root", root,
                    "--client-ca", sandbox.directory.appendingPathComponent("pki/ca.crt").path,
                ], timeout: .seconds(90))
            }
            let client = try sandbox.client()
            #expect(await TestSandbox.eventually { try await client.list(Node.self).contains { $0.metadata.name == "second" } })
            try await client.createRaw(.pods, ["metadata": ["name": "there"], "spec": ["nodeName": "second", "containers": [["name": "c", "image": "hello:1"]]]])
            let running = await TestSandbox.eventually { try await client.get(Pod.self, name: "there").status?.phase == "Running" }
            #expect(running)
            let logs = await TestSandbox.eventually { try await client.logs(pod: "there").contains("hello from the second node") }
            #expect(logs, "pods/log is proxied to the second kubelet")
            try await client.delete(.pods, name: "there")
            #expect(await TestSandbox.eventually { (try? await client.get(Pod.self, name: "there")) == nil })
            kubelet.cancel()
            let stopped = try await kubelet.value
            #expect(stopped.status == 0, "the kubelet stops cleanly on SIGTERM: \(stopped.stderr)")
        }
    }

    /// What a typical app does: calls another namespace's service by its DNS name.
    static let caller = """
        import socket, time, urllib.request
        while True:
            try:
                address = socket.gethostbyname('rates.shared')
                answer = urllib.request.urlopen('http://rates.shared:9000/', timeout=5).read().decode()
                full = socket.gethostbyname('rates.shared.svc.cluster.local')
                print('resolved %s %s answered %s' % (address, full, answer), flush=True)
            except Exception as error:
                print('failed: %s' % error, flush=True)
            time.sleep(1)
        """

    static let rates = """
        import os, http.server
        class Rates(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers(); self.wfile.write(b'EUR=1.0')
        http.server.HTTPServer((os.environ['KBRIDGE_LISTEN_ADDRESS'], 9000), Rates).serve_forever()
        """

    @Test(.enabled(if: getuid() == 0, "cluster DNS needs root: a mount namespace per container and port 53"))
    func aPodResolvesAServiceOfAnotherNamespaceByNameAndConnectsToIt() async throws {
        let images = try Self.images(["caller:1": Self.caller, "rates:1": Self.rates])
        try await withTestSandbox(imageFiles: [images]) { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.namespaces, ["metadata": ["name": "shared"]])
            try await client.createRaw(.services, ["metadata": ["name": "rates", "namespace": "shared"], "spec": ["selector": ["app": "rates"], "ports": [["port": 9000]]]], namespace: "shared")
            try await client.createRaw(.pods, [
                "metadata": ["name": "rates", "namespace": "shared", "labels": ["app": "rates"]],
                "spec": ["containers": [["name": "rates", "image": "rates:1", "readinessProbe": ["tcpSocket": ["port": 9000], "periodSeconds": 1]]]],
            ], namespace: "shared")
            try await client.createRaw(.pods, ["metadata": ["name": "caller"], "spec": ["containers": [["name": "caller", "image": "caller:1"]]]])
            let rates = try #require(try await client.get(Service.self, name: "rates", namespace: "shared").spec.clusterIP)
            var logs = ""
            let answered = await TestSandbox.eventually(timeout: .seconds(60)) {
                logs = try await client.logs(pod: "caller")
                return logs.contains("answered EUR=1.0")
            }
            #expect(answered, "the pod's call by name: \(logs)")
            #expect(logs.contains("resolved \(rates) \(rates) answered"), "both names resolve to the service's cluster IP: \(logs)")
        }
    }

    @Test(.enabled(if: getuid() == 0, "isolating containers needs root"))
    func containersRunWithARuntimesDefaultCapabilitiesAndTheirSecurityContextsUser() async throws {
        let program = """
            import os, time
            status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines() if ':' in line)
            print('uid=%d gid=%d effective=%s bounding=%s' % (os.getuid(), os.getgid(), status['CapEff'].strip(), status['CapBnd'].strip()), flush=True)
            time.sleep(3600)
            """
        let images = try Self.images(["caps:1": program])
        try await withTestSandbox(imageFiles: [images]) { sandbox in
            let client = try sandbox.client()
            try await client.createRaw(.pods, ["metadata": ["name": "root"], "spec": ["containers": [["name": "c", "image": "caps:1"]]]])
            try await client.createRaw(.pods, [
                "metadata": ["name": "user"],
                "spec": ["securityContext": ["runAsUser": 1000, "runAsGroup": 3000], "containers": [["name": "c", "image": "caps:1"]]],
            ])
            var logs: [String: String] = [:]
            let printed = await TestSandbox.eventually(timeout: .seconds(60)) {
                for pod in ["root", "user"] { logs[pod] = try await client.logs(pod: pod) }
                return logs.values.allSatisfy { $0.contains("uid=") }
            }
            try #require(printed, "\(logs)")
            // containerd's default set: chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap,
            // net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap.
            let defaults = "00000000a80425fb"
            #expect(logs["root"]?.contains("uid=0 gid=0 effective=\(defaults) bounding=\(defaults)") == true, "no CAP_NET_ADMIN, CAP_SYS_ADMIN, ...: \(logs["root"] ?? "")")
            // The python3 on PATH may sit where uid 1000 cannot reach it; then the pod runs as root (logged).
            let user = logs["user"] ?? ""
            #expect(user.contains("uid=1000 gid=3000 effective=0000000000000000") || user.contains("uid=0 gid=0 effective=\(defaults)"), "\(user)")
        }
    }
}
