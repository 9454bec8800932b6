import ChildProcesses
import Foundation
import NIOCore
import NIOPosix
import Testing

/// What a spawned process (a container, the developer's command) gets from kbridge.
@Suite struct ProcessSpawnerTests {
    /// A socket this process holds is not held by its children: a listener's port would stay
    /// taken, and a connection this process closed would stay open, for as long as they live.
    @Test func aChildGetsNoDescriptorBeyondItsStandardOnes() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        let folder = NSTemporaryDirectory() + "spawn-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/fds"
        let pid = try ProcessSpawner.spawn(.init(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], environment: [:], output: output))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let descriptors = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        // 0-2, and the one the shell's `ls` reads the folder through, if any.
        #expect(descriptors.filter { $0 > 2 }.count <= 1, "\(descriptors)")
    }
}
