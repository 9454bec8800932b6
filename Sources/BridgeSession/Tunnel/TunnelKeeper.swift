import KubernetesClient

/// The tunnel to the session's agent, for as long as the session lasts: opened the first time
/// (dialled again for a few seconds while the agent is busy or not yet listening), served, and
/// when it drops, opened again with back-off when the session's lifecycle says so.
struct TunnelKeeper: Sendable {
    let context: SessionContext

    /// Serves the cluster's connections through the tunnel, and when the tunnel drops (the
    /// agent's container restarted, the API server restarted, this machine slept), opens it again
    /// with back-off, saying so; the local process keeps running meanwhile. Returns a failure
    /// when the agent cannot come back, nil when cancelled.
    func keepConnected(
        _ supervisor: TunnelSupervisor, connection: SessionConnection, target: TakeoverTarget, portMap: [Int: Int]
    ) async -> Result<Int32, SessionError>? {
        let report = context.report
        var tunnel = connection.tunnel
        var agentPod = connection.agentPod
        while !Task.isCancelled {
            let current = tunnel
            // On cancellation the carrier closes first: a stream arriving after its reader has
            // gone would trap (NIO drops its unfinished writer).
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await current.serveInbound(portMap: portMap) { remote, local, connected in
                            if !connected {
                                report(.init(.warning, "a connection came for port \(remote) but nothing listens on localhost:\(local)", fields: ["port": .integer(Int64(remote))]))
                            }
                        }
                    }
                    group.addTask {
                        await current.waitUntilLost()
                        await current.close()
                    }
                    await group.waitForAll()
                }
            } onCancel: {
                current.closeAtOnce()
            }
            await supervisor.lost()
            guard !Task.isCancelled else { return nil }
            // The lifecycle says what a lost tunnel means now: reconnect (or, should it answer
            // anything else, this session ends).
            do {
                guard try context.advance(.tunnelLost) == [.reconnect] else { return .failure(.defect("a lost tunnel was not answered with a reconnect")) }
            } catch {
                return .failure(error)
            }
            // Say why when the cluster can tell at once.
            let (client, lastPod) = (context.client, agentPod)
            let why = await Self.within(.seconds(2)) {
                await AgentPodWatch(client: client).waitUntilStopped(pod: lastPod, container: target.container, interval: .milliseconds(250))
            }
            report(.init(.warning, "lost the connection to the agent (pod \(agentPod.metadata.nameOrEmpty)\(why.map { ": \($0)" } ?? "")): reconnecting"))
            switch await reconnect(target: target, identity: connection.identity, ports: connection.agentPorts) {
            case .success(let (reopened, pod)):
                tunnel = reopened
                agentPod = pod
                do { try context.advance(.tunnelOpened) } catch { return .failure(error) }
                await supervisor.replace(reopened)
                report(.init(.progress, "reconnected to the agent (pod \(pod.metadata.nameOrEmpty)): \(context.options.target) is connected to this machine again"))
            case .failure(let error):
                return Task.isCancelled ? nil : .failure(error)
            }
        }
        return nil
    }

    /// Opens the first tunnel, dialling again for a few seconds while the agent closes the
    /// connection at once: it is busy with other handshakes (connections from elsewhere in the
    /// cluster it has not yet given up on), or its listener is not up yet (the pod is ready as soon
    /// as the agent runs: `AgentContainer`).
    func openFirst(pod: String, ports: AgentPorts, secret: String) async throws(SessionError) -> SessionTunnel {
        let (client, options) = (context.client, context.options)
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do throws(SessionError) {
                return try await SessionTunnel.open(client: client, pod: pod, namespace: options.namespace, ports: ports, secret: secret)
            } catch {
                guard case .tunnelLost = error, ContinuousClock.now < deadline, !Task.isCancelled else { throw error }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Waits for the session's agent to be ready again and opens a new tunnel to it, with
    /// back-off, for up to `options.reconnectTimeout`.
    private func reconnect(target: TakeoverTarget, identity: SessionIdentity, ports: AgentPorts) async -> Result<(SessionTunnel, Pod), SessionError> {
        let (client, options) = (context.client, context.options)
        let deadline = ContinuousClock.now + options.reconnectTimeout
        var delay = Duration.milliseconds(250)
        var last = SessionError.tunnelLost(detail: "the port-forward to the agent closed")
        while ContinuousClock.now < deadline, !Task.isCancelled {
            do throws(SessionError) {
                let pod = try await AgentPodWatch(client: client).waitUntilReady(
                    workload: target.workload, session: identity.id, container: target.container, image: options.agentImage,
                    timeout: max(deadline - ContinuousClock.now, .seconds(1))
                ) { _ in }
                let tunnel = try await SessionTunnel.open(client: client, pod: pod.metadata.nameOrEmpty, namespace: options.namespace, ports: ports, secret: identity.secret)
                return .success((tunnel, pod))
            } catch {
                switch error {
                case .agentNotReady(let pod, let reason, let message, _) where reason.contains("Image"):
                    // Its image is gone from the node and cannot be pulled: it will not come back by itself.
                    return .failure(.agentStopped(pod: pod, detail: "\(reason)\(message.isEmpty ? "" : ": \(message)")"))
                case .agentNotAuthenticated:
                    return .failure(error)
                default:
                    // Restarting (a crash is followed by a back-off), or the cluster is away: try again.
                    last = error
                }
            }
            // Someone gave the workload back (or another session holds it): nothing to reconnect to.
            if let holder = try? await WorkloadTakeover(client: client).holder(of: target.workload), holder != identity.id {
                return .failure(.tunnelLost(detail: "\(target.workload) no longer runs this session's agent (another session holds it now)"))
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(8))
        }
        return .failure(.tunnelLost(detail: "could not reconnect within \(options.reconnectTimeout) (the cluster may be unreachable): \(last)"))
    }

    /// What `work` returns if it does within `limit`, else nil (the work is cancelled).
    private static func within<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async -> T?) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
