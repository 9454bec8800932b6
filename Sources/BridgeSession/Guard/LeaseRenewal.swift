import Logging

/// Renews the session's Lease every third of its duration until cancelled, so that the guard
/// never acts while this process is alive and can reach the cluster.
struct LeaseRenewal: Sendable {
    enum End: Equatable {
        case cancelled
        /// The Lease is gone: the guard gave the workload back.
        case gone
    }

    let sessionGuard: SessionGuard
    let ttl: Duration

    func run(logger: Logger) async -> End {
        let interval = max(ttl / 3, .milliseconds(500))
        var failing = false
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return .cancelled
            }
            do {
                guard try await sessionGuard.renew() else { return .gone }
                if failing { logger.info("renewed lease \(SessionGuard.leaseName(session: sessionGuard.session)) again") }
                failing = false
            } catch {
                // The cluster is away: keep trying; the guard acts only once the Lease lapsed.
                if !failing { logger.warning("cannot renew lease \(SessionGuard.leaseName(session: sessionGuard.session)): \(error)") }
                failing = true
            }
        }
        return .cancelled
    }
}
