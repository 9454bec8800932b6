import BridgeTunnel
import KubernetesClient

/// The container's mounted files that come to this machine, and bringing them there: the mounts
/// whose volumes hold configuration (`Volume.holdsConfiguration`: ConfigMaps, Secrets, the
/// service-account token, the downward API, emptyDirs), read by the agent as the app's user.
struct PodFiles: Sendable {
    /// The most a mount's archive may hold: its files (`FileArchive.limit`) and their headers.
    static let limit = FileArchive.limit + (4 << 20)

    /// The mount paths, outer ones first (an inner mount hides what an outer one has there).
    let mountPaths: [String]
    /// Those of volumes a config names: what cannot be downloaded of them is an error (of the
    /// others, brought by default, a warning naming it: the session goes on without it).
    let required: Set<String>

    /// The mounts of `container` in `pod` whose volumes hold configuration, and those a config
    /// names (`patterns`: volume names with `*` wildcards), whatever their kind.
    init(container: String, of pod: Pod, alsoNamed patterns: [String] = []) {
        let volumes = Dictionary((pod.spec.volumes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let mounts = pod.spec.containers.first { $0.name == container }?.volumeMounts ?? []
        let named = mounts.filter { mount in patterns.contains { ConfigValue.matches(mount.name, pattern: $0) } }
        mountPaths = mounts.filter { mount in volumes[mount.name]?.holdsConfiguration == true || named.contains(mount) }.map(\.mountPath).sorted { $0.count < $1.count }
        required = Set(named.map(\.mountPath))
    }

    /// Downloads every mount path into `files`, created already; `warn` hears what of a mount
    /// brought by default could not be.
    func download(through tunnel: SessionTunnel, into files: SessionFiles, warn: (String) -> Void) async throws(SessionError) {
        for path in mountPaths {
            let isRequired = required.contains(path)
            let entries: [FileArchive.Entry]
            do {
                entries = try await tunnel.files(under: path, limit: Self.limit)
            } catch .filesNotDownloaded(_, let reason) where !isRequired {
                warn("the pod's files under \(path) were not downloaded: \(reason) (name the volume in \(LocalProcessConfig.fileName) to make this an error)")
                continue
            }
            let unreadable: [String]
            do { unreadable = try files.write(entries, at: path) } catch { throw .filesNotDownloaded(path: path, reason: error.description) }
            guard !unreadable.isEmpty else { continue }
            let said = "the agent could not read \(unreadable.joined(separator: "; ")) (it runs as the app's user, or as uid \(AgentContainer.unprivilegedUser) when the app runs as root: make the files readable by it)"
            if isRequired { throw .filesNotDownloaded(path: path, reason: said) }
            warn(said)
        }
    }
}
