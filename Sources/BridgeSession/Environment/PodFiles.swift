import KubernetesClient

/// The container's mounted files that come to this machine, and bringing them there: the mounts
/// whose volumes hold configuration (`Volume.holdsConfiguration`: ConfigMaps, Secrets, the
/// service-account token, the downward API, emptyDirs), read by the agent as the app's user.
struct PodFiles: Sendable {
    /// The most a mount may hold (a larger one is an error: it is not configuration).
    static let limit = 64 << 20

    /// The mount paths, outer ones first (an inner mount hides what an outer one has there).
    let mountPaths: [String]

    init(container: String, of pod: Pod) {
        let volumes = Dictionary((pod.spec.volumes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let mounts = pod.spec.containers.first { $0.name == container }?.volumeMounts ?? []
        mountPaths = mounts.filter { volumes[$0.name]?.holdsConfiguration == true }.map(\.mountPath).sorted { $0.count < $1.count }
    }

    /// Downloads every mount path into `files`, created already.
    func download(through tunnel: SessionTunnel, into files: SessionFiles) async throws(SessionError) {
        for path in mountPaths {
            let entries = try await tunnel.files(under: path, limit: Self.limit)
            do { try files.write(entries, at: path) } catch { throw .filesNotDownloaded(path: path, reason: error.description) }
        }
    }
}
