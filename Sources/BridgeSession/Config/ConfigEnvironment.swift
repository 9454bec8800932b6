import KubernetesClient

/// The variables a `LocalProcessConfig`'s `env` sets, once the session is connected: each token
/// becomes what it names on this machine.
struct ConfigEnvironment: Sendable {
    let config: LocalProcessConfig
    let namespace: String
    let outbound: OutboundEndpoints
    /// The agent pod's container mounts (volume name → mount path).
    let mounts: [VolumeMount]
    let files: SessionFiles
    /// Whether names are in a hosts file (else an external endpoint's token gives its address).
    let namesInHostsFile: Bool

    func variables() throws(SessionError) -> [String: String] {
        var variables: [String: String] = [:]
        for variable in config.env {
            var value = ""
            for part in variable.value.parts {
                switch part {
                case .text(let text):
                    value += text
                case .volumeMount(let pattern, let place):
                    guard let folder = folder(ofVolume: pattern) else {
                        throw .config(.init(place: place, message: "no volume of the agent's pod matches \"\(pattern)\" (the workload changed?)"))
                    }
                    value += folder
                case .service(let name, let otherNamespace, _, let place):
                    let wanted = otherNamespace ?? namespace
                    guard let entry = outbound.entries.first(where: { !$0.isExternal && $0.service == name && $0.namespace == wanted }) else {
                        throw .config(.init(place: place, message: "service \"\(name)\" of namespace \"\(wanted)\" has no address on this machine (it was deleted, or has no ports left)"))
                    }
                    value += entry.allocation.address
                case .externalEndpoint(let host, _, _):
                    let address = outbound.entries.first { $0.isExternal && $0.service == host }?.allocation.address
                    value += namesInHostsFile ? host : address ?? host
                }
            }
            variables[variable.name] = value
        }
        return variables
    }

    /// Where the volume `pattern` matches is on this machine: the `localPath` a `volumeMounts`
    /// entry gives it, else its copy under the session's root.
    func folder(ofVolume pattern: String) -> String? {
        guard let volume = LocalProcessConfig.firstVolume(matching: pattern, in: mounts.map(\.name)),
              let mount = mounts.first(where: { $0.name == volume })
        else { return nil }
        // The localPath of the entry that took this very volume (its pattern's first match).
        let names = mounts.map(\.name)
        if let chosen = config.volumeMounts.first(where: { LocalProcessConfig.firstVolume(matching: $0.name, in: names) == volume }) { return chosen.localPath }
        return files.localPath(of: mount.mountPath)
    }

    /// The `localPath` links to make: (local path, the container's mount path).
    func links() -> [(localPath: String, mountPath: String)] {
        config.volumeMounts.compactMap { chosen in
            guard let volume = LocalProcessConfig.firstVolume(matching: chosen.name, in: mounts.map(\.name)),
                  let mount = mounts.first(where: { $0.name == volume })
            else { return nil }
            return (chosen.localPath, mount.mountPath)
        }
    }
}
