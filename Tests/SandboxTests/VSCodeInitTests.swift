import Foundation
import KubernetesClient
import Testing

/// `kbridge vscode init`, run as a user runs it on a `.vscode/` that has comments and entries of
/// its own.
@Suite struct VSCodeInitTests {
    static let launch = """
        {
            // Use IntelliSense to learn about possible attributes.
            "version": "0.2.0",
            "configurations": [
                {
                    "name": "Python: api", // the app
                    "type": "python",
                    "request": "launch",
                    "program": "${workspaceFolder}/api.py",
                    "preLaunchTask": "build",
                    /* keep this */
                    "env": {"PORT": "8080"},
                },
                {"name": "Attach", "type": "python", "request": "attach"},
            ]
        }
        """
    static let tasks = """
        {
            "version": "2.0.0",
            /* the team's tasks */
            "tasks": [
                // build first
                {"label": "build", "type": "shell", "command": "make"},
            ],
        }
        """

    private func workspace() throws -> String {
        let folder = NSTemporaryDirectory() + "kbridge-vscode-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/.vscode", withIntermediateDirectories: true)
        try Self.launch.write(toFile: folder + "/.vscode/launch.json", atomically: true, encoding: .utf8)
        try Self.tasks.write(toFile: folder + "/.vscode/tasks.json", atomically: true, encoding: .utf8)
        return folder
    }

    @Test func runTwiceItKeepsEverythingAndHoldsOneTaskAndOneLaunchEntry() async throws {
        let folder = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for port in ["8080", "8081"] {
            let run = try await Tools.run(Tools.kbridge, ["vscode", "init", "--service", "api", "--local-port", port, "--launch", "Python: api", "--folder", folder])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let tasksText = try String(contentsOfFile: folder + "/.vscode/tasks.json", encoding: .utf8)
        let launchText = try String(contentsOfFile: folder + "/.vscode/launch.json", encoding: .utf8)
        for (before, after) in [(Self.tasks, tasksText), (Self.launch, launchText)] {
            #expect(Self.keepsInOrder(before, after), "every line that was there is still there, in order:\n\(after)")
        }
        let tasks = try #require(Self.parseJSONWithComments(tasksText), "tasks.json parses as JSON with comments:\n\(tasksText)")
        let launch = try #require(Self.parseJSONWithComments(launchText), "launch.json parses as JSON with comments:\n\(launchText)")
        let kbridgeTasks = tasks["tasks"]?.arrayValue?.filter { $0["command"] == "kbridge" } ?? []
        #expect(kbridgeTasks.count == 1, "\(tasksText)")
        #expect(tasks["tasks"]?.arrayValue?.first?["label"] == "build")
        let task = try #require(kbridgeTasks.first)
        #expect(task["label"] == "kbridge: connect api" && task["isBackground"] == true)
        #expect(task["args"]?.arrayValue?.contains("8081") == true, "the second run updated it")
        #expect(task[path: "problemMatcher", "background", "endsPattern"]?.stringValue?.contains("connected") == true)
        #expect(task["dependsOn"] == "build", "the copied configuration's own pre-launch task still runs, first")
        let configurations = launch["configurations"]?.arrayValue ?? []
        #expect(configurations.map { $0["name"]?.stringValue ?? "" } == ["Python: api", "Attach", "Python: api with Kubernetes"])
        let copy = try #require(configurations.last)
        #expect(copy["preLaunchTask"] == "kbridge: connect api")
        #expect(copy["envFile"] == "${workspaceFolder}/.vscode/kbridge-api.env")
        #expect(copy["env"] == ["PORT": "8080", "GRPC_DNS_RESOLVER": "native"])
        #expect(copy["program"] == configurations.first?["program"])
        let ignore = try String(contentsOfFile: folder + "/.vscode/.gitignore", encoding: .utf8)
        #expect(ignore.components(separatedBy: "kbridge-*.env").count == 2, "the env files are ignored, once: \(ignore)")
    }

    @Test func withoutALaunchConfigurationToCopyItSaysWhatToDoAndWritesNothing() async throws {
        let folder = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ambiguous = try await Tools.run(Tools.kbridge, ["vscode", "init", "--service", "api", "--local-port", "8080", "--folder", folder])
        #expect(ambiguous.status != 0 && ambiguous.stderr.contains(#"several launch configurations ("Python: api", "Attach"): choose one with --launch"#), "\(ambiguous.stderr)")
        let unknown = try await Tools.run(Tools.kbridge, ["vscode", "init", "--service", "api", "--local-port", "8080", "--launch", "Go", "--folder", folder])
        #expect(unknown.status != 0 && unknown.stderr.contains(#"has no launch configuration "Go""#), "\(unknown.stderr)")
        try FileManager.default.removeItem(atPath: folder + "/.vscode/launch.json")
        let missing = try await Tools.run(Tools.kbridge, ["vscode", "init", "--service", "api", "--local-port", "8080", "--folder", folder])
        #expect(missing.status != 0 && missing.stderr.contains("launch.json does not exist"), "\(missing.stderr)")
        try "{ \"configurations\": [ {\"name\": \"x\" ".write(toFile: folder + "/.vscode/launch.json", atomically: true, encoding: .utf8)
        let broken = try await Tools.run(Tools.kbridge, ["vscode", "init", "--service", "api", "--local-port", "8080", "--folder", folder])
        #expect(broken.status != 0 && broken.stderr.contains("line 1, column"), "\(broken.stderr)")
        #expect(try String(contentsOfFile: folder + "/.vscode/tasks.json", encoding: .utf8) == Self.tasks, "tasks.json untouched")
    }

    /// Whether every line of `before` is in `after`, in the same order.
    static func keepsInOrder(_ before: String, _ after: String) -> Bool {
        var remaining = after.split(separator: "\n")[...]
        for line in before.split(separator: "\n") {
            guard let found = remaining.firstIndex(of: line) else { return false }
            remaining = remaining[(found + 1)...]
        }
        return true
    }

    /// The test's own reading of JSON with comments (as VS Code reads it: `//`, `/* */`, trailing
    /// commas): comments and trailing commas dropped outside strings, then strict JSON.
    static func parseJSONWithComments(_ text: String) -> JSONValue? {
        var output: [Character] = []
        let characters = Array(text)
        var index = 0
        var inString = false
        while index < characters.count {
            let character = characters[index]
            if inString {
                output.append(character)
                if character == "\\", index + 1 < characters.count { output.append(characters[index + 1]); index += 2; continue }
                if character == "\"" { inString = false }
                index += 1
            } else if character == "\"" {
                inString = true
                output.append(character)
                index += 1
            } else if character == "/", index + 1 < characters.count, characters[index + 1] == "/" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
            } else if character == "/", index + 1 < characters.count, characters[index + 1] == "*" {
                index += 2
                while index + 1 < characters.count, !(characters[index] == "*" && characters[index + 1] == "/") { index += 1 }
                index += 2
            } else if character == "]" || character == "}" {
                while let last = output.last, last.isWhitespace { output.removeLast() }
                if output.last == "," { output.removeLast() }
                output.append(character)
                index += 1
            } else {
                output.append(character)
                index += 1
            }
        }
        return try? JSONValue.parse(String(output))
    }
}
