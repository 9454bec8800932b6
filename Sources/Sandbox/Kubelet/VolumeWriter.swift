import Foundation
import KubernetesClient

/// Materialises a pod's volumes as files, under the pod's folder:
///
/// - `<pod>/volumes/<volume>/…` holds each volume's files;
/// - `<pod>/containers/<container>/root` is the container's filesystem root, where each
///   `volumeMount` appears at its `mountPath` as a link into the volume.
///
/// A container gets that root as `CONTAINER_ROOT`: a file mounted at `/etc/config/app.json`
/// is at `$CONTAINER_ROOT/etc/config/app.json` (the sandbox's documented convention).
struct VolumeWriter {
    enum Failure: Error, CustomStringConvertible {
        /// A volume's source is missing; the pod waits in `ContainerCreating`, as with `FailedMount`.
        case missingSource(String)

        var description: String {
            switch self {
            case .missingSource(let message): return message
            }
        }
    }

    let podDirectory: URL

    var volumesDirectory: URL { podDirectory.appendingPathComponent("volumes") }

    func containerRoot(_ container: String) -> URL {
        podDirectory.appendingPathComponent("containers").appendingPathComponent(container).appendingPathComponent("root")
    }

    /// Writes every volume's files; existing files are replaced only when their content changed.
    func writeVolumes(
        of pod: JSONValue, configMaps: [String: JSONValue], secrets: [String: JSONValue], podIP: String,
        token: (String, Int?) async throws -> String
    ) async throws(Failure) {
        for volume in pod[path: "spec", "volumes"]?.arrayValue ?? [] {
            let name = volume["name"]?.stringValue ?? ""
            let directory = volumesDirectory.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var files: [String: Data] = [:]
            if let source = volume["configMap"] {
                files = try configMapFiles(source, configMaps: configMaps)
            } else if let source = volume["secret"] {
                files = try secretFiles(source, secrets: secrets)
            } else if let source = volume["downwardAPI"] {
                files = downwardFiles(source, pod: pod, podIP: podIP)
            } else if let sources = volume[path: "projected", "sources"]?.arrayValue {
                for source in sources {
                    if let configMap = source["configMap"] { files.merge(try configMapFiles(configMap, configMaps: configMaps)) { $1 } }
                    if let secret = source["secret"] { files.merge(try secretFiles(secret, secrets: secrets)) { $1 } }
                    if let downward = source["downwardAPI"] { files.merge(downwardFiles(downward, pod: pod, podIP: podIP)) { $1 } }
                    if let request = source["serviceAccountToken"] {
                        let account = pod[path: "spec", "serviceAccountName"]?.stringValue ?? "default"
                        let path = request["path"]?.stringValue ?? "token"
                        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path) {
                            do {
                                files[path] = Data(try await token(account, request["expirationSeconds"]?.intValue).utf8)
                            } catch {
                                throw .missingSource("cannot get a token for service account \"\(account)\": \(error)")
                            }
                        }
                    }
                }
            }
            for (relativePath, content) in files { write(content, to: directory.appendingPathComponent(relativePath)) }
        }
    }

    /// Lays out a container's root: one link per volume mount, at its mount path.
    func prepareRoot(for container: JSONValue) throws {
        let name = container["name"]?.stringValue ?? "container"
        let root = containerRoot(name)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for mount in container["volumeMounts"]?.arrayValue ?? [] {
            guard let volume = mount["name"]?.stringValue, let mountPath = mount["mountPath"]?.stringValue else { continue }
            let relativeMount = mountPath.split(separator: "/").map(String.init)
            guard !relativeMount.isEmpty else { continue }
            // Relative, within the pod's folder: it resolves wherever that folder is seen from
            // (`ContainerLaunch.podMountPoint` in an isolated container).
            var target = "../../" + String(repeating: "../", count: relativeMount.count) + "volumes/\(volume)"
            if let subPath = mount["subPath"]?.stringValue, !subPath.isEmpty { target += "/" + subPath }
            let link = root.appendingPathComponent(relativeMount.joined(separator: "/"))
            try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == target { continue }
            try? FileManager.default.removeItem(at: link)
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target)
        }
    }

    private func configMapFiles(_ source: JSONValue, configMaps: [String: JSONValue]) throws(Failure) -> [String: Data] {
        let name = source["name"]?.stringValue ?? ""
        guard let configMap = configMaps[name] else {
            if source["optional"]?.boolValue == true { return [:] }
            throw .missingSource("configmap \"\(name)\" not found")
        }
        var values: [String: Data] = [:]
        for (key, value) in configMap["data"]?.objectValue ?? [:] { values[key] = Data((value.stringValue ?? "").utf8) }
        for (key, value) in configMap["binaryData"]?.objectValue ?? [:] { values[key] = Data(base64Encoded: value.stringValue ?? "") ?? Data() }
        return select(values, items: source["items"])
    }

    private func secretFiles(_ source: JSONValue, secrets: [String: JSONValue]) throws(Failure) -> [String: Data] {
        let name = source["secretName"]?.stringValue ?? source["name"]?.stringValue ?? ""
        guard let secret = secrets[name] else {
            if source["optional"]?.boolValue == true { return [:] }
            throw .missingSource("secret \"\(name)\" not found")
        }
        var values: [String: Data] = [:]
        for (key, value) in secret["data"]?.objectValue ?? [:] { values[key] = Data(base64Encoded: value.stringValue ?? "") ?? Data() }
        return select(values, items: source["items"])
    }

    private func downwardFiles(_ source: JSONValue, pod: JSONValue, podIP: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for item in source["items"]?.arrayValue ?? [] {
            guard let path = item["path"]?.stringValue, let field = item[path: "fieldRef", "fieldPath"]?.stringValue else { continue }
            files[path] = Data((ContainerEnvironment.fieldValue(field, pod: pod, podIP: podIP, hostIP: "127.0.0.1") ?? "").utf8)
        }
        return files
    }

    /// Keeps only the listed keys, at their listed paths, when `items` is given.
    private func select(_ values: [String: Data], items: JSONValue?) -> [String: Data] {
        guard let items = items?.arrayValue, !items.isEmpty else { return values }
        var selected: [String: Data] = [:]
        for item in items {
            guard let key = item["key"]?.stringValue, let path = item["path"]?.stringValue, let value = values[key] else { continue }
            selected[path] = value
        }
        return selected
    }

    private func write(_ content: Data, to file: URL) {
        if FileManager.default.contents(atPath: file.path) == content { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).tmp")
        do {
            try content.write(to: temporary)
            _ = try FileManager.default.replaceItemAt(file, withItemAt: temporary)
        } catch {
            try? content.write(to: file)
        }
    }
}
