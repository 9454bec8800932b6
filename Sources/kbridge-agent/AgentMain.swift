import BridgeSession
import BridgeTunnel
import KubernetesClient
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `kbridge-agent`: what runs in the cluster.
///
/// ```
/// kbridge-agent agent [--control-port 7300] [--inbound-port 7301] [--ports 8080,9090]
/// kbridge-agent guard --session ID --kind Deployment --name api --ttl 30
/// ```
/// `agent` stands in for the app's container (below); `guard` runs in the session's guard Job
/// (`GuardWatch`) with its own ServiceAccount.
///
/// The session secret comes from `AgentContract.secretVariable` (a Secret the pod spec
/// references); every carrier connection must prove it holds it. The agent listens on every
/// address of the pod, where a kubelet's port-forward (the pod's loopback) and the cluster's
/// callers (the pod IP) both reach it; a platform that gives each pod one address of a shared
/// network (the sandbox) names it in `AgentContract.listenAddressVariable`.
@main
struct AgentMain {
    static func main() async {
        // One event loop: every connection the agent relays and the carriers they cross live on
        // it, so a relay passes bytes without changing threads (and the agent stays small).
        NIOSingletons.groupLoopCountSuggestion = 1
        if CommandLine.arguments.dropFirst().first == GuardArguments.command {
            await runGuard(Array(CommandLine.arguments.dropFirst(2)))
        }
        let arguments: AgentContract.Arguments
        do {
            arguments = try AgentContract.Arguments.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail(error.message)
        }
        let environment = currentEnvironment()
        guard let secret = environment[AgentContract.secretVariable], !secret.isEmpty else {
            fail("\(AgentContract.secretVariable) is not set: the agent refuses to run without a session secret")
        }
        var reported = environment
        reported[AgentContract.secretVariable] = nil
        let agent = BridgeAgent(configuration: .init(
            secret: secret, host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0", arguments: arguments,
            environment: reported, log: { log($0) }
        ))
        do {
            try await agent.run { bound in log("listening: control \(bound[0]), inbound \(bound[1]), service ports \(bound.dropFirst(2).map(String.init).joined(separator: ","))") }
        } catch {
            fail("stopped: \(error)")
        }
    }

    /// Watches the session's Lease and gives the workload back once it lapsed; exits 0 when done
    /// (or when the session ended cleanly), non-zero to be started again by the Job.
    static func runGuard(_ rawArguments: [String]) async -> Never {
        let arguments: GuardArguments
        do {
            arguments = try GuardArguments.parse(rawArguments)
        } catch {
            fail(error.message)
        }
        let environment = currentEnvironment()
        // The sandbox's kubelet runs containers without a filesystem of their own: mounts are under CONTAINER_ROOT.
        let directory = (environment["CONTAINER_ROOT"] ?? "") + InClusterConfig.defaultDirectory
        let connection: ClusterConnection
        do {
            guard let found = try InClusterConfig(environment: environment, directory: directory).connection() else {
                fail("no in-cluster credentials (KUBERNETES_SERVICE_HOST and \(directory)/token): the guard runs in a pod with a service account")
            }
            connection = found
        } catch {
            fail("cannot read the in-cluster credentials: \(error)")
        }
        let client = KubernetesClient(connection: connection)
        do {
            _ = try await GuardWatch(client: client, arguments: arguments, namespace: connection.namespace, log: { log($0) }).run()
            exit(0)
        } catch {
            log("could not give back: \(error)")
            exit(1)
        }
    }

    static func currentEnvironment() -> [String: String] {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return variables
    }

    /// One line into the container's log, written at once (stdout is a pipe there, so `print` would hold it).
    static func log(_ message: String) {
        let line = Array("kbridge-agent: \(message)\n".utf8)
        line.withUnsafeBytes { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
    }

    static func fail(_ message: String) -> Never {
        log(message)
        exit(2)
    }
}
