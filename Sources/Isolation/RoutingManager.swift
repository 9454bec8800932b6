import KubernetesClient

/// The routing manager's loop (`kbridge-agent routing-manager`): a pass of `RoutingReconciler`
/// whenever a copy, a service, an ingress or a router changes, and every `resync` in any case.
/// A pass that fails is tried again after `retryDelay`; changes that arrive during a pass are
/// gathered into the next one.
public struct RoutingManager: Sendable {
    let client: KubernetesClient
    let reconciler: RoutingReconciler
    let namespace: String
    let health: RoutingManagerHealth
    let log: @Sendable (String) -> Void
    var resync: Duration = .seconds(15)
    var retryDelay: Duration = .seconds(2)

    public init(client: KubernetesClient, namespace: String, image: String, health: RoutingManagerHealth, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.namespace = namespace
        self.health = health
        self.log = log
        self.reconciler = RoutingReconciler(client: client, namespace: namespace, image: image, log: log)
    }

    /// What it watches: the copies, every service and ingress, and the routers it made.
    var watched: [(ResourceType, ListOptions)] {
        let routers = [RoutingNames.Component.router, .ingressRouter].map(\.rawValue).joined(separator: ",")
        return [
            (.pods, ListOptions(labelSelector: RoutingNames.routeFromLabel)),
            (.services, ListOptions()),
            (.ingresses, ListOptions()),
            (.deployments, ListOptions(labelSelector: "\(RoutingNames.componentLabel) in (\(routers))")),
        ]
    }

    /// Runs until cancelled.
    public func run() async {
        let (changed, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            for (type, options) in watched {
                group.addTask {
                    let watcher = ResourceWatcher(client: client, type: type, namespace: namespace, options: options, timeoutSeconds: 300)
                    do {
                        for try await _ in watcher.events() { signal.yield() }
                    } catch {
                        log("watching \(type) ended: \(error)")
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    signal.yield()
                    try? await Task.sleep(for: resync)
                }
            }
            group.addTask {
                for await _ in changed {
                    // Changes that come together (a copy and its service) make one pass.
                    try? await Task.sleep(for: .milliseconds(100))
                    await pass(retry: signal)
                }
            }
            await group.waitForAll()
        }
    }

    private func pass(retry signal: AsyncStream<Void>.Continuation) async {
        do {
            let outcome = try await reconciler.reconcile()
            for change in outcome.changes { log(change) }
            guard !outcome.problems.isEmpty else {
                health.passed()
                return
            }
            // Each problem was logged as it happened; what could be done was done.
            health.failed()
        } catch {
            log("could not read the namespace to bring the routes up to date: \(error)")
            health.failed()
        }
        Task {
            try? await Task.sleep(for: retryDelay)
            signal.yield()
        }
    }
}
