import KubernetesClient
import Logging
import Synchronization

/// What the parts of a running session share (`SessionPreflight`, `GuardedTakeover`,
/// `SessionConnector`, `TunnelKeeper`, driven by `ConnectSession`): the cluster, the person's
/// options, where progress goes, and the session's `SessionLifecycle`, which each part tells what
/// happened and whose answer it follows.
struct SessionContext: Sendable {
    let client: KubernetesClient
    let options: ConnectSession.Options
    let logger: Logger
    let report: @Sendable (SessionEvent) -> Void
    private let lifecycle = LifecycleCell()

    init(client: KubernetesClient, options: ConnectSession.Options, logger: Logger, report: @escaping @Sendable (SessionEvent) -> Void) {
        self.client = client
        self.options = options
        self.logger = logger
        self.report = report
    }

    /// Tells the lifecycle what happened; returns what it answers. An event it refuses is a defect
    /// of the session's code: the session fails with it (and gives back what it holds), so that a
    /// test sees it.
    @discardableResult
    func advance(_ event: SessionLifecycle.Event) throws(SessionError) -> [SessionLifecycle.Action] {
        do {
            return try lifecycle.state.withLock { lifecycle throws(SessionLifecycle.InvalidTransition) in try lifecycle.handle(event) }
        } catch {
            logger.error("session lifecycle: \(error)")
            throw .defect(error.description)
        }
    }

    /// The lifecycle as it is now (the give-back advances a copy, then puts it back).
    var currentLifecycle: SessionLifecycle {
        get { lifecycle.state.withLock { $0 } }
        nonmutating set { lifecycle.state.withLock { $0 = newValue } }
    }

    private final class LifecycleCell: Sendable {
        let state = Mutex(SessionLifecycle())
    }
}
