import KubernetesClient
import LocalEndpoints

/// Gives back what a session of this machine whose process is gone left (`kbridge disconnect`,
/// and `connect` when such a session still holds the workload), in the order its lifecycle
/// gives (`SessionLifecycle.left`): the hosts block, the workload, the guard, then the record.
/// Whatever cannot be given back stops it there, keeping what depends on it.
public struct GoneSessionGiveBack: Sendable {
    let client: KubernetesClient
    let registry: SessionRegistry

    public init(client: KubernetesClient, registry: SessionRegistry) {
        self.client = client
        self.registry = registry
    }

    public func giveBack(_ record: SessionRecord, force: Bool = false) async throws(SessionError) -> Restored {
        var lifecycle = SessionLifecycle.left(hostsBlock: record.hostsFile != nil)
        var restored = Restored()
        let sessionGuard = SessionGuard(client: client, session: record.id, namespace: record.workload.namespace)
        var actions: [SessionLifecycle.Action]
        do {
            actions = try lifecycle.handle(.stopRequested)
            while case .giveBack(let holding)? = actions.first {
                switch holding {
                case .hostsBlock:
                    if let path = record.hostsFile {
                        do { try HostsFile(path: path).remove(session: record.id) } catch { throw SessionError.localEndpoints(error.description) }
                    }
                case .takeover:
                    restored = try await WorkloadTakeover(client: client).restore(record.workload, session: record.id, force: force, check: await sessionGuard.originalCheck())
                case .sessionGuard:
                    await sessionGuard.remove()
                case .record:
                    registry.remove(record.id)
                case .command, .tunnel:
                    break  // went with its process
                }
                actions = try lifecycle.handle(.gaveBack(holding))
            }
        } catch let error as SessionError {
            throw error
        } catch {
            throw .restoreFailed(workload: record.workload.description, detail: "\(error)")
        }
        return restored
    }
}
