import Foundation
import Testing

@testable import LocalEndpoints

@Suite struct HostsFileTests {
    private func copy(_ text: String) throws -> HostsFile {
        let path = NSTemporaryDirectory() + "kbridge-hosts-\(UUID().uuidString.prefix(8))"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return HostsFile(path: path)
    }

    private func text(_ file: HostsFile) throws -> String { try String(contentsOfFile: file.path, encoding: .utf8) }

    let entries = [HostsEntry.service("web", namespace: "shop", address: "127.1.0.2"), .service("api", namespace: "shop", address: "127.1.0.3")]

    @Test(arguments: ["127.0.0.1\tlocalhost\n::1\tlocalhost\n", "127.0.0.1 localhost", ""])
    func removingTheBlockGivesTheFileBackByteForByte(_ original: String) throws {
        let hosts = try copy(original)
        defer { try? FileManager.default.removeItem(atPath: hosts.path) }
        let saved = try hosts.install(session: "s1", entries: entries)
        let installed = try text(hosts)
        #expect(installed.contains("127.1.0.2\tweb web.shop web.shop.svc web.shop.svc.cluster.local\n"))
        #expect(installed.hasPrefix(original))
        #expect(try hosts.sessions() == ["s1"])
        try hosts.remove(session: "s1", original: saved)
        #expect(try text(hosts) == original)
        #expect(try hosts.sessions().isEmpty)
    }

    @Test func editsMadeMeanwhileSurviveTheRemoval() throws {
        let hosts = try copy("127.0.0.1 localhost\n")
        defer { try? FileManager.default.removeItem(atPath: hosts.path) }
        let saved = try hosts.install(session: "s1", entries: entries)
        try (try text(hosts) + "10.0.0.9 added-by-someone\n").write(toFile: hosts.path, atomically: true, encoding: .utf8)
        try hosts.remove(session: "s1", original: saved)
        #expect(try text(hosts) == "127.0.0.1 localhost\n10.0.0.9 added-by-someone\n")
    }

    @Test func sessionsHaveTheirOwnBlocks() throws {
        let hosts = try copy("127.0.0.1 localhost\n")
        defer { try? FileManager.default.removeItem(atPath: hosts.path) }
        try hosts.install(session: "a", entries: [entries[0]])
        try hosts.install(session: "b", entries: [entries[1]])
        try hosts.install(session: "a", entries: entries)
        #expect(try hosts.sessions() == ["b", "a"])
        try hosts.remove(session: "b")
        try hosts.remove(session: "a")
        #expect(try text(hosts) == "127.0.0.1 localhost\n")
    }

    @Test func aPathThatIsNoFileIsRefusedWithWhatItIs() throws {
        let missing = HostsFile(path: "/nonexistent-dir/hosts")
        #expect(throws: HostsFile.Failure.unusable(path: "/nonexistent-dir/hosts", reason: "it does not exist")) { try missing.install(session: "s", entries: entries) }
        let directory = NSTemporaryDirectory() + "kbridge-hosts-dir-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: HostsFile.Failure.unusable(path: directory, reason: "it is a directory")) { try HostsFile(path: directory).checkWritable() }
        #expect(HostsFile.Failure.notWritable(path: "/etc/hosts").description == "cannot write /etc/hosts: run with the rights to edit it, or use --no-hosts")
    }

    @Test(.enabled(if: Self.canMakeFilesImmutable, "needs root and a temporary folder whose file system has chattr's immutable flag"))
    func anImmutableFileIsSaidToBeImmutable() throws {
        let hosts = try copy("127.0.0.1 localhost\n")
        defer {
            _ = try? Self.run("/usr/bin/chattr", ["-i", hosts.path])
            try? FileManager.default.removeItem(atPath: hosts.path)
        }
        try #require(try Self.run("/usr/bin/chattr", ["+i", hosts.path]) == 0, "chattr +i failed on \(hosts.path)")
        #expect(throws: HostsFile.Failure.unusable(path: hosts.path, reason: "it is immutable (chattr +i)")) { try hosts.checkWritable() }
    }

    /// `/etc/hosts` is a link on some systems: the entries go to its target, the link stays, and
    /// the target keeps its mode.
    @Test func aLinkedHostsFileIsEditedAtItsTargetWhichKeepsItsMode() throws {
        let target = try copy("127.0.0.1 localhost\n")
        defer { try? FileManager.default.removeItem(atPath: target.path) }
        chmod(target.path, 0o640)
        let link = NSTemporaryDirectory() + "kbridge-hosts-link-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target.path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let hosts = HostsFile(path: link)
        let saved = try hosts.install(session: "s1", entries: entries)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target.path, "the link is still a link")
        #expect(try text(target).contains("127.1.0.2\tweb"), "the target got the entries")
        #expect(try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int == 0o640)
        try hosts.remove(session: "s1", original: saved)
        #expect(try text(target) == "127.0.0.1 localhost\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target.path)
    }

    /// Someone who may write in the hosts file's folder plants a link, or a file of theirs, where
    /// the temporary file used to be (`.NAME.kbridge-PID`): neither is opened, the file a link
    /// points to is untouched, and the hosts file keeps its mode.
    @Test func whatOthersPlantWhereTheTemporaryFileGoesIsNeverUsed() throws {
        let folder = NSTemporaryDirectory() + "kbridge-hosts-folder-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        chmod(folder, 0o1777)
        let hostsPath = folder + "/hosts"
        try "127.0.0.1 localhost\n".write(toFile: hostsPath, atomically: true, encoding: .utf8)
        chmod(hostsPath, 0o644)
        let victim = folder + "/victim"
        try "secret\n".write(toFile: victim, atomically: true, encoding: .utf8)
        chmod(victim, 0o600)
        try FileManager.default.createSymbolicLink(atPath: folder + "/.hosts.kbridge-\(getpid())", withDestinationPath: victim)
        try "6.6.6.6 inventory\n".write(toFile: folder + "/.hosts.kbridge-\(getpid() + 1)", atomically: true, encoding: .utf8)

        let hosts = HostsFile(path: hostsPath)
        let saved = try hosts.install(session: "s1", entries: entries)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret\n")
        #expect(try FileManager.default.attributesOfItem(atPath: victim)[.posixPermissions] as? Int == 0o600)
        let installed = try text(hosts)
        #expect(installed.contains("127.1.0.2\tweb") && !installed.contains("6.6.6.6"))
        #expect(try FileManager.default.attributesOfItem(atPath: hostsPath)[.posixPermissions] as? Int == 0o644)
        try hosts.remove(session: "s1", original: saved)
        #expect(try text(hosts) == "127.0.0.1 localhost\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(left == [".hosts.kbridge-\(getpid())", ".hosts.kbridge-\(getpid() + 1)", "hosts", "victim"], "no temporary file of kbridge left: \(left)")
    }

    static var canMakeFilesImmutable: Bool {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "kbridge-immutable-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: probe, contents: nil) else { return false }
        defer {
            _ = try? run("/usr/bin/chattr", ["-i", probe])
            try? FileManager.default.removeItem(atPath: probe)
        }
        return (try? run("/usr/bin/chattr", ["+i", probe])) == 0
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
