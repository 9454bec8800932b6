import BridgeTunnel
import KubernetesClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the agent image's `guard` command does, wherever it is started from: `kbridge-guard` in
/// the image (`kbridge-agent guard` hands over to it), or `kbridge agent-image guard` in a
/// sandbox that kbridge started.
///
/// ```
/// guard --session ID --kind Deployment --name api --ttl 30 --original-digest D
/// ```
/// Watches the session's Lease and gives the workload back once it lapsed (`GuardWatch`); exits
/// 0 when done (or when the session ended cleanly), non-zero to be started again by the Job.
public enum GuardProgram {
    /// Runs the guard with `arguments` (the program name dropped); never returns.
    public static func run(_ arguments: [String]) async -> Never {
        let parsed: GuardArguments
        do {
            parsed = try GuardArguments.parse(arguments)
        } catch {
            fail(error.message)
        }
        let environment = ContainerProcess.environment()
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
            _ = try await GuardWatch(client: client, arguments: parsed, namespace: connection.namespace, marker: environment["HOSTNAME"] ?? "guard", log: { log($0) }).run()
            exit(0)
        } catch {
            log("could not give back: \(error)")
            exit(1)
        }
    }

    static func log(_ message: String) {
        ContainerProcess.log(message, from: "kbridge-guard")
    }

    static func fail(_ message: String) -> Never {
        ContainerProcess.fail(message, from: "kbridge-guard")
    }
}
