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

    @Test func anUnwritableFileIsRefusedWithAWayOut() {
        let hosts = HostsFile(path: "/nonexistent-dir/hosts")
        #expect(throws: HostsFile.Failure.notWritable(path: "/nonexistent-dir/hosts")) { try hosts.install(session: "s", entries: entries) }
        #expect(HostsFile.Failure.notWritable(path: "/etc/hosts").description == "cannot write /etc/hosts: run with the rights to edit it, or use --no-hosts")
    }
}
