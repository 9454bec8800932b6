import Foundation
import KubernetesClient
import Testing

@testable import BridgeSession
@testable import BridgeTunnel

/// The pod's mounted files, from the agent's reading to this machine's copy.
@Suite struct PodFilesTests {
    /// A folder laid out as the kubelet lays out a ConfigMap volume: the keys are links into a
    /// `..data` link to a timestamped folder.
    private func configMapVolume() throws -> String {
        let volume = NSTemporaryDirectory() + "kbridge-volume-\(UUID().uuidString.prefix(8))"
        let data = volume + "/..2026_12_06_10_00_00.1"
        try FileManager.default.createDirectory(atPath: data + "/nested", withIntermediateDirectories: true)
        try "Welcome!".write(toFile: data + "/greeting.txt", atomically: false, encoding: .utf8)
        try "inner".write(toFile: data + "/nested/inner.txt", atomically: false, encoding: .utf8)
        chmod(data + "/greeting.txt", 0o644)
        chmod(data + "/nested/inner.txt", 0o400)
        try FileManager.default.createSymbolicLink(atPath: volume + "/..data", withDestinationPath: "..2026_12_06_10_00_00.1")
        try FileManager.default.createSymbolicLink(atPath: volume + "/greeting.txt", withDestinationPath: "..data/greeting.txt")
        try FileManager.default.createSymbolicLink(atPath: volume + "/nested", withDestinationPath: "..data/nested")
        return volume
    }

    private func archive(_ path: String, root: String = "") async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await MountReader(root: root).send(path) { bytes += $0 }
        return bytes
    }

    @Test func theAgentSendsTheKeysAsTheAppSeesThemWithoutTheKubeletsOwnEntries() async throws {
        let volume = try configMapVolume()
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let entries = try FileArchive.decode(try await archive(volume))
        #expect(entries == [
            .directory(path: "", mode: 0o755),
            .file(path: "greeting.txt", mode: 0o644, content: Array("Welcome!".utf8)),
            .directory(path: "nested", mode: 0o755),
            .file(path: "nested/inner.txt", mode: 0o400, content: Array("inner".utf8)),
        ])
    }

    @Test func theContainersRootIsWhereItsFilesAre() async throws {
        let volume = try configMapVolume()
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let parent = (volume as NSString).deletingLastPathComponent
        let name = "/" + (volume as NSString).lastPathComponent
        let entries = try FileArchive.decode(try await archive(name + "/greeting.txt", root: parent))
        #expect(entries == [.file(path: "", mode: 0o644, content: Array("Welcome!".utf8))])
    }

    /// A link out of the mount (to `/` in an emptyDir) is not followed: the agent would walk the
    /// container's whole filesystem.
    @Test func aLinkOutOfTheMountIsNamedNotFollowed() async throws {
        let volume = try configMapVolume()
        defer { try? FileManager.default.removeItem(atPath: volume) }
        try FileManager.default.createSymbolicLink(atPath: volume + "/everything", withDestinationPath: "/etc")
        let entries = try FileArchive.decode(try await archive(volume))
        #expect(entries.contains { if case .unreadable(let reason) = $0 { return reason.contains("everything: a link out of the mount") } else { return false } })
        #expect(!entries.contains { if case .file(let path, _, _) = $0 { return path.hasPrefix("everything/") } else { return false } })
    }

    @Test func aVariableThatNamesASecretsVariableIsMaskedToo() throws {
        let declared: [JSONValue] = [
            ["name": "DB_PASSWORD", "valueFrom": ["secretKeyRef": ["name": "db", "key": "password"]]],
            ["name": "DATABASE_URL", "value": "postgres://app:$(DB_PASSWORD)@db/app"],
            ["name": "DSN", "value": "$(DATABASE_URL)?ssl=1"],
            ["name": "PLAIN", "value": "$(OTHER)"],
        ]
        let env = try declared.map { try $0.decode(as: EnvVar.self) }
        #expect(SecretVariables.expanding(["DB_PASSWORD"], through: env) == ["DB_PASSWORD", "DATABASE_URL", "DSN"])
    }

    @Test func whatCannotBeReadIsNamedNotSkipped() async throws {
        let entries = try FileArchive.decode(try await archive("/nonexistent-\(UUID().uuidString)"))
        guard case .unreadable(let reason) = entries.first else { Issue.record("\(entries)"); return }
        #expect(reason.contains("No such file"))
    }

    @Test func anArchiveCutShortOrGarbledIsRefused() {
        let whole = Array((FileArchive.fileHeader(path: "a", mode: 0o644, size: 5) + "hello" + FileArchive.endLine).utf8)
        #expect(throws: Never.self) { try FileArchive.decode(whole) }
        #expect(throws: FileArchive.Failure.cut) { try FileArchive.decode(Array(whole.dropLast(FileArchive.endLine.count))) }
        #expect(throws: FileArchive.Failure.cut) { try FileArchive.decode(Array(FileArchive.fileHeader(path: "a", mode: 0o644, size: 50).utf8) + Array("hello".utf8)) }
        #expect(throws: FileArchive.Failure.self) { try FileArchive.decode(Array("x 1 2 \"a\"\nend\n".utf8)) }
        #expect(throws: FileArchive.Failure.self) { try FileArchive.decode(Array("d 7z9 \"a\"\nend\n".utf8)) }
    }

    private func sessionFiles() throws -> (SessionFiles, SessionRegistry) {
        let folder = NSTemporaryDirectory() + "kbridge-files-\(UUID().uuidString.prefix(8))"
        let registry = SessionRegistry(directory: PrivateDirectory(url: URL(fileURLWithPath: folder)))
        let files = SessionFiles(session: "abcd1234", registry: registry)
        try files.create()
        return (files, registry)
    }

    @Test func theCopyHasThePodsNamesAndOnlyItsOwnersPermissions() async throws {
        let volume = try configMapVolume()
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let (files, registry) = try sessionFiles()
        defer { try? FileManager.default.removeItem(at: registry.directory.url) }
        try files.write(try FileArchive.decode(try await archive(volume)), at: "/etc/storefront")
        let greeting = files.localPath(of: "/etc/storefront/greeting.txt")
        #expect(try String(contentsOfFile: greeting, encoding: .utf8) == "Welcome!")
        var info = stat()
        #expect(stat(greeting, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(files.localPath(of: "/etc/storefront/nested/inner.txt"), &info) == 0 && info.st_mode & 0o777 == 0o400)
        #expect(stat(files.root.path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        try files.remove()
        #expect(!FileManager.default.fileExists(atPath: files.root.path))
        try files.remove()
    }

    /// An agent (or what poses as one) cannot make kbridge write outside the session's folder.
    @Test(arguments: ["../escape", "a/../../escape", "..", "./x/../../y"])
    func aNameThatLeavesTheFolderIsRefused(_ name: String) throws {
        let (files, registry) = try sessionFiles()
        defer { try? FileManager.default.removeItem(at: registry.directory.url) }
        #expect(throws: SessionFiles.Failure.self) { try files.write([.file(path: name, mode: 0o644, content: [1])], at: "/etc/app") }
        #expect(throws: SessionFiles.Failure.self) { try files.write([.directory(path: "", mode: 0o755)], at: "/etc/" + name) }
        let escaped = registry.directory.url.appendingPathComponent("escape").path
        #expect(!FileManager.default.fileExists(atPath: escaped))
    }

    @Test func whatTheAgentCouldNotReadIsNamedAndTheRestWritten() throws {
        let (files, registry) = try sessionFiles()
        defer { try? FileManager.default.removeItem(at: registry.directory.url) }
        let unreadable = try files.write([.directory(path: "", mode: 0o755), .unreadable("/etc/app/key: Permission denied"), .file(path: "a", mode: 0o644, content: [65])], at: "/etc/app")
        #expect(unreadable == ["/etc/app/key: Permission denied"])
        #expect(FileManager.default.fileExists(atPath: files.localPath(of: "/etc/app/a")))
    }

    @Test func pathsInMountedFoldersPointAtTheCopyAndTheRootIsNamed() throws {
        let (files, registry) = try sessionFiles()
        defer { try? FileManager.default.removeItem(at: registry.directory.url) }
        let local = LocalEnvironment.Files(local: files, mountPaths: ["/etc/app", "/etc/app/secrets"])
        #expect(local.localPath(of: "/etc/app/settings.json") == files.root.path + "/etc/app/settings.json")
        #expect(local.localPath(of: "/etc/app") == files.root.path + "/etc/app")
        #expect(local.localPath(of: "/etc/application") == nil)
        #expect(local.localPath(of: "http://x/etc/app") == nil)
    }
}
