import Foundation
import KubernetesClient

/// What a connected session gives the local process, as `kbridge diagnostics` shows it: the
/// environment (which of it comes from Secrets), the names (name → local address → what the agent
/// dials), the pod's files on this machine, and where it all is. Written by the session once
/// connected, beside its record (`ID.diagnostics`, mode 0600: it holds the Secrets' values, as the
/// env file does), and removed with it.
public struct SessionDiagnostics: Codable, Sendable, Equatable {
    public struct Name: Codable, Sendable, Equatable {
        public var names: [String]
        public var address: String
        /// Each port: the service's, the one listened on here, and what the agent dials.
        public var ports: [Port]
    }

    public struct Port: Codable, Sendable, Equatable {
        public var port: Int
        public var localPort: Int
        public var target: String
    }

    public struct Files: Codable, Sendable, Equatable {
        public var root: String
        /// The container's mount paths downloaded, with the number of files of each.
        public var mounts: [String: Int]
        /// Links a config put at its `localPath`s.
        public var links: [String]
    }

    public var session: String
    public var agentPod: String
    public var environment: [String: String]
    /// The variables whose values come from Secrets (masked unless asked for).
    public var secretVariables: [String]
    public var names: [Name]
    public var hostsFile: String?
    public var envFile: String?
    public var files: Files
    public var connectedAt: String

    /// The value shown for `variable`: masked when it comes from a Secret, unless `showSecrets`.
    public func shownValue(of variable: String, showSecrets: Bool) -> String {
        guard let value = environment[variable] else { return "" }
        return !showSecrets && secretVariables.contains(variable) ? String(repeating: "*", count: 8) + " (from a Secret)" : value
    }
}

extension SessionRegistry {
    /// Writes the diagnostics of a session (mode 0600, beside its record).
    public func saveDiagnostics(_ diagnostics: SessionDiagnostics) throws(PrivateFileError) {
        try directory.ensure()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try PrivateFile.write(try encoder.encode(diagnostics), to: diagnosticsFile(diagnostics.session))
        } catch let error as PrivateFileError {
            throw error
        } catch {
            throw .cannotWrite(path: diagnosticsFile(diagnostics.session).path, detail: "\(error)")
        }
    }

    /// The diagnostics a session wrote, if it is connected (and the file is this user's alone).
    public func diagnostics(_ id: String) -> SessionDiagnostics? {
        let file = diagnosticsFile(id)
        guard (try? directory.check()) != nil, PrivateFile.isPrivate(file) else { return nil }
        return try? JSONDecoder().decode(SessionDiagnostics.self, from: Data(contentsOf: file))
    }

    func diagnosticsFile(_ id: String) -> URL {
        directory.url.appendingPathComponent("\(id).diagnostics")
    }
}

/// Which variables of a container's environment come from Secrets: those with a `secretKeyRef`,
/// and the keys of the Secrets of its `envFrom` (read from the cluster; when a Secret cannot be
/// read, every variable the container does not declare by name is taken for one of it).
public enum SecretVariables {
    public static func names(of container: Container, in environment: [String: String], client: KubernetesClient, namespace: String) async -> Set<String> {
        var names = Set((container.env ?? []).filter { $0.valueFrom?.secretKeyRef != nil }.map(\.name))
        for source in container.envFrom ?? [] {
            guard let reference = source.secretRef else { continue }
            let prefix = source.prefix ?? ""
            if let secret = try? await client.getRaw(.secrets, name: reference.name ?? "", namespace: namespace) {
                let keys = (secret["data"]?.objectValue?.keys).map(Array.init) ?? []
                names.formUnion(keys.map { prefix + $0 })
            } else {
                let declared = Set((container.env ?? []).map(\.name))
                names.formUnion(environment.keys.filter { !declared.contains($0) && $0.hasPrefix(prefix) })
            }
        }
        return expanding(names, through: container.env ?? []).intersection(environment.keys)
    }

    /// `names` and the variables whose values name one of them (`postgres://app:$(DB_PASSWORD)@db`
    /// holds the password once the kubelet expanded it), until nothing more is found.
    static func expanding(_ names: Set<String>, through env: [EnvVar]) -> Set<String> {
        var names = names
        var grew = true
        while grew {
            let before = names.count
            for variable in env where !names.contains(variable.name) {
                if let value = variable.value, names.contains(where: { value.contains("$(\($0))") }) { names.insert(variable.name) }
            }
            grew = names.count > before
        }
        return names
    }
}

extension SessionDiagnostics {
    /// The regular files at `path` (1 for a file itself).
    static func fileCount(_ path: String) -> Int {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return 0 }
        guard isFolder.boolValue else { return 1 }
        var count = 0
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            var inner: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &inner), !inner.boolValue { count += 1 }
        }
        return count
    }

    /// The diagnostics of a session just connected.
    init(_ connection: SessionConnection, envFile: String?, connectedAt: String) {
        let files = connection.files
        var mounts: [String: Int] = [:]
        for path in files.mountPaths {
            mounts[path] = Self.fileCount(files.local.localPath(of: path))
        }
        self.init(
            session: connection.identity.id, agentPod: connection.agentPod.metadata.nameOrEmpty, environment: connection.environment,
            secretVariables: connection.secretVariables.sorted(),
            names: connection.outbound.entries.map { entry in
                let names = connection.outbound.hostsEntries.first { $0.address == entry.allocation.address }?.names ?? [entry.service]
                return Name(names: names, address: entry.allocation.address, ports: entry.ports.map { port in
                    Port(port: port.port, localPort: entry.allocation.localPort(for: port.port), target: "\(entry.dialHost):\(port.port)")
                })
            },
            hostsFile: connection.hostsFile?.path, envFile: envFile,
            files: Files(root: files.local.root.path, mounts: mounts, links: files.local.links),
            connectedAt: connectedAt
        )
    }
}
