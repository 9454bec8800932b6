import Foundation
import Synchronization
import NIOCore
import NIOPosix
@testable import Sandbox
import Testing

@Suite struct AddressRangeTests {
    @Test func aRangeWhereSomethingListensIsSeenAsBusy() async throws {
        let second = Int.random(in: 180...250)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.\(second).3.4", port: 0).get()
        #expect(SandboxCredentials.listeningSecondOctets().contains(second))
        try await listener.close()
    }
}

@Suite struct AddressRangeClaimTests {
    /// Runs `body` on `count` threads of their own, released at the same moment.
    private static func together(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread {
                start.wait()
                body(index)
                done.leave()
            }.start()
        }
        for _ in 0..<count { start.signal() }
        done.wait()
    }

    /// A registry of its own, with a stale entry for every range (sandboxes whose folders are gone).
    private func registryOfStaleEntries() throws -> (AddressRangeRegistry, URL) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("kbridge-ranges-\(UUID().uuidString.prefix(8))")
        let registry = AddressRangeRegistry(folder: base.appendingPathComponent("registry"))
        try FileManager.default.createDirectory(at: registry.folder, withIntermediateDirectories: true)
        for second in 100..<178 {
            try "\(getpid()) \(base.path)/gone-\(second)".write(to: registry.folder.appendingPathComponent(String(second)), atomically: true, encoding: .utf8)
        }
        return (registry, base)
    }

    /// Many sandboxes claiming the same stale range at the same moment: exactly one gets it (the
    /// others read the winner's claim, never take it for the stale one it replaced).
    @Test(arguments: 0..<20) func oneStaleRangeClaimedByManyAtOnceGoesToOne(round: Int) throws {
        let (registry, base) = try registryOfStaleEntries()
        defer { try? FileManager.default.removeItem(at: base) }
        let folders = (0..<8).map { base.appendingPathComponent("sandbox-\($0)") }
        for folder in folders { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let winners = Mutex(0)
        Self.together(folders.count) { index in
            let owner = AddressRangeRegistry.Owner(directory: folders[index])
            if registry.withLock({ $0.claim(150, for: owner) }) { winners.withLock { $0 += 1 } }
        }
        #expect(winners.withLock { $0 } == 1)
    }

    /// Sandboxes starting together each get ranges of their own.
    @Test func sandboxesStartingTogetherGetRangesOfTheirOwn() throws {
        let (registry, base) = try registryOfStaleEntries()
        defer { try? FileManager.default.removeItem(at: base) }
        let folders = (0..<12).map { base.appendingPathComponent("sandbox-\($0)") }
        for folder in folders { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let claimed = Mutex<[String]>([])
        Self.together(folders.count) { index in
            let services = SandboxCredentials.addressRanges(in: folders[index], registry: registry).services
            claimed.withLock { $0.append(services) }
        }
        let ranges = claimed.withLock { $0 }
        #expect(Set(ranges).count == folders.count, "ranges: \(ranges.sorted())")
        let again = (0..<3).map { _ in SandboxCredentials.addressRanges(in: folders[0], registry: registry).services }
        #expect(Set(again).count == 1 && ranges.contains(again[0]), "a directory keeps its range: \(again)")
    }
}
