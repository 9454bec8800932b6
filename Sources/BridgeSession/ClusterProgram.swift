import BridgeTunnel
import Isolation
import KubernetesClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the agent image's commands that talk to the API server do, wherever they are started
/// from: `kbridge-guard` in the image (`kbridge-agent` hands them over), or `kbridge agent-image`
/// in a sandbox that kbridge started. Each runs with its pod's service account.
///
/// ```
/// guard --session ID --kind Deployment --name api --ttl 30 --original-digest D
/// routing-manager --image IMAGE
/// ```
/// `guard` watches the session's Lease and gives the workload back once it lapsed (`GuardWatch`);
/// it exits 0 when done (or when the session ended cleanly), non-zero to be started again by its
/// Job. `routing-manager` keeps the namespace's routes as its copies want them (`RoutingManager`)
/// until stopped, answering its health on `RoutingManagerHealth.port`.
public enum ClusterProgram {
    /// Runs the command `arguments` name; never returns.
    public static func run(_ arguments: [String]) async -> Never {
        switch arguments.first {
        case AgentContract.guardCommand?: await runGuard(Array(arguments.dropFirst()))
        case AgentContract.routingManagerCommand?: await runRoutingManager(Array(arguments.dropFirst()))
        default: fail("usage: kbridge-guard guard|routing-manager ARGUMENTS", from: "kbridge-guard")
        }
    }

    private static func runGuard(_ arguments: [String]) async -> Never {
        let program = "kbridge-guard"
        let parsed: GuardArguments
        do {
            parsed = try GuardArguments.parse(arguments)
        } catch {
            fail(error.message, from: program)
        }
        let (client, environment) = inClusterClient(program: program)
        do {
            let watch = GuardWatch(client: client, arguments: parsed, namespace: client.connection.namespace, marker: environment["HOSTNAME"] ?? "guard", log: { ContainerProcess.log($0, from: program) })
            _ = try await watch.run()
            exit(0)
        } catch {
            ContainerProcess.log("could not give back: \(error)", from: program)
            exit(1)
        }
    }

    private static func runRoutingManager(_ arguments: [String]) async -> Never {
        let program = "kbridge-routing-manager"
        let parsed: RoutingManagerArguments
        do {
            parsed = try RoutingManagerArguments.parse(arguments)
        } catch {
            fail(error.message, from: program)
        }
        let (client, environment) = inClusterClient(program: program)
        let health = RoutingManagerHealth()
        do {
            _ = try await health.serve(host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0")
        } catch {
            fail("cannot listen on port \(RoutingManagerHealth.port): \(error)", from: program)
        }
        let namespace = client.connection.namespace
        ContainerProcess.log("keeping the routes of namespace \(namespace); routers run \(parsed.image)", from: program)
        await RoutingManager(client: client, namespace: namespace, image: parsed.image, health: health, log: { ContainerProcess.log($0, from: program) }).run()
        exit(0)
    }

    /// A client with the pod's service account. (The sandbox's kubelet runs containers without a
    /// filesystem of their own: their mounts are under `CONTAINER_ROOT`.)
    private static func inClusterClient(program: String) -> (KubernetesClient, [String: String]) {
        let environment = ContainerProcess.environment()
        let directory = (environment[AgentContract.containerRootVariable] ?? "") + InClusterConfig.defaultDirectory
        do {
            guard let connection = try InClusterConfig(environment: environment, directory: directory).connection() else {
                fail("no in-cluster credentials (KUBERNETES_SERVICE_HOST and \(directory)/token): it runs in a pod with a service account", from: program)
            }
            return (KubernetesClient(connection: connection), environment)
        } catch {
            fail("cannot read the in-cluster credentials: \(error)", from: program)
        }
    }

    private static func fail(_ message: String, from program: String) -> Never {
        ContainerProcess.fail(message, from: program)
    }
}
