import KubernetesClient

/// Reads a starting pod as a person watching `kubectl get pod` would: what it is waiting for,
/// and when it will not get there without someone changing something (an image that cannot be
/// pulled, a crash loop). I/O-free: the agent's and the guard's waits feed it what they read.
struct PodStartJudge: Sendable {
    /// Container states that will not become Ready without someone changing something.
    static let hopelessReasons: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
        "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    ]

    /// Hopeless reasons a real kubelet also reports for a moment (its Secret cache has not seen
    /// the session's new Secret yet: "failed to sync secret cache"); believed once they last.
    static let transientReasons: Set<String> = ["CreateContainerConfigError", "CreateContainerError"]

    /// Why a container will not start.
    struct Hopeless: Equatable, Sendable {
        var reason: String
        var message: String
    }

    var transientGrace: Duration = .seconds(20)
    private var transientSince: (reason: String, at: ContinuousClock.Instant)?

    init(transientGrace: Duration = .seconds(20)) {
        self.transientGrace = transientGrace
    }

    /// Why `container` of `pod` will not start, or nil while it may still.
    mutating func hopeless(_ pod: Pod, container: String, now: ContinuousClock.Instant = .now) -> Hopeless? {
        let status = pod.status?.containerStatuses?.first { $0.name == container }
        if let waiting = status?.state?.waiting, let reason = waiting.reason, Self.hopelessReasons.contains(reason) {
            if transientSince?.reason != reason { transientSince = (reason, now) }
            let lasting = transientSince.map { now - $0.at >= transientGrace } ?? true
            if !Self.transientReasons.contains(reason) || lasting {
                return Hopeless(reason: reason, message: waiting.message ?? "")
            }
        } else {
            transientSince = nil
        }
        if let terminated = status?.state?.terminated, (status?.restartCount ?? 0) >= 2 {
            return Hopeless(reason: terminated.reason ?? "Error", message: "exited with code \(terminated.exitCode)")
        }
        return nil
    }

    /// What the pod is at: `pod NAME: Pending (ContainerCreating)`.
    static func describe(_ pod: Pod, container: String) -> String {
        let status = pod.status?.containerStatuses?.first { $0.name == container }
        let detail = status?.state?.waiting?.reason ?? (status?.state?.running != nil ? "running, not ready yet" : nil)
        return "pod \(pod.metadata.nameOrEmpty): \(pod.status?.phase ?? "Pending")" + (detail.map { " (\($0))" } ?? "")
    }
}
