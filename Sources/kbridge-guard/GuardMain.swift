import BridgeSession
import BridgeTunnel
import KubernetesClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `kbridge-guard`: the session's guard, run in its Job by the agent image (`kbridge-agent guard`
/// hands over to it).
///
/// ```
/// kbridge-guard --session ID --kind Deployment --name api --ttl 30 --original-digest D
/// ```
/// Watches the session's Lease and gives the workload back once it lapsed (`GuardWatch`); exits
/// 0 when done (or when the session ended cleanly), non-zero to be started again by the Job.
@main
struct GuardMain {
    static func main() async {
        let arguments: GuardArguments
        do {
            arguments = try GuardArguments.parse(Array(CommandLine.arguments.dropFirst()))
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
            _ = try await GuardWatch(client: client, arguments: arguments, namespace: connection.namespace, log: { log($0) }).run()
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
