@testable import BridgeSession
import Foundation
import Testing

/// Records, logs and env files hold secrets: only their user may read them or plant one.
@Suite struct PrivateFilesTests {
    private func scratch() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("private-files-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func mode(_ url: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? -1
    }

    @Test func theFolderIsCreatedForThisUserAloneAndFilesAre0600() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let sessions = PrivateDirectory(url: root.appendingPathComponent("kbridge-\(geteuid())")).appending("sessions")
        let registry = SessionRegistry(directory: sessions)
        let record = SessionRecord(
            id: "abc12345", pid: getpid(), service: "api", workload: WorkloadReference(kind: .deployment, name: "api", namespace: "shop"),
            kubeconfig: nil, context: nil, hostsFile: nil, localPort: 5000, startedAt: "2026-11-29T00:00:00Z"
        )
        try registry.save(record)
        #expect(try mode(sessions.url) == 0o700)
        #expect(try mode(sessions.url.deletingLastPathComponent()) == 0o700)
        #expect(try mode(sessions.url.appendingPathComponent("abc12345.json")) == 0o600)
        #expect(registry.all() == [record])
    }

    @Test(arguments: [0o777, 0o755, 0o750])
    func aFolderOpenToOthersIsRefused(_ permissions: Int) throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = PrivateDirectory(url: root.appendingPathComponent("kbridge-\(geteuid())"))
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: false)
        chmod(folder.url.path, mode_t(permissions))
        #expect(throws: PrivateFileError.unsafeDirectory(path: folder.url.path, reason: "has mode \(String(permissions, radix: 8)), open to others")) { try folder.ensure() }
        #expect(SessionRegistry(directory: folder).all().isEmpty)
        // A private folder inside an open one is no better: anyone may replace it.
        #expect(throws: PrivateFileError.unsafeDirectory(path: folder.url.path, reason: "has mode \(String(permissions, radix: 8)), open to others")) {
            try folder.appending("sessions").ensure()
        }
    }

    @Test func aLinkInPlaceOfTheFolderIsRefused() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: false)
        let link = PrivateDirectory(url: root.appendingPathComponent("kbridge-link"))
        try FileManager.default.createSymbolicLink(at: link.url, withDestinationURL: elsewhere)
        #expect(throws: PrivateFileError.unsafeDirectory(path: link.url.path, reason: "is not a directory (a link?)")) { try link.ensure() }
    }

    @Test(.enabled(if: geteuid() == 0, "giving a folder to another user needs root"))
    func aFolderOfAnotherUserIsRefused() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let foreign = PrivateDirectory(url: root.appendingPathComponent("kbridge-foreign"))
        try FileManager.default.createDirectory(at: foreign.url, withIntermediateDirectories: false)
        chmod(foreign.url.path, 0o700)
        chown(foreign.url.path, 4242, 4242)
        #expect(throws: PrivateFileError.unsafeDirectory(path: foreign.url.path, reason: "belongs to uid 4242, not to you (uid 0)")) { try foreign.ensure() }
    }

    /// A record planted by someone else (or left readable) is not trusted: `disconnect` would
    /// signal the pid it names and run the kubeconfig's exec plugin it names.
    @Test func aRecordOthersCouldHaveWrittenIsIgnored() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = PrivateDirectory(url: root.appendingPathComponent("kbridge-\(geteuid())"))
        try folder.ensure()
        let planted = #"{"id":"evil0000","pid":1,"service":"api","workload":{"kind":"Deployment","name":"api","namespace":"shop"},"kubeconfig":"/tmp/evil","localPort":1,"startedAt":"2026-01-01T00:00:00Z"}"#
        let file = folder.url.appendingPathComponent("evil0000.json")
        try planted.write(to: file, atomically: true, encoding: .utf8)
        chmod(file.path, 0o644)
        #expect(SessionRegistry(directory: folder).all().isEmpty)
        let link = folder.url.appendingPathComponent("link0000.json")
        let outside = root.appendingPathComponent("outside.json")
        try planted.write(to: outside, atomically: true, encoding: .utf8)
        chmod(outside.path, 0o600)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        #expect(SessionRegistry(directory: folder).all().isEmpty, "a link is not a record")
    }

    /// A record names its process by pid and start time: a new process given the same pid is not the session.
    @Test func aReusedPidIsNotTheSession() {
        var record = SessionRecord(
            id: "abc12345", pid: getpid(), service: "api", workload: WorkloadReference(kind: .deployment, name: "api", namespace: "shop"),
            kubeconfig: nil, context: nil, hostsFile: nil, localPort: 5000, startedAt: "2026-11-29T00:00:00Z"
        )
        #expect(record.isRunning)
        record.processStart = (record.processStart ?? 0) + 1
        #expect(!record.isRunning)
    }

    @Test func privateFilesReplaceALinkInsteadOfFollowingIt() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let victim = root.appendingPathComponent("victim")
        try "keep".write(to: victim, atomically: true, encoding: .utf8)
        let envFile = root.appendingPathComponent("app.env")
        try FileManager.default.createSymbolicLink(at: envFile, withDestinationURL: victim)
        try PrivateFile.write(Data("SECRET=\"x\"\n".utf8), to: envFile)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep")
        #expect(try mode(envFile) == 0o600)
    }

    @Test func anEnvFileWithoutItsFolderIsRefusedUpFront() {
        #expect(throws: PrivateFileError.cannotWrite(path: "/nonexistent-dir/app.env", detail: "the folder /nonexistent-dir does not exist")) {
            try DotenvFile.checkDestination("/nonexistent-dir/app.env")
        }
    }
}

/// The diagnostic logs of past runs go after a week, the newest twenty excepted.
@Suite struct DiagnosticLogFilesTests {
    @Test func oldLogsGoBeyondTheNewestAndNothingElseIsTouched() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-logs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let now = Date()
        var names: [String] = []
        for index in 0..<30 {
            // Five from today, then one a day further back each.
            let age = index < 5 ? TimeInterval(index * 60) : TimeInterval((index - 4) * 86_400 + 86_400 * 3)
            let name = DiagnosticLogFiles.name(command: "connect", at: now - age, pid: Int32(1000 + index))
            let path = folder.appendingPathComponent(name).path
            try "log \(index)\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: now - age], ofItemAtPath: path)
            names.append(name)
        }
        let victim = folder.appendingPathComponent("elsewhere.txt").path
        try "keep\n".write(toFile: victim, atomically: true, encoding: .utf8)
        let link = folder.appendingPathComponent("kbridge-link-0-1.log").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        try FileManager.default.setAttributes([.modificationDate: now - 86_400 * 60], ofItemAtPath: victim)

        DiagnosticLogFiles.prune(folder, now: now)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        #expect(left == Set(names.prefix(DiagnosticLogFiles.keptAtLeast) + ["elsewhere.txt", "kbridge-link-0-1.log"]))
    }

    @Test func recentLogsStayHoweverMany() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-logs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for index in 0..<40 {
            try "log\n".write(to: folder.appendingPathComponent(DiagnosticLogFiles.name(command: "list", pid: Int32(index))), atomically: true, encoding: .utf8)
        }
        DiagnosticLogFiles.prune(folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 40)
    }
}
