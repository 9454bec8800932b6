import Foundation
import Isolation
import KubernetesClient

/// `kbridge clean`'s cluster half: finds what sessions that are gone left in the cluster
/// (take-overs, Secrets, Leases and guards) and gives it back.
///
/// A session is alive while its Lease is renewed. A Lease that looks lapsed by this machine's
/// clock is watched for one renewal interval before it is taken for dead (another machine's clock
/// may be behind); one lapsed for more than ten minutes is dead at once. A session without a
/// Lease is dead. Sessions this machine runs are never touched.
public struct ClusterCleanup: Sendable {
    /// What a session that is gone left in one namespace.
    public struct Leftover: Sendable, Equatable {
        public var session: String
        public var namespace: String
        public var workloads: [WorkloadReference] = []
        /// Isolation mode: the session's copies.
        public var clones: [String] = []
        public var secret = false
        public var lease = false
        public var guardJob = false

        public var summary: String {
            var parts = workloads.map(\.description) + clones.map { "Pod \($0) (a copy)" }
            if secret { parts.append("Secret \(ClusterNames.session(session))") }
            if lease { parts.append("Lease \(ClusterNames.session(session))") }
            if guardJob { parts.append("Job \(ClusterNames.guardName(session))") }
            return parts.joined(separator: ", ")
        }
    }

    let client: KubernetesClient
    /// How long to watch a Lease that looks lapsed; nil: the longest renewal interval seen.
    var confirmation: Duration?

    public init(client: KubernetesClient) {
        self.client = client
    }

    /// What sessions that are gone left in `namespace` (nil: every namespace), leaving alone
    /// the sessions in `running` (this machine's).
    public func leftovers(namespace: String?, running: Set<String>) async throws(SessionError) -> [Leftover] {
        let everywhere = namespace == nil
        let selector = ListOptions(labelSelector: ClusterNames.sessionLabel)
        var found: [String: Leftover] = [:]
        func key(_ session: String, _ namespace: String) -> String { "\(namespace)/\(session)" }
        func note(_ session: String, _ namespace: String, _ change: (inout Leftover) -> Void) {
            var leftover = found[key(session, namespace)] ?? Leftover(session: session, namespace: namespace)
            change(&leftover)
            found[key(session, namespace)] = leftover
        }
        let leases: [JSONValue]
        do {
            for takeover in try await TakeoverFinder(client: client).all(namespace: namespace) {
                note(takeover.session, takeover.workload.namespace) { $0.workloads.append(takeover.workload) }
            }
            let copies = ListOptions(labelSelector: "\(ClusterNames.sessionLabel),\(RoutingNames.routeFromLabel)")
            for copy in try await client.listRaw(.pods, namespace: namespace, allNamespaces: everywhere, options: copies).items {
                guard let (session, namespace) = Self.session(of: copy), let name = copy[path: "metadata", "name"]?.stringValue,
                      copy[path: "metadata", "deletionTimestamp"] == nil else { continue }
                note(session, namespace) { $0.clones.append(name) }
            }
            for secret in try await client.listRaw(.secrets, namespace: namespace, allNamespaces: everywhere, options: selector).items {
                guard let (session, namespace) = Self.session(of: secret) else { continue }
                note(session, namespace) { $0.secret = true }
            }
            for job in try await client.listRaw(.jobs, namespace: namespace, allNamespaces: everywhere, options: selector).items {
                guard let (session, namespace) = Self.session(of: job) else { continue }
                note(session, namespace) { $0.guardJob = true }
            }
            leases = try await client.listRaw(.leases, namespace: namespace, allNamespaces: everywhere, options: selector).items
        } catch let error as SessionError {
            throw error
        } catch let error as KubernetesError {
            throw .cluster(error)
        } catch {
            throw .tunnelLost(detail: "\(error)")
        }
        for lease in leases {
            guard let (session, namespace) = Self.session(of: lease) else { continue }
            note(session, namespace) { $0.lease = true }
        }
        let alive = try await aliveSessions(leases)
        return found.values
            .filter { !running.contains($0.session) && !alive.contains(key($0.session, $0.namespace)) }
            .sorted { ($0.namespace, $0.session) < ($1.namespace, $1.session) }
    }

    /// Gives back what a session that is gone left: its workloads or copies (and Secret), its Lease and guard.
    public func clean(_ leftover: Leftover) async throws(SessionError) -> [Restored] {
        var holdings: Set<SessionLifecycle.Holding> = []
        if !leftover.clones.isEmpty { holdings.insert(.clone) }
        if !leftover.workloads.isEmpty || (leftover.secret && leftover.clones.isEmpty) { holdings.insert(.takeover) }
        if leftover.lease || leftover.guardJob { holdings.insert(.sessionGuard) }
        var giveBack = SessionGiveBack(client: client, session: leftover.session, namespace: leftover.namespace, workloads: leftover.workloads)
        giveBack.clones = leftover.clones
        return try await giveBack.runThrowing(holdings).restored
    }

    // MARK: Liveness

    private func aliveSessions(_ leases: [JSONValue]) async throws(SessionError) -> Set<String> {
        let now = Date()
        var alive: Set<String> = []
        var doubtful: [(key: String, namespace: String, name: String, renewal: String)] = []
        var longestInterval: Duration = .seconds(1)
        for lease in leases {
            guard let (session, namespace) = Self.session(of: lease), let name = lease[path: "metadata", "name"]?.stringValue else { continue }
            let seconds = lease[path: "spec", "leaseDurationSeconds"]?.intValue ?? Int(SessionGuard.defaultTTL.components.seconds)
            longestInterval = max(longestInterval, .seconds(seconds) / 3)
            let renewal = lease[path: "spec", "renewTime"]?.stringValue ?? ""
            let expiry = Timestamp.parse(renewal).map { $0.addingTimeInterval(Double(seconds)) } ?? .distantPast
            if expiry > now {
                alive.insert("\(namespace)/\(session)")
            } else if now.timeIntervalSince(expiry) < 600 {
                doubtful.append(("\(namespace)/\(session)", namespace, name, renewal))
            }
        }
        guard !doubtful.isEmpty else { return alive }
        try? await Task.sleep(for: (confirmation ?? longestInterval) + .seconds(1))
        for lease in doubtful {
            do {
                let now = try await client.getRaw(.leases, name: lease.name, namespace: lease.namespace)
                if now[path: "spec", "renewTime"]?.stringValue != lease.renewal { alive.insert(lease.key) }
            } catch let error where error.isNotFound {
                continue
            } catch {
                throw .cluster(error)
            }
        }
        return alive
    }

    private static func session(of object: JSONValue) -> (String, String)? {
        guard let session = object[path: "metadata", "labels", ClusterNames.sessionLabel]?.stringValue,
              let namespace = object[path: "metadata", "namespace"]?.stringValue else { return nil }
        return (session, namespace)
    }
}
