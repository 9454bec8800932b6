import Foundation
@testable import BridgeSession
import Testing

@Suite struct LocalEnvironmentTests {
    let rewrites = [("10.96.0.12:8080", "127.1.0.2:8080"), ("10.96.0.12", "127.1.0.2"), ("10.244.0.7", "127.0.0.1")]

    @Test func clusterAddressesInValuesPointAtLocalListeners() {
        #expect(AddressRewrites(rewrites).apply(to: "http://10.96.0.12:8080/stock") == "http://127.1.0.2:8080/stock")
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12") == "127.1.0.2")
        #expect(AddressRewrites(rewrites).apply(to: "a=10.96.0.12,b=10.96.0.12:8080") == "a=127.1.0.2,b=127.1.0.2:8080")
    }

    @Test func anAddressInsideALongerOneIsLeftAlone() {
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.123") == "10.96.0.123")
        #expect(AddressRewrites(rewrites).apply(to: "110.96.0.12") == "110.96.0.12")
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12.5") == "10.96.0.12.5")
    }

    @Test func thePodsOwnAddressBecomesLoopback() {
        #expect(AddressRewrites(rewrites).apply(to: "10.244.0.7") == "127.0.0.1")
    }

    @Test func anotherPortOfAServiceAddressKeepsItsPortAndTheFirstListedRewriteWins() {
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12:9090") == "127.1.0.2:9090")
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12:80801") == "127.1.0.2:80801")
        #expect(AddressRewrites([("x", "first"), ("x", "second")]).apply(to: "x") == "first")
    }

    @Test func textAroundAnAddressMayBeAnyUnicodeAndAddressesMayBeIPv6() {
        #expect(AddressRewrites(rewrites).apply(to: "über 10.96.0.12 → ok") == "über 127.1.0.2 → ok")
        #expect(AddressRewrites([("fd00::a", "127.1.0.9")]).apply(to: "[fd00::a]:80") == "[127.1.0.9]:80")
    }

    @Test func valuesWithoutAddressesAreUntouched() {
        #expect(AddressRewrites(rewrites).apply(to: "plain text: 1.2.3") == "plain text: 1.2.3")
        #expect(AddressRewrites(rewrites).apply(to: "") == "")
    }
}

@Suite struct DotenvFileTests {
    @Test func valuesAreQuotedSoThatSpacesQuotesAndNewlinesSurvive() {
        let text = DotenvFile.render(["B": "two words", "A": "say \"hi\"\nback\\slash", "C": "", "D": "it's"])
        #expect(text == "A=\"say \\\"hi\\\"\\nback\\\\slash\"\nB='two words'\nC=''\nD=\"it's\"\n")
    }

    /// A ConfigMap value is written by whoever may edit the ConfigMap: sourcing the file must run
    /// none of it, and give the values back as they were.
    @Test func aShellThatSourcesTheFileRunsNothingAndReadsTheValues() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-dotenv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let values = [
            "SUBSTITUTION": "$(touch pwned-1)", "BACKTICKS": "`touch pwned-2`", "BRACES": "${HOME}",
            "QUOTED": "it's $(touch pwned-3)", "MIXED": "a\"b\\c$d`e'f`touch pwned-4`", "PLAIN": "x=1; y=2",
        ]
        try DotenvFile.render(values).write(to: folder.appendingPathComponent("session.env"), atomically: true, encoding: .utf8)
        let names = values.keys.sorted()
        let script = "set -a; . ./session.env; set +a; " + names.map { "printf '%s\\0' \"$\($0)\"" }.joined(separator: "; ")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", script]
        shell.currentDirectoryURL = folder
        let output = Pipe()
        shell.standardOutput = output
        try shell.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        let read = String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(read == names.map { values[$0] ?? "" })
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(left == ["session.env"], "sourcing the file ran a command: \(left)")
    }
}
