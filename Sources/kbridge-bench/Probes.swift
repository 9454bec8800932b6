import BridgeTunnel
import NIOCore

/// A way to open a connection to an `EchoServer` along one path.
typealias Opener = @Sendable () async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer>

/// What a client measures along a path; every probe checks what it got back.
enum Probes {
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// µs of each of `count` sequential 64-byte echoes, shared among `connections` connections
    /// used one after another: the relays on a path put each connection on one of their threads,
    /// and a connection whose hops land on different threads pays a hand-over at each, so one
    /// connection would measure one draw (seen: +100 and +360 µs over the same path in two runs).
    /// All are opened first; `onceOpen` runs before the first echo.
    static func roundTrips(_ open: Opener, count: Int, connections: Int = 10, onceOpen: () -> Void = {}) async throws -> [Double] {
        var opened: [NIOAsyncChannel<ByteBuffer, ByteBuffer>] = []
        do {
            for _ in 0..<connections { opened.append(try await open()) }
        } catch {
            for connection in opened { await TunnelRelay.discard(connection) }
            throw error
        }
        onceOpen()
        var samples: [Double] = []
        samples.reserveCapacity(count)
        var failure: (any Error)?
        for (index, connection) in opened.enumerated() {
            guard failure == nil else {
                await TunnelRelay.discard(connection)
                continue
            }
            let share = count / connections + (index < count % connections ? 1 : 0)
            do {
                samples += try await roundTrips(on: connection, count: share)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return samples
    }

    private static func roundTrips(on connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, count: Int) async throws -> [Double] {
        let message = ByteBuffer(repeating: 0x70, count: 64)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "E"))
            var iterator = inbound.makeAsyncIterator()
            for _ in 0..<count {
                let start = ContinuousClock.now
                try await outbound.write(message)
                var received = 0
                while received < 64 {
                    guard let bytes = try await iterator.next() else { throw Mismatch(description: "the echo closed after \(samples.count) round trips") }
                    received += bytes.readableBytes
                }
                samples.append(microseconds(ContinuousClock.now - start))
            }
            outbound.finish()
        }
        return samples
    }

    /// µs from asking for a connection to the server's first byte, `count` times in a row;
    /// the answer must come from `expected` (`hello from NAME`).
    static func opens(_ open: Opener, count: Int, expected: String) async throws -> [Double] {
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            let answer = try await hello(open, until: { samples.append(microseconds(ContinuousClock.now - start)) })
            guard answer == "hello from \(expected)" else { throw Mismatch(description: "answered \"\(answer)\", not hello from \(expected)") }
        }
        return samples
    }

    /// The whole greeting of the server behind `open`; `firstByte` runs when its first bytes come.
    static func hello(_ open: Opener, until firstByte: () -> Void = {}) async throws -> String {
        let connection = try await open()
        return try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "H"))
            var text = ""
            for try await bytes in inbound {
                if text.isEmpty { firstByte() }
                text += String(buffer: bytes)
            }
            return text
        }
    }

    /// MiB/s of `bytes` sent by the client, counted by the server.
    static func upload(_ open: Opener, bytes: Int) async throws -> Double {
        let connection = try await open()
        let start = ContinuousClock.now
        let answer = try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(EchoServer.request("S", count: bytes))
            var left = bytes
            while left > 0 {
                let size = min(left, EchoServer.chunk.readableBytes)
                try await outbound.write(EchoServer.chunk.getSlice(at: 0, length: size)!)
                left -= size
            }
            // The clock stops at the whole answer, not at the end of the connection (a real
            // node's port-forward passes the end on much later than the data).
            var text = ""
            var iterator = inbound.makeAsyncIterator()
            while text.utf8.count < String(bytes).utf8.count, let part = try await iterator.next() { text += String(buffer: part) }
            outbound.finish()
            return text
        }
        guard answer == String(bytes) else { throw Mismatch(description: "the server counted \(answer) bytes of \(bytes)") }
        return mebibytesPerSecond(bytes, ContinuousClock.now - start)
    }

    /// MiB/s of `bytes` sent by the server, counted by the client up to the last byte.
    static func download(_ open: Opener, bytes: Int) async throws -> Double {
        let connection = try await open()
        let start = ContinuousClock.now
        let received = try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(EchoServer.request("G", count: bytes))
            var received = 0
            var iterator = inbound.makeAsyncIterator()
            while received < bytes, let part = try await iterator.next() { received += part.readableBytes }
            outbound.finish()
            return received
        }
        guard received == bytes else { throw Mismatch(description: "received \(received) bytes of \(bytes)") }
        return mebibytesPerSecond(bytes, ContinuousClock.now - start)
    }

    struct Concurrency {
        var errors: [String]
        var samples: [Double]
    }

    /// `connections` connections opened at once, each doing `roundTrips` echoes once all are open
    /// (so that all are held together); errors are counted, not thrown. A connection whose echoes
    /// have not all come back within `patience` is closed and counted as an error (a stalled relay
    /// must not hang the benchmark).
    static func concurrent(_ open: @escaping Opener, connections: Int, roundTrips: Int, patience: Duration = .seconds(60)) async -> Concurrency {
        let opened = AsyncGate(count: connections)
        return await withTaskGroup(of: Result<[Double], any Error>.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    do {
                        let connection = try await open()
                        await opened.arrive()
                        let watchdog = Task {
                            try await Task.sleep(for: patience)
                            connection.channel.close(promise: nil)
                        }
                        defer { watchdog.cancel() }
                        return .success(try await echoes(on: connection, count: roundTrips))
                    } catch {
                        await opened.arrive()
                        return .failure(error)
                    }
                }
            }
            var result = Concurrency(errors: [], samples: [])
            for await outcome in group {
                switch outcome {
                case .success(let samples): result.samples += samples
                case .failure(let error): result.errors.append("\(error)")
                }
            }
            return result
        }
    }

    private static func echoes(on connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, count: Int) async throws -> [Double] {
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "E"))
            var iterator = inbound.makeAsyncIterator()
            var samples: [Double] = []
            for index in 0..<count {
                let message = ByteBuffer(string: String(repeating: "\(index % 10)", count: 64))
                let start = ContinuousClock.now
                try await outbound.write(message)
                var back = ByteBuffer()
                while back.readableBytes < 64 {
                    guard var bytes = try await iterator.next() else { throw Mismatch(description: "closed after \(index) of \(count) echoes") }
                    back.writeBuffer(&bytes)
                }
                guard back == message else { throw Mismatch(description: "an echo came back different") }
                samples.append(microseconds(ContinuousClock.now - start))
            }
            outbound.finish()
            return samples
        }
    }

    static func microseconds(_ duration: Duration) -> Double { seconds(duration) * 1e6 }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func mebibytesPerSecond(_ bytes: Int, _ duration: Duration) -> Double {
        Double(bytes) / Double(1 << 20) / seconds(duration)
    }
}

/// Lets `count` tasks through together: each waits until all have arrived.
actor AsyncGate {
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var left: Int

    init(count: Int) { left = count }

    func arrive() async {
        left -= 1
        if left <= 0 {
            for continuation in waiting { continuation.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
