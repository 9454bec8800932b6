import Foundation
import KubernetesClient

/// What `kbridge-agent guard` does in the cluster: watches the session's Lease and, once it has
/// not been renewed for its duration, gives the workload back (or deletes the session's copy),
/// deletes the session's Secret and then the Lease (which takes the guard's Job, ServiceAccount,
/// Role and RoleBinding with it).
///
/// Expiry is measured on the guard's own clock, from the last time it saw the renew time change,
/// so a skewed clock on the developer's machine cannot make it act early.
///
/// It proves it runs by writing the Lease's `kbridge.dev/guard-alive` annotation as soon as it
/// watches and again every `markInterval` (`SessionGuard.markInterval(ttl:)`): the CLI takes
/// over nothing before the first mark, and starts the guard again when the marks stop.
public struct GuardWatch: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// The Lease was removed by someone else (the CLI on a clean exit): nothing to do.
        case sessionEnded
        /// The Lease lapsed and what the session held was given back.
        case gaveBack(kept: [String])
    }

    let client: KubernetesClient
    let arguments: GuardArguments
    let namespace: String
    let log: @Sendable (String) -> Void
    var interval: Duration = .seconds(1)
    /// Who marks the Lease: the guard's pod name.
    let marker: String

    public init(client: KubernetesClient, arguments: GuardArguments, namespace: String, marker: String, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.arguments = arguments
        self.namespace = namespace
        self.marker = marker
        self.log = log
    }

    public func run() async throws(SessionError) -> Outcome {
        let leaseName = ClusterNames.session(arguments.session)
        var lastRenewal: String?
        var lastChange = ContinuousClock.now
        var duration = arguments.ttl
        var unreachable: KubernetesError?
        var lastMark: ContinuousClock.Instant?
        var marks = 0
        let markInterval = SessionGuard.markInterval(ttl: arguments.ttl)
        log("guarding \(hold.description) for session \(arguments.session): gives it back if lease \(leaseName) is not renewed for \(arguments.ttl.components.seconds)s")
        while true {
            do {
                let lease = try await client.getRaw(.leases, name: leaseName, namespace: namespace)
                if unreachable != nil { log("the API server answers again") }
                unreachable = nil
                let renewal = lease[path: "spec", "renewTime"]?.stringValue ?? ""
                if renewal != lastRenewal {
                    lastRenewal = renewal
                    lastChange = .now
                }
                if let seconds = lease[path: "spec", "leaseDurationSeconds"]?.intValue, seconds > 0 { duration = .seconds(seconds) }
            } catch let error where error.isNotFound {
                log("lease \(leaseName) is gone: the session ended")
                return .sessionEnded
            } catch {
                // The API server is away: nothing can be given back until it answers; keep counting.
                if unreachable == nil { log("cannot read lease \(leaseName): \(error)") }
                unreachable = error
            }
            if unreachable == nil, ContinuousClock.now - lastChange >= duration {
                return try await giveBack(after: ContinuousClock.now - lastChange)
            }
            if unreachable == nil, lastMark.map({ ContinuousClock.now - $0 >= markInterval }) ?? true {
                marks += 1
                if await mark(leaseName, count: marks) { lastMark = .now }
            }
            try? await Task.sleep(for: interval)
        }
    }

    private var hold: GuardedHold { arguments.hold(namespace: namespace) }

    /// Writes the proof that this guard watches into the Lease; false when it could not.
    private func mark(_ leaseName: String, count: Int) async -> Bool {
        let value = JSONValue.string("\(marker) \(count)")
        do {
            _ = try await client.patchRaw(.leases, name: leaseName, namespace: namespace, .merge(["metadata": ["annotations": [ClusterNames.aliveAnnotation: value]]]))
            if count == 1 { log("marked lease \(leaseName): this guard watches it") }
            return true
        } catch {
            log("cannot mark lease \(leaseName): \(error)")
            return false
        }
    }

    private func giveBack(after silence: Duration) async throws(SessionError) -> Outcome {
        log("lease not renewed for \(silence.components.seconds)s: the CLI has gone; giving back \(hold.description)")
        // What the guard holds: the take-over or the copy, and itself (its Lease, which takes the rest along).
        let giveBack = SessionGiveBack(client: client, session: arguments.session, namespace: namespace, hold: hold)
        let outcome = try await giveBack.runThrowing([hold.holding, .sessionGuard])
        for kept in outcome.kept { log("\(hold.description): \(kept)") }
        log("gave back \(hold.description); removed the session's Secret and Lease")
        return .gaveBack(kept: outcome.kept)
    }
}
