import ArgumentParser
import BridgeSession
import ChildProcesses
import Foundation
import KubernetesClient
import LocalEndpoints
import Logging
import Sandbox
import SandboxTesting

/// The README's main command: the whole story on the embedded sandbox, each step printed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a sandbox, deploy the storefront sample, redirect its api service to a local process, and give everything back.",
        discussion: """
            Steps: a sandbox cluster in a temporary folder; the storefront sample (web → api → inventory) \
            deployed; a request through the front; `api` redirected to a local copy of the api that answers \
            differently and calls the inventory by its cluster name; a request through the front answered by \
            it; the session ended and the original answer seen again; the sandbox stopped. Exit 0 only if \
            every step held.
            """
    )

    @Option(help: "The sample application's folder (default: samples/storefront of this repository).")
    var sample: String?

    @OptionGroup var format: OutputOptions

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        let console = Console(format: format.output)
        let logger = DiagnosticLog.logger(command: "demo")
        try await reportingErrors(console) {
            let sampleFolder = try locateSample()
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-demo-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: directory) }

            console.step("1. starting a sandbox cluster in \(directory.path)", event: "step", fields: ["step": "sandbox"])
            let cluster = SandboxCluster(
                options: .init(
                    directory: directory,
                    imageFiles: [sampleFolder.appendingPathComponent("sandbox-images.yaml").path, try SandboxAgentImage.mapFile(in: directory)]
                ),
                logger: logger
            )
            let (ready, readyContinuation) = AsyncThrowingStream<SandboxCluster.State, any Error>.makeStream()
            let running = Task {
                do {
                    try await cluster.run { readyContinuation.yield($0) }
                    readyContinuation.finish()
                } catch {
                    readyContinuation.finish(throwing: error)
                }
            }
            do {
                var states = ready.makeAsyncIterator()
                guard let state = try await states.next() else { throw Failure(description: "the sandbox stopped before it was ready") }
                console.step("   API server \(state.server), kubeconfig \(state.kubeconfig)")
                let client = try KubernetesClient(kubeconfig: state.kubeconfig, logger: logger)
                try await deploy(sampleFolder: sampleFolder, client: client, kubeconfig: state.kubeconfig, console: console)
                try await redirect(sampleFolder: sampleFolder, directory: directory, client: client, console: console, logger: logger)
            } catch {
                running.cancel()
                _ = await running.result
                throw error
            }
            console.step("9. stopping the sandbox and every process it started", event: "step", fields: ["step": "teardown"])
            running.cancel()
            _ = await running.result
            console.result("demo passed", event: "demo-passed", fields: [:])
        }
    }

    /// Steps 2–4: the sample deployed and answering through its front.
    private func deploy(sampleFolder: URL, client: KubernetesClient, kubeconfig: String, console: Console) async throws {
        let sample = StorefrontSample(client: client)
        let manifests = sampleFolder.appendingPathComponent("k8s").path
        let objects = try Manifest.objects(at: manifests)
        console.step("2. deploying the sample: \(objects.map { "\($0.type.kind.lowercased())/\($0.name)" }.joined(separator: ", "))", event: "step", fields: ["step": "deploy"])
        try await sample.deploy(manifests: manifests)
        console.step("3. waiting for services \(StorefrontSample.services.joined(separator: ", ")) to have ready pods", event: "step", fields: ["step": "wait"])
        do {
            try await sample.waitUntilAnswering { console.step("   \($0)") }
        } catch {
            throw Failure(description: "\(error); see kubectl --kubeconfig \(kubeconfig) get pods")
        }
        let answer = try await askFront(sample, step: "4. asking the front service", stepName: "request", console: console)
        guard answer.apiVersion == "1" else { throw Failure(description: "the cluster's api did not answer: \(answer.json.jsonString)") }
    }

    /// Steps 5–8: `api` redirected to a local process, and given back.
    private func redirect(sampleFolder: URL, directory: URL, client: KubernetesClient, console: Console, logger: Logger) async throws {
        let sample = StorefrontSample(client: client)
        let localPort = try await Self.freePort()
        let localLog = directory.appendingPathComponent("local-api.log").path
        var options = ConnectSession.Options(service: "api", namespace: client.defaultNamespace, localPort: localPort)
        let api = sampleFolder.appendingPathComponent("app/api.py").path
        let hostsCopy = directory.appendingPathComponent("hosts")
        let byName = Self.canUsePrivateHostsFile
        var names = "its environment variables (no private hosts file here: needs root and unshare)"
        if byName {
            // The local api sees a private copy of the hosts file, bind-mounted over /etc/hosts in a
            // mount namespace of its own: this machine's hosts file is never touched by the demo.
            try FileManager.default.copyItem(atPath: "/etc/hosts", toPath: hostsCopy.path)
            options.hostsFile = hostsCopy.path
            options.command = [
                "unshare", "--mount", "sh", "-c",
                #"mount --bind "$0" /etc/hosts && INVENTORY_URL=http://inventory:8080 API_VERSION=local PORT=$1 exec python3 "$2" >"$3" 2>&1"#,
                hostsCopy.path, String(localPort), api, localLog,
            ]
            names = "its cluster name (http://inventory:8080, through a private copy of /etc/hosts)"
        } else {
            options.command = ["sh", "-c", #"API_VERSION=local PORT=$0 exec python3 "$1" >"$2" 2>&1"#, String(localPort), api, localLog]
        }
        console.step("5. redirecting service api to a local process on port \(localPort), which calls the inventory by \(names)", event: "step", fields: ["step": "connect"])

        let (events, eventSink) = AsyncStream<SessionEvent>.makeStream()
        let stop = StopRequest()
        let session = ConnectSession(client: client, options: options, logger: logger) { event in
            if event.kind != .progress || format.output == .json { console.event(event) } else { console.step("   \(event.message)") }
            eventSink.yield(event)
        }
        let running = Task { () async -> Result<Int32, SessionError> in
            defer { eventSink.finish() }
            do throws(SessionError) {
                return .success(try await session.run(stop: stop))
            } catch {
                return .failure(error)
            }
        }
        var connected = false
        for await event in events where event.kind == .connected {
            connected = true
            break
        }
        guard connected else {
            if case .failure(let error) = await running.value { throw error }
            throw Failure(description: "the session ended before it was connected")
        }
        do {
            guard await Self.waitForListener(port: localPort, timeout: .seconds(30)) else {
                throw Failure(description: "the local api did not listen on port \(localPort); see \(localLog)")
            }
            let local = try await askFront(sample, step: "6. asking the front service again", stepName: "request-redirected", console: console)
            guard local.apiVersion == "local" else {
                throw Failure(description: "the answer did not come from the local api calling the cluster's inventory: \(local.json.jsonString)")
            }
            console.step("   the local api answered, and reached the inventory in the cluster by \(byName ? "name" : "its service variables")")
        } catch {
            stop.request(signal: SIGTERM)
            _ = await running.value
            throw error
        }

        console.step("7. ending the session: everything is given back", event: "step", fields: ["step": "disconnect"])
        stop.request(signal: SIGTERM)
        for await _ in events {}
        if case .failure(let error) = await running.value { throw error }
        if byName, (try? HostsFile(path: hostsCopy.path).sessions()) != [] {
            throw Failure(description: "the session's block was left in the hosts file copy")
        }
        // The restored api pod takes a moment to start: ask until it answers.
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let answer: String
            do {
                let body = try await askFront(sample, step: nil, stepName: nil, console: console)
                if body.apiVersion == "1" {
                    console.step("8. the front service answers from the cluster's api again", event: "step", fields: ["step": "restored", "answer": body.json])
                    return
                }
                answer = body.json.jsonString
            } catch {
                answer = String(describing: error)
            }
            guard ContinuousClock.now < deadline else { throw Failure(description: "the cluster's api did not come back within 60s: \(answer)") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// One request through the front service, with the routing header: its answer, which must
    /// have gone through web, the api and the inventory.
    private func askFront(_ sample: StorefrontSample, step: String?, stepName: String?, console: Console) async throws -> StorefrontSample.Answer {
        if let step, let stepName {
            let url = try await sample.frontURL()
            console.step("\(step) at \(url) (header kubernetes-route-as: demo)", event: "step", fields: ["step": .string(stepName), "url": .string(url)])
        }
        let answer = try await sample.ask(headers: [("kubernetes-route-as", "demo")]).get()
        guard answer.wentThroughEveryService else {
            throw Failure(description: "the answer did not go through \(StorefrontSample.services.joined(separator: ", ")): \(answer.status) \(answer.json.jsonString)")
        }
        if step != nil {
            console.step(
                "   answered by \(answer.hops.joined(separator: " → ")) (api version \(answer.apiVersion ?? "?")): \"\(answer.json["greeting"]?.stringValue ?? "")\", \(answer.json[path: "api", "inventory", "items"]?.arrayValue?.count ?? 0) items in stock",
                event: "answer", fields: ["answer": answer.json]
            )
        }
        return answer
    }

    /// Whether the local process can get a private hosts file: root, with `unshare` installed.
    private static var canUsePrivateHostsFile: Bool {
        getuid() == 0 && ProcessSpawner.locate("unshare", path: ProcessInfo.processInfo.environment["PATH"]) != nil
    }

    private static func freePort() async throws -> Int {
        let listener = try await LocalListener.bind(host: "127.0.0.1", port: 0)
        await listener.close()
        return listener.port
    }

    private static func waitForListener(port: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if PortHolder.find(port: port) != nil { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The sample: `--sample`, else `samples/storefront` here or above the executable.
    private func locateSample() throws -> URL {
        if let sample { return URL(fileURLWithPath: sample).standardizedFileURL }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var folder = URL(fileURLWithPath: SandboxUp.currentExecutable).deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder)
            folder.deleteLastPathComponent()
        }
        for candidate in candidates {
            let sample = candidate.appendingPathComponent("samples/storefront")
            if FileManager.default.fileExists(atPath: sample.appendingPathComponent("sandbox-images.yaml").path) { return sample }
        }
        throw Failure(description: "cannot find samples/storefront: run from the repository's folder, or pass --sample DIR")
    }
}
