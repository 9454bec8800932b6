import BridgeTunnel
import Foundation
import KubernetesClient
import NIOCore
import NIOPosix
import SandboxTesting
import Synchronization
import Testing

/// Bulk data through a redirect: every byte arrives, in order, and the CLI holds no more of it
/// than the tunnel's flow-control windows allow, whatever the amount moved.
@Suite struct BulkRedirectTests {
    static let size = 64 << 20

    @Test func sixtyFourMebibytesEachWayArriveIntactWhileTheCLIsMemoryStaysWithinTheWindows() async throws {
        try await withStorefront { storefront in
            // The local process starts once the session is up (connect refuses a local port already held).
            let localPort = Storefront.freePort()
            let session = try await BackgroundSession.connect(storefront, service: "inventory", localPort: localPort)
            let local = try await PatternPeer.start(port: localPort)
            let pid = try #require(session.connectPID(), "the session's record names its process")
            let address = try #require(try await storefront.client.get(Service.self, name: "inventory").spec.clusterIP)
            let before = try #require(ResidentMemory.of(pid))
            let sampler = ResidentMemory.Sampler(pid: pid)

            let caller = try await TunnelRelay.connect(host: address, port: 8080)
            let received = try await caller.executeThenClose { inbound, outbound in
                try await PatternPeer.send(Self.size, seed: 1, to: outbound)
                outbound.finish()
                var input = inbound.makeAsyncIterator()
                return try await PatternPeer.receive(from: &input, seed: 2)
            }
            let peak = sampler.stop()

            #expect(local.received.withLock { $0 } == .intact(Self.size), "cluster caller → local process")
            #expect(received == .intact(Self.size), "local process → cluster caller")
            let bound = TunnelConfiguration(secret: "").memoryBound(streams: 1) + ResidentMemory.allowance
            #expect(
                peak - before <= bound,
                "the CLI grew by \(ResidentMemory.mebibytes(peak - before)) MiB moving \(2 * Self.size >> 20) MiB; the windows allow \(ResidentMemory.mebibytes(bound)) MiB"
            )
            session.connect.cancel()
            let result = try await session.connect.value
            #expect(result.status == 0, "\(result.stderr)")
        }
    }
}

extension BackgroundSession {
    /// The pid of `kbridge connect`, from the session's record.
    func connectPID() -> Int32? {
        let folder = URL(fileURLWithPath: records).appendingPathComponent("kbridge-\(geteuid())/sessions")
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        for file in files where file.pathExtension == "json" {
            if let record = try? JSONValue.parse(Data(contentsOf: file)), let pid = record["pid"]?.intValue { return Int32(pid) }
        }
        return nil
    }
}

/// A process's resident memory, from `/proc`.
enum ResidentMemory {
    /// What the CLI may hold beyond the tunnel's windows: the port-forward's frame buffers, a
    /// socket's read buffer on each side and the allocator's slack (glibc keeps freed blocks).
    static let allowance = 16 << 20

    static func of(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kibibytes = line.split(separator: " ").compactMap({ Int($0) }).first
        else { return nil }
        return kibibytes << 10
    }

    static func mebibytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / Double(1 << 20)) }

    /// Reads the resident memory every 10 ms until stopped; answers the highest seen.
    final class Sampler: Sendable {
        private let highest = Mutex(0)
        private let sampling = Mutex<Task<Void, Never>?>(nil)

        init(pid: Int32) {
            let task = Task { [self] in
                while !Task.isCancelled {
                    if let now = ResidentMemory.of(pid) { highest.withLock { $0 = max($0, now) } }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            sampling.withLock { $0 = task }
        }

        func stop() -> Int {
            sampling.withLock { $0?.cancel() }
            return highest.withLock { $0 }
        }
    }
}

/// The local process of the bulk test: checks what the cluster's caller sends, then answers with
/// as many bytes of its own pattern. Bytes follow a pattern that a lost, doubled or reordered
/// block breaks.
final class PatternPeer: Sendable {
    enum Outcome: Equatable, Sendable {
        case intact(Int)
        case broken(at: Int)
        case nothing
    }

    let port: Int
    let received = Mutex(Outcome.nothing)

    private init(port: Int) { self.port = port }

    static func start(port: Int) async throws -> PatternPeer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port) { channel in HeldConnection.accept(channel) }
        let peer = PatternPeer(port: port)
        Task {
            try await server.executeThenClose { connections in
                for try await accepted in connections {
                    let connection = try await accepted.take()
                    try await connection.executeThenClose { inbound, outbound in
                        var input = inbound.makeAsyncIterator()
                        let outcome = try await receive(from: &input, seed: 1)
                        peer.received.withLock { $0 = outcome }
                        if case .intact(let count) = outcome { try await send(count, seed: 2, to: outbound) }
                        outbound.finish()
                        // Closing before the caller has it all would drop what is still queued here.
                        while try await input.next() != nil {}
                    }
                }
            }
        }
        return peer
    }

    static func byte(_ offset: Int, seed: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (offset >> 12) &* 31 ^ offset) &+ seed
    }

    static func send(_ count: Int, seed: UInt8, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var offset = 0
        while offset < count {
            let size = min(256 << 10, count - offset)
            var buffer = ByteBuffer()
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { pointer in
                for index in 0..<size { pointer[index] = byte(offset + index, seed: seed) }
                return size
            }
            try await outbound.write(buffer)
            offset += size
        }
    }

    /// Reads until the sender's end of output (in a `size` run), checking every byte.
    static func receive(from input: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, seed: UInt8) async throws -> Outcome {
        var offset = 0
        while let bytes = try await input.next() {
            let broken = bytes.withUnsafeReadableBytes { pointer -> Int? in
                for index in 0..<pointer.count where pointer[index] != byte(offset + index, seed: seed) { return offset + index }
                return nil
            }
            if let broken { return .broken(at: broken) }
            offset += bytes.readableBytes
        }
        return offset == 0 ? .nothing : .intact(offset)
    }
}
