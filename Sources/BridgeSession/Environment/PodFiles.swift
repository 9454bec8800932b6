import KubernetesClient

/// The container's mounted files that come to this machine, and bringing them there: the mounts
/// whose volumes hold configuration (`Volume.holdsConfiguration`: ConfigMaps, Secrets, the
/// service-account token, the downward API, emptyDirs), read by the agent as the app's user.
struct PodFiles: Sendable {
    /// The most a mount may hold (a larger one is an error: it is not configuration).
    static let limit = 64 << 20

    /// The mount paths, outer ones first (an inner mount hides what an outer one has there).
    let mountPaths: [String]

    /// The mounts of `container` in `pod` whose volumes hold configuration, and those a config
    /// names (`patterns`: volume names with `*` wildcards), whatever their kind.
    init(container: String, of pod: Pod, alsoNamed patterns: [String] = []) {
        let volumes = Dictionary((pod.spec.volumes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let mounts = pod.spec.containers.first { $0.name == container }?.volumeMounts ?? []
        mountPaths = mounts.filter { mount in
            volumes[mount.name]?.holdsConfiguration == true || patterns.contains { ConfigValue.matches(mount.name, pattern: $0) }
        }.map(\.mountPath).sorted { $0.count < $1.count }
    }

    /// Downloads every mount path into `files`, created already.
    func download(through tunnel: SessionTunnel, into files: SessionFiles) async throws(SessionError) {
        for path in mountPaths {
            let entries = try await tunnel.files(under: path, limit: Self.limit)
            do { try files.write(entries, at: path) } catch { throw .filesNotDownloaded(path: path, reason: error.description) }
        }
    }
}
