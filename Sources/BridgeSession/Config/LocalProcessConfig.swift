import Foundation
import Yams

/// `KubernetesLocalProcessConfig.yaml`, Bridge to Kubernetes' schema exactly: files and names of
/// the cluster the local process gets beyond the pod's environment.
///
/// ```yaml
/// version: 0.1
/// volumeMounts:
///   - name: default-token-*                       # volume names, * as a wildcard
///     localPath: /var/run/secrets/kubernetes.io/serviceaccount
/// env:
///   - name: TOKEN_DIR
///     value: $(volumeMounts:default-token-*)
///   - name: RATES_URL
///     value: http://$(services:rates.shared:9000):9000/
/// enableFeatures: [Probes]
/// ```
///
/// Everything wrong in the file is an error naming `FILE:LINE:COLUMN`, found before anything in
/// the cluster is touched; what refers to the cluster (volumes, services) is checked against it
/// before the take-over (`LocalProcessConfig.Resolution`).
public struct LocalProcessConfig: Sendable, Equatable {
    public static let fileName = "KubernetesLocalProcessConfig.yaml"
    /// The newest schema version this kbridge reads.
    public static let newestVersion = "0.1"

    public struct Variable: Sendable, Equatable {
        public var name: String
        public var value: ConfigValue
        public var place: ConfigPlace
    }

    /// Volumes (by name, `*` wildcards allowed) to download to a folder of the user's choosing.
    public struct VolumeMount: Sendable, Equatable {
        public var name: String
        public var localPath: String
        public var place: ConfigPlace
    }

    public enum Feature: String, Sendable, CaseIterable {
        /// The app's probes stay on the agent (answered by the local app, through the redirect).
        case probes = "Probes"
        /// The app's lifecycle hooks stay on the agent.
        case lifecycleHooks = "LifecycleHooks"
    }

    /// Why the file cannot be used: where, and what.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var place: ConfigPlace
        public var message: String
        public var description: String { "\(place): \(message)" }
    }

    public var file: String
    public var env: [Variable] = []
    public var volumeMounts: [VolumeMount] = []
    public var features: Set<Feature> = []
    /// What the file says that kbridge does not do (unknown or unsupported features).
    public var warnings: [String] = []

    static let keys = ["version", "env", "volumeMounts", "enableFeatures"]

    /// Reads the file at `path`.
    public static func load(_ path: String) throws(Problem) -> LocalProcessConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(place: ConfigPlace(file: path, line: 1, column: 1), message: "cannot read it: \((error as NSError).localizedDescription)")
        }
        return path.hasSuffix(".env") ? try LegacyEnvFile.parse(text, file: path) : try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(Problem) -> LocalProcessConfig {
        let start = ConfigPlace(file: file, line: 1, column: 1)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw yamlProblem(error, file: file)
        }
        guard let root else { throw Problem(place: start, message: "the file is empty: it needs at least \"version: \(newestVersion)\"") }
        guard case .mapping(let mapping) = root else { throw Problem(place: place(root, file), message: "expected a mapping with version, env, volumeMounts and enableFeatures") }
        var config = LocalProcessConfig(file: file)
        var version: Node?
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            switch name {
            case "version": version = value
            case "env": config.env = try variables(value, file: file)
            case "volumeMounts": config.volumeMounts = try mounts(value, file: file)
            case "enableFeatures": (config.features, config.warnings) = try features(value, file: file)
            default:
                throw Problem(place: place(key, file), message: "unknown key \"\(name)\" (known: \(keys.joined(separator: ", ")))")
            }
        }
        guard let version else { throw Problem(place: place(root, file), message: "the required key \"version\" is missing (write \"version: \(newestVersion)\")") }
        guard let number = version.scalar.flatMap({ Double($0.string) }), version.scalar?.string.isEmpty == false else {
            throw Problem(place: place(version, file), message: "version must be a number such as \(newestVersion)")
        }
        guard number <= Double(newestVersion) ?? 0 else {
            throw Problem(place: place(version, file), message: "version \(version.scalar?.string ?? "") is newer than this kbridge reads (\(newestVersion)): update kbridge")
        }
        return config
    }

    // MARK: - The parts

    private static func variables(_ node: Node, file: String) throws(Problem) -> [Variable] {
        var seen: [String: ConfigPlace] = [:]
        var variables: [Variable] = []
        for item in try list(node, named: "env", file: file) {
            let fields = try entry(item, of: "env", required: ["name", "value"], file: file)
            let (nameNode, valueNode) = (fields["name"]!, fields["value"]!)
            let name = try text(nameNode, field: "env name", file: file)
            guard isVariableName(name) else {
                throw Problem(place: place(nameNode, file), message: "\"\(name)\" is not a variable name (letters, digits and _, not starting with a digit)")
            }
            if let first = seen[name] {
                throw Problem(place: place(nameNode, file), message: "the variable \(name) is set twice (first at line \(first.line))")
            }
            seen[name] = place(nameNode, file)
            let raw = try text(valueNode, field: "env value", file: file)
            let value: ConfigValue
            do {
                value = try ConfigValue.parse(raw) { offset in place(valueNode, file, offset: offset) }
            } catch {
                throw Problem(place: place(valueNode, file, offset: error.offset), message: error.message)
            }
            variables.append(Variable(name: name, value: value, place: place(nameNode, file)))
        }
        return variables
    }

    private static func mounts(_ node: Node, file: String) throws(Problem) -> [VolumeMount] {
        var mounts: [VolumeMount] = []
        for item in try list(node, named: "volumeMounts", file: file) {
            let fields = try entry(item, of: "volumeMounts", required: ["name", "localPath"], file: file)
            let (nameNode, pathNode) = (fields["name"]!, fields["localPath"]!)
            let name = try text(nameNode, field: "volumeMounts name", file: file)
            guard ConfigValue.isVolumePattern(name) else {
                throw Problem(place: place(nameNode, file), message: "\"\(name)\" is not a volume name (lowercase letters, digits, '-', '.', and * as a wildcard)")
            }
            let localPath = try checkedLocalPath(try text(pathNode, field: "localPath", file: file), at: place(pathNode, file), besides: mounts)
            mounts.append(VolumeMount(name: name, localPath: localPath, place: place(nameNode, file)))
        }
        return mounts
    }

    private static func features(_ node: Node, file: String) throws(Problem) -> (Set<Feature>, [String]) {
        var features: Set<Feature> = []
        var warnings: [String] = []
        for item in try list(node, named: "enableFeatures", file: file) {
            let name = try text(item, field: "enableFeatures entry", file: file)
            if let feature = Feature.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) {
                features.insert(feature)
            } else if name.lowercased() == "managedidentity" {
                warnings.append("\(place(item, file)): ManagedIdentity is Azure's (a token service for Azure managed identities): kbridge does not support it; ignored")
            } else {
                warnings.append("\(place(item, file)): unknown feature \"\(name)\" (known: \(Feature.allCases.map(\.rawValue).joined(separator: ", "))); ignored")
            }
        }
        return (features, warnings)
    }

    // MARK: - Nodes

    /// A list; nothing at all (`env:` alone) is an empty one.
    private static func list(_ node: Node, named key: String, file: String) throws(Problem) -> [Node] {
        switch node {
        case .sequence(let sequence): return Array(sequence)
        case .scalar(let scalar) where scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string): return []
        default: throw Problem(place: place(node, file), message: "\(key) must be a list (entries starting with \"- \")")
        }
    }

    /// A mapping with exactly the keys `required`, each present.
    private static func entry(_ node: Node, of key: String, required: [String], file: String) throws(Problem) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw Problem(place: place(node, file), message: "each \(key) entry must be a mapping with \(required.joined(separator: " and "))")
        }
        var fields: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let name = keyNode.scalar?.string ?? ""
            guard required.contains(name) else {
                throw Problem(place: place(keyNode, file), message: "unknown key \"\(name)\" in a \(key) entry (known: \(required.joined(separator: ", ")))")
            }
            fields[name] = value
        }
        if let missing = required.first(where: { fields[$0] == nil }) {
            throw Problem(place: place(node, file), message: "this \(key) entry has no \"\(missing)\"")
        }
        return fields
    }

    private static func text(_ node: Node, field: String, file: String) throws(Problem) -> String {
        guard case .scalar(let scalar) = node else { throw Problem(place: place(node, file), message: "\(field) must be text, not a list or a mapping") }
        return scalar.string
    }

    /// A `localPath` as kbridge uses it (`~/` expanded, normalised), refused where it must not go:
    /// relative, with `.` or `..`, in a hidden folder of the home, or at, in or around another's.
    static func checkedLocalPath(_ written: String, at place: ConfigPlace, besides mounts: [VolumeMount]) throws(Problem) -> String {
        var localPath = written
        if localPath.hasPrefix("~/") { localPath = NSHomeDirectory() + localPath.dropFirst() }
        guard localPath.hasPrefix("/"), !localPath.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw Problem(place: place, message: "localPath \"\(localPath)\" must be an absolute path (or start with ~/), without . or ..")
        }
        localPath = URL(fileURLWithPath: localPath).standardized.path
        // A config found in a cloned project must not put the cluster's files where programs of
        // this machine read their own settings (~/.config, ~/.ssh, ...).
        let home = URL(fileURLWithPath: NSHomeDirectory()).standardized.path
        if localPath.hasPrefix(home + "/"), localPath.dropFirst(home.count + 1).split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            throw Problem(place: place, message: "localPath \(localPath) is inside a hidden folder of your home, where programs keep their settings: kbridge does not put the cluster's files there")
        }
        if let other = mounts.first(where: { $0.localPath == localPath || localPath.hasPrefix($0.localPath + "/") || $0.localPath.hasPrefix(localPath + "/") }) {
            throw Problem(place: place, message: "localPath \(localPath) is, or is inside or around, the localPath of line \(other.place.line): give each volume a folder of its own")
        }
        return localPath
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// Where `node` starts; with `offset`, that many characters into a one-line scalar (past its quote).
    /// Where `node` starts; with `offset` (characters into the scalar's text), that far into a
    /// plain or quoted scalar on one line, counted as YAML counts columns (Unicode scalars). A
    /// block scalar (`|`, `>`) or an escape before the offset: the scalar's start.
    static func place(_ node: Node, _ file: String, offset: Int = 0) -> ConfigPlace {
        let mark = node.mark
        var column = mark?.column ?? 1
        if case .scalar(let scalar) = node, offset > 0, !scalar.string.contains("\n") {
            let prefix = String(scalar.string.prefix(offset))
            switch scalar.style {
            case .plain: column += prefix.unicodeScalars.count
            case .singleQuoted where !prefix.contains("'"): column += 1 + prefix.unicodeScalars.count
            case .doubleQuoted where !prefix.contains(where: { $0 == "\\" || $0 == "\"" || $0.isNewline || $0 == "\t" }): column += 1 + prefix.unicodeScalars.count
            default: break
            }
        } else if case .scalar(let scalar) = node, scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            column += 1
        }
        return ConfigPlace(file: file, line: mark?.line ?? 1, column: column)
    }

    private static func yamlProblem(_ error: any Error, file: String) -> Problem {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _)?, .parser(_, let problem, let mark, _)?, .composer(_, let problem, let mark, _)?:
            return Problem(place: ConfigPlace(file: file, line: mark.line, column: mark.column), message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context)?:
            return Problem(place: ConfigPlace(file: file, line: context.mark.line, column: context.mark.column), message: "the key \(duplicates.joined(separator: ", ")) appears twice")
        default:
            return Problem(place: ConfigPlace(file: file, line: 1, column: 1), message: "not valid YAML: \(error)")
        }
    }
}
