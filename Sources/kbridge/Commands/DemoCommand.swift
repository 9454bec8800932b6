import ArgumentParser
import AsyncHTTPClient
import Foundation
import KubernetesClient
import Logging
import NIOFoundationCompat
import Sandbox

/// The README's main command: the whole story on the embedded sandbox, each step printed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a sandbox, deploy the storefront sample, show a request going through it, and give everything back."
    )

    @Option(help: "The sample application's folder (default: samples/storefront of this repository).")
    var sample: String?

    @Option(name: [.short, .long], help: "Output format: text or json (one event per line).")
    var output: OutputFormat = .text

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        let console = Console(format: output)
        let logger = DiagnosticLog.logger(command: "demo")
        try await reportingErrors(console) {
            let sampleFolder = try locateSample()
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-demo-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: directory) }

            console.step("1. starting a sandbox cluster in \(directory.path)", event: "step", fields: ["step": "sandbox"])
            let cluster = SandboxCluster(
                options: .init(
                    directory: directory,
                    imageFiles: [sampleFolder.appendingPathComponent("sandbox-images.yaml").path] + [SandboxAgentImage.mapFile(in: directory)].compactMap { $0 }
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
                try await showcase(sampleFolder: sampleFolder, kubeconfig: state.kubeconfig, console: console, logger: logger)
            } catch {
                running.cancel()
                _ = await running.result
                throw error
            }
            console.step("5. stopping the sandbox and every process it started", event: "step", fields: ["step": "teardown"])
            running.cancel()
            _ = await running.result
            console.result("demo passed", event: "demo-passed", fields: [:])
        }
    }

    private func showcase(sampleFolder: URL, kubeconfig: String, console: Console, logger: Logger) async throws {
        let client = try KubernetesClient(kubeconfig: kubeconfig, logger: logger)
        let objects = try Manifest.objects(at: sampleFolder.appendingPathComponent("k8s").path)
        console.step("2. deploying the sample: \(objects.map { "\($0.type.kind.lowercased())/\($0.name)" }.joined(separator: ", "))", event: "step", fields: ["step": "deploy"])
        for object in objects { try await client.createRaw(object.type, object.body) }

        let deployments = objects.filter { $0.type == .deployments }.map(\.name)
        console.step("3. waiting for deployments \(deployments.joined(separator: ", ")) to be available", event: "step", fields: ["step": "wait"])
        let deadline = ContinuousClock.now + .seconds(90)
        var pending = Set(deployments)
        while !pending.isEmpty {
            for name in pending {
                let deployment = try await client.get(Deployment.self, name: name)
                if deployment.status?.conditions?.contains(where: { $0.type == "Available" && $0.status == "True" }) == true {
                    pending.remove(name)
                    console.step("   \(name) is available")
                }
            }
            guard ContinuousClock.now < deadline else { throw Failure(description: "deployments \(pending.sorted().joined(separator: ", ")) were not available after 90s; see kubectl --kubeconfig \(kubeconfig) get pods") }
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }

        let front = try await client.get(Service.self, name: "web")
        guard let address = front.spec.clusterIP, let port = front.spec.ports?.first?.port else { throw Failure(description: "the web service has no cluster IP") }
        let url = "http://\(address):\(port)/"
        console.step("4. asking the front service at \(url) (header kubernetes-route-as: demo)", event: "step", fields: ["step": "request", "url": .string(url)])
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "kubernetes-route-as", value: "demo")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try JSONValue.parse(Data(buffer: try await response.body.collect(upTo: 1 << 20)))
        let hops = [body["service"], body[path: "api", "service"], body[path: "api", "inventory", "service"]].compactMap { $0?.stringValue }
        guard response.status == .ok, hops == ["web", "api", "inventory"] else {
            throw Failure(description: "the answer did not go through web, api and inventory: \(response.status.code) \(body.jsonString)")
        }
        console.step("   answered by \(hops.joined(separator: " → ")): \"\(body["greeting"]?.stringValue ?? "")\", \(body[path: "api", "inventory", "items"]?.arrayValue?.count ?? 0) items in stock", event: "answer", fields: ["answer": body])
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
