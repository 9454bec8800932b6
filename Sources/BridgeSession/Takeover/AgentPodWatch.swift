import KubernetesClient

/// Waits for the session's agent pod to be Ready, telling what it waits for, and gives up
/// early with the pod's own reason when it cannot get there (image not pullable, crash loop).
public struct AgentPodWatch: Sendable {
    let client: KubernetesClient
    var pollInterval: Duration = .milliseconds(250)

    var transientGrace: Duration = .seconds(20)

    public init(client: KubernetesClient) {
        self.client = client
    }

    /// The Ready agent pod of `session`. `progress` gets a line each time what it waits for changes.
    public func waitUntilReady(
        workload: WorkloadReference, session: String, container: String, image: String, timeout: Duration,
        progress: @Sendable (String) -> Void
    ) async throws(SessionError) -> Pod {
        let deadline = ContinuousClock.now + timeout
        var lastSeen = "no agent pod yet"
        var reported = ""
        var judge = PodStartJudge(transientGrace: transientGrace)
        while true {
            let pods: [Pod]
            do {
                pods = try await client.list(Pod.self, namespace: workload.namespace, options: ListOptions(labelSelector: "\(ClusterNames.sessionLabel)=\(session)"))
            } catch {
                throw .cluster(error)
            }
            if let pod = pods.first(where: { $0.metadata.deletionTimestamp == nil }) {
                let name = pod.metadata.nameOrEmpty
                if pod.isReady, pod.status?.podIP != nil { return pod }
                if let hopeless = judge.hopeless(pod, container: container) {
                    throw .agentNotReady(pod: name, reason: hopeless.reason, message: hopeless.message, image: image)
                }
                lastSeen = PodStartJudge.describe(pod, container: container)
            }
            if lastSeen != reported {
                progress("waiting for the agent pod: \(lastSeen)")
                reported = lastSeen
            }
            guard ContinuousClock.now < deadline else { throw .agentTimedOut(workload: workload.description, waited: timeout, lastSeen: lastSeen) }
            try? await Task.sleep(for: pollInterval)
            if Task.isCancelled { throw .agentTimedOut(workload: workload.description, waited: timeout, lastSeen: "interrupted; " + lastSeen) }
        }
    }

    /// Waits until the service sends its traffic to the agent pod only (the old pods have left
    /// its endpoints). Returns false if that did not happen within `timeout`.
    public func waitForEndpoints(service: Service, agentIP: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        let reader = await ServiceEndpointsReader.discover(client: client)
        let namespace = service.metadata.namespace ?? client.defaultNamespace
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if let answer = try? await reader.readyAddresses(of: [service], namespace: namespace), answer.readyAddresses[service.metadata.nameOrEmpty] == [agentIP] {
                return true
            }
            try? await Task.sleep(for: pollInterval)
        }
        return false
    }

    /// Returns once the agent in `pod` has stopped, saying what was seen: the pod deleted or
    /// being deleted, or its container no longer running or restarted since `pod` was read.
    /// A cluster that cannot be reached is not taken for a stopped agent (the tunnel tells that).
    public func waitUntilStopped(pod: Pod, container: String, interval: Duration = .seconds(1)) async -> String? {
        let name = pod.metadata.nameOrEmpty
        let namespace = pod.metadata.namespace ?? client.defaultNamespace
        let restarts = pod.status?.containerStatuses?.first { $0.name == container }?.restartCount ?? 0
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let current: Pod
            do {
                current = try await client.get(Pod.self, name: name, namespace: namespace)
            } catch where error.isNotFound {
                return "its pod \(name) was deleted"
            } catch {
                continue
            }
            if current.metadata.deletionTimestamp != nil { return "its pod \(name) is being deleted" }
            guard let status = current.status?.containerStatuses?.first(where: { $0.name == container }) else { continue }
            let ended = status.state?.terminated ?? status.lastState?.terminated
            let exit = ended.map { " (\($0.reason ?? "exited") with code \($0.exitCode))" } ?? ""
            if status.restartCount > restarts { return "its container restarted\(exit)" }
            if status.state?.running == nil { return "its container is not running\(exit)" }
        }
        return nil
    }
}
