import ArgumentParser
import Foundation
import KubernetesClient
import LocalEndpoints

/// `kbridge vscode`: Visual Studio Code's side, configured once and reused on every launch.
struct VSCodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vscode", abstract: "Configure Visual Studio Code to debug with kbridge.", subcommands: [VSCodeInitCommand.self]
    )
}

/// `kbridge vscode init --service S --local-port P [--launch NAME]`: adds to `.vscode/tasks.json`
/// a background task that runs `kbridge connect` (ready at its `connected` event), and to
/// `.vscode/launch.json` a copy of a launch configuration, "NAME with Kubernetes", that starts that
/// task first and gets the session's env file. Comments and other entries are kept; running it
/// again updates kbridge's two entries instead of adding more.
struct VSCodeInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Add a kbridge connect task and a \"... with Kubernetes\" launch configuration to .vscode/.",
        discussion: "The task writes the pod's environment to .vscode/kbridge-SERVICE.env (listed in .vscode/.gitignore: it holds Secrets' values)."
    )

    @Option(help: "The service whose traffic comes to the debugged app.")
    var service: String

    @Option(help: "The local port the debugged app listens on.")
    var localPort: Int

    @Option(help: "The launch configuration to copy (default: the only one in launch.json).")
    var launch: String?

    @Option(name: [.short, .long], help: "The namespace to pass to kbridge connect.")
    var namespace: String?

    @Option(help: "The workspace folder (default: the working directory).")
    var folder: String = "."

    @OptionGroup var format: OutputOptions

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func validate() throws {
        guard ConnectCommand.isServiceName(service) else { throw ValidationError("--service must be the name of a service: got '\(service)'") }
        guard (1...65535).contains(localPort) else { throw ValidationError("--local-port must be between 1 and 65535") }
    }

    func run() throws {
        let console = Console(format: format.output)
        do {
            let folder = URL(fileURLWithPath: self.folder).appendingPathComponent(".vscode")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let tasks = folder.appendingPathComponent("tasks.json")
            let launchFile = folder.appendingPathComponent("launch.json")
            let launchText = try read(launchFile) ?? ""
            guard !launchText.isEmpty else {
                throw Failure(description: "\(launchFile.path) does not exist: create the launch configuration that debugs your app first (Run > Add Configuration...), then run this again")
            }
            var launchDocument = try document(launchText, file: launchFile)
            let (configurationName, before) = try update(&launchDocument, file: launchFile)
            var tasksDocument = try document(try read(tasks) ?? #"{"version": "2.0.0", "tasks": []}"#, file: tasks)
            try updateTasks(&tasksDocument, task: task(after: before), file: tasks)
            try write(tasksDocument.text, to: tasks)
            try write(launchDocument.text, to: launchFile)
            try ignoreEnvFiles(in: folder)
            console.result(
                "\(tasks.path): task \"\(taskLabel)\"\n\(launchFile.path): \"\(configurationName)\" runs it first and gets the pod's environment: choose it in Run and Debug",
                event: "vscode", fields: ["task": .string(taskLabel), "launch": .string(configurationName)]
            )
        } catch {
            console.failure(String(describing: error))
            throw ExitCode(1)
        }
    }

    var taskLabel: String { "kbridge: connect \(service)" }
    var envFile: String { "${workspaceFolder}/.vscode/kbridge-\(service).env" }

    /// The background task: `kbridge connect` with JSON events; ready at `connected`. It runs
    /// after `before` (the copied configuration's own `preLaunchTask`, such as a build).
    func task(after before: String?) -> JSONValue {
        var arguments: [JSONValue] = ["connect", "--service", .string(service), "--local-port", .string(String(localPort)), "--env-file", .string(envFile), "--output", "json"]
        if let namespace { arguments += ["--namespace", .string(namespace)] }
        var task: JSONValue = [
            "label": .string(taskLabel), "type": "process", "command": "kbridge", "args": .array(arguments), "isBackground": true,
            "problemMatcher": [
                "owner": "kbridge",
                "pattern": ["regexp": #""event":"error","message":"(.*)""#, "message": 1],
                "background": ["activatesByDefault": true, "beginsPattern": #""event":"progress""#, "endsPattern": #""event":"connected""#],
            ],
        ]
        if let before { task["dependsOn"] = .string(before) }
        return task
    }

    private func updateTasks(_ document: inout JSONCDocument, task: JSONValue, file: URL) throws {
        guard case .object = document.root else { throw Failure(description: "\(file.path) is not a JSON object") }
        if document.root.member("tasks") == nil {
            document.add("tasks", "[]", to: document.root)
            document = try self.document(document.text, file: file)
        }
        guard let list = document.root.member("tasks") else { throw Failure(description: "\(file.path): cannot add a \"tasks\" list") }
        try put(task, matching: "label", taskLabel, in: list, of: &document, file: file)
    }

    /// Puts the copy of the chosen launch configuration in place; returns its name and the task
    /// the original ran first (which kbridge's task now runs first).
    private func update(_ document: inout JSONCDocument, file: URL) throws -> (name: String, before: String?) {
        guard let list = document.root.member("configurations"), case .array(let configurations, _) = list else {
            throw Failure(description: "\(file.path) has no \"configurations\" list")
        }
        let suffix = " with Kubernetes"
        let candidates = configurations.map(\.value).filter { !($0["name"]?.stringValue ?? "").hasSuffix(suffix) }
        let base: JSONValue
        if let launch {
            guard let found = candidates.first(where: { $0["name"]?.stringValue == launch }) else {
                throw Failure(description: "\(file.path) has no launch configuration \"\(launch)\" (its configurations: \(Self.names(candidates)))")
            }
            base = found
        } else {
            guard candidates.count == 1, let only = candidates.first else {
                throw Failure(description: candidates.isEmpty
                    ? "\(file.path) has no launch configuration to copy: add the one that debugs your app first"
                    : "\(file.path) has several launch configurations (\(Self.names(candidates))): choose one with --launch")
            }
            base = only
        }
        var copy = base
        let name = (base["name"]?.stringValue ?? "app") + suffix
        let before = base["preLaunchTask"]?.stringValue.flatMap { $0 == taskLabel ? nil : $0 }
        if let own = base["envFile"]?.stringValue, own != envFile {
            FileHandle.standardError.write(Data("warning: \"\(name)\" reads the pod's environment from \(envFile) instead of \(own) (a launch configuration has one envFile)\n".utf8))
        }
        copy["name"] = .string(name)
        copy["preLaunchTask"] = .string(taskLabel)
        copy["envFile"] = .string(envFile)
        var environment = copy["env"]?.objectValue ?? [:]
        environment["GRPC_DNS_RESOLVER"] = "native"
        copy["env"] = .object(environment)
        try put(copy, matching: "name", name, in: list, of: &document, file: file)
        return (name, before)
    }

    /// Replaces the element of `list` whose `key` is `value` with `element`, or appends it.
    private func put(_ element: JSONValue, matching key: String, _ value: String, in list: JSONCDocument.Node, of document: inout JSONCDocument, file: URL) throws {
        guard case .array(let elements, _) = list else { throw Failure(description: "\(file.path): the list kbridge adds to is not a list") }
        let matching = elements.filter { $0.member(key)?.value.stringValue == value }
        if let existing = matching.first {
            guard matching.count == 1 else { throw Failure(description: "\(file.path) has \(matching.count) entries with \(key) \"\(value)\": remove all but one") }
            document.replace(existing.range, with: JSONCDocument.render(element, indent: document.indentation(at: existing.range.lowerBound)))
        } else {
            let indent = elements.last.map { document.indentation(at: $0.range.lowerBound) } ?? document.indentation(at: list.range.lowerBound) + "    "
            document.append(JSONCDocument.render(element, indent: indent), to: list)
        }
    }

    private static func names(_ configurations: [JSONValue]) -> String {
        configurations.map { "\"\($0["name"]?.stringValue ?? "?")\"" }.joined(separator: ", ")
    }

    private func document(_ text: String, file: URL) throws -> JSONCDocument {
        do {
            return try JSONCDocument(text)
        } catch {
            throw Failure(description: "\(file.path): \(error); kbridge changes nothing in a file it cannot read")
        }
    }

    private func read(_ file: URL) throws -> String? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read \(file.path): \(error.localizedDescription)")
        }
    }

    private func write(_ text: String, to file: URL) throws {
        var info = stat()
        let mode = stat(file.path, &info) == 0 ? mode_t(info.st_mode & 0o777) : 0o644
        do {
            try FileReplacement.replace(file.path, with: Data(text.utf8), mode: mode)
        } catch {
            throw Failure(description: "cannot write \(file.path): \(error.detail)")
        }
    }

    /// The env files hold Secrets' values: `.vscode/.gitignore` lists them.
    private func ignoreEnvFiles(in folder: URL) throws {
        let ignore = folder.appendingPathComponent(".gitignore")
        let pattern = "kbridge-*.env"
        let existing = try read(ignore) ?? ""
        guard !existing.split(whereSeparator: \.isNewline).contains(where: { $0.trimmingCharacters(in: .whitespaces) == pattern }) else { return }
        try write(existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + "# kbridge's env files hold the pod's Secrets\n\(pattern)\n", to: ignore)
    }
}
