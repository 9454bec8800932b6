import Foundation
import KubernetesClient

/// A `LocalProcessConfig`'s references checked against the cluster before anything changes: every
/// volume it names is one of the container's, every service exists with the ports it names, and
/// every `localPath` is free. Each failure names the place in the file.
struct ConfigCheck: Sendable {
    let client: KubernetesClient
    let namespace: String
    /// This machine's sessions: a link one of them left at a `localPath` may be replaced.
    let registry: SessionRegistry

    func run(_ config: LocalProcessConfig, target: TakeoverTarget) async throws(SessionError) {
        let mounted = target.volumeMounts.map(\.name)
        for (pattern, place) in config.volumePatterns where LocalProcessConfig.firstVolume(matching: pattern, in: mounted) == nil {
            let known = mounted.isEmpty ? "it mounts no volumes" : "its volumes: \(mounted.joined(separator: ", "))"
            throw .config(.init(place: place, message: "no volume of container \"\(target.container)\" matches \"\(pattern)\" (\(known))"))
        }
        for mount in config.volumeMounts {
            try checkFree(mount.localPath, place: mount.place)
        }
        for reference in config.services {
            try await check(reference)
        }
    }

    private func check(_ reference: LocalProcessConfig.ServiceReference) async throws(SessionError) {
        let namespace = reference.namespace ?? self.namespace
        let shown = "$(services:\(reference.name)\(reference.namespace.map { ".\($0)" } ?? ""))"
        let service: Service
        do {
            service = try await client.get(Service.self, name: reference.name, namespace: namespace)
        } catch let error where error.isNotFound {
            let available = (try? await client.list(Service.self, namespace: namespace).compactMap(\.metadata.name).sorted()) ?? []
            let known = available.isEmpty ? "" : " (its services: \(available.joined(separator: ", ")))"
            throw .config(.init(place: reference.place, message: "\(shown): service \"\(reference.name)\" not found in namespace \"\(namespace)\"\(known)"))
        } catch let error where error.isForbidden {
            throw .config(.init(place: reference.place, message: "\(shown): you may not read services in namespace \"\(namespace)\""))
        } catch {
            throw .cluster(error)
        }
        let ports = (service.spec.ports ?? []).filter { ($0.protocol ?? "TCP") == "TCP" }.map(\.port)
        guard !ports.isEmpty else {
            throw .config(.init(place: reference.place, message: "\(shown): service \"\(reference.name)\" has no TCP ports, so nothing to reach"))
        }
        if let missing = reference.ports.first(where: { !ports.contains($0) }) {
            throw .config(.init(place: reference.place, message: "\(shown): service \"\(reference.name)\" has no port \(missing) (its ports: \(ports.map(String.init).joined(separator: ", ")))"))
        }
    }

    /// A `localPath` must not hold anything (kbridge puts a link there and will not replace what
    /// is there), except a link a gone kbridge session left into kbridge's private folder.
    private func checkFree(_ path: String, place: ConfigPlace) throws(SessionError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFLNK, SessionFiles.isLeftoverLink(path, registry: registry) { return }
        throw .config(.init(place: place, message: "localPath \(path) exists: kbridge links the downloaded volume there and does not replace what is there; remove it or choose another path"))
    }
}
