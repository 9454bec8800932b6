import Foundation
@testable import LocalEndpoints
import Testing

@Suite struct LoopbackAllocatorTests {
    @Test func rangesAreParsedAndHandedOutInOrder() throws {
        let range = try LoopbackRange("127.1.0.0/16")
        #expect(range.count == 65534)
        #expect(range.address(at: 0) == "127.1.0.1")
        #expect(range.address(at: 255) == "127.1.1.0")
        #expect(range.address(at: 65534) == nil)
        #expect(try LoopbackRange("127.9.9.9/30").address(at: 0) == "127.9.9.9")
    }

    @Test func rangesOutsideLoopbackAreRefused() {
        for text in ["10.0.0.0/8", "127.1.0.0", "127.1.0.0/31", "127.300.0.0/16", "nonsense"] {
            #expect(throws: LoopbackRange.Failure.invalid(text)) { try LoopbackRange(text) }
        }
    }

    @Test func anAddressWhosePortIsTakenIsSkipped() async throws {
        let range = try LoopbackRange("127.42.\(Int.random(in: 0...255)).0/24")
        let squatter = try await LocalListener.bind(host: range.address(at: 0) ?? "", port: 0)
        var allocator = LoopbackAllocator(range: range)
        let first = try await allocator.allocate(ports: [squatter.port])
        #expect(first.address == range.address(at: 1), "the squatted address was skipped")
        let second = try await allocator.allocate(ports: [squatter.port])
        #expect(second.address == range.address(at: 2))
        for listener in [squatter] + Array(first.listeners.values) + Array(second.listeners.values) { await listener.close() }
    }

    @Test func manyServicesGetAddressesInOrderAndATakenOneMovesOn() async throws {
        let range = try LoopbackRange("127.43.\(Int.random(in: 0...255)).0/24")
        let squatter = try await LocalListener.bind(host: range.address(at: 3) ?? "", port: 0)
        let port = squatter.port
        var allocator = LoopbackAllocator(range: range)
        let lists = (0..<100).map { index in index == 3 ? [port] : [port, port + 1] }
        let allocations = try await allocator.allocate(each: lists)
        var expected = (0..<100).compactMap { range.address(at: $0) }
        expected[3] = try #require(range.address(at: 100), "the list whose port is taken at its address gets the first one after the others")
        #expect(allocations.map(\.address) == expected)
        #expect(allocations.allSatisfy { $0.listeners.count == 2 || $0.address == expected[3] })
        #expect(try await allocator.allocate(ports: [port]).address == range.address(at: 101), "later allocations go on after")
        for allocation in allocations { await allocation.close() }
        await squatter.close()
    }

    /// A port something listens on at every address cannot be taken by any loopback address: it
    /// is served on another port of the service's address, at once, instead of every address of
    /// the range being tried (and "no free address left" said at the end).
    @Test func aPortTakenOnEveryAddressIsServedOnAnotherPort() async throws {
        let everywhere = try await LocalListener.bind(host: "0.0.0.0", port: 0)
        #expect(ListeningSocket.all().contains { $0.port == everywhere.port && $0.isWildcard })
        #expect(!ListeningSocket.all().contains { $0.port == everywhere.port && $0.ipv4Address == "127.0.0.1" && $0.isWildcard })
        let taken = LoopbackAllocator.portsTakenEverywhere()
        #expect(taken.contains(everywhere.port))
        let range = try LoopbackRange("127.45.\(Int.random(in: 0...255)).0/24")
        var allocator = LoopbackAllocator(range: range, avoiding: taken)
        let allocation = try await allocator.allocate(ports: [everywhere.port])
        #expect(allocation.address == range.address(at: 0))
        let moved = try #require(allocation.movedPorts.first)
        #expect(moved.port == everywhere.port && moved.localPort != everywhere.port)
        await allocation.close()
        var unaware = LoopbackAllocator(range: try LoopbackRange("127.46.\(Int.random(in: 0...255)).0/30"))
        await #expect(throws: LoopbackAllocator.Failure.self, "without avoiding it, no address can take the port") {
            try await unaware.allocate(ports: [everywhere.port])
        }
        await everywhere.close()
    }

    @Test func aRangeTooSmallForEveryServiceBindsNothing() async throws {
        let range = try LoopbackRange("127.44.\(Int.random(in: 0...255)).0/30")
        var allocator = LoopbackAllocator(range: range)
        await #expect(throws: LoopbackAllocator.Failure.self) { try await allocator.allocate(each: Array(repeating: [0], count: range.count + 1)) }
        let after = try await allocator.allocate(each: [[0]])
        #expect(after.first?.address == range.address(at: 0), "nothing was used up")
        for allocation in after { await allocation.close() }
    }

    @Test func aListenersHolderIsFoundWithItsCommandLine() async throws {
        let listener = try await LocalListener.bind(host: "127.0.0.1", port: 0)
        #expect(ListeningSocket.all().contains { $0.ipv4Address == "127.0.0.1" && $0.port == listener.port })
        let holder = try #require(PortHolder.find(port: listener.port))
        #expect(holder.pid == getpid())
        #expect(holder.commandLine?.contains("kbridgePackageTests") == true)
        await listener.close()
        #expect(PortHolder.find(port: listener.port)?.pid != getpid(), "closed: no longer ours (another process may reuse the number at once)")
    }
}

@Suite struct ServiceEnvironmentTests {
    @Test func variablesAreTheOnesAKubeletGivesPointingAtTheLocalListener() {
        let variables = ServiceEnvironment.variables(service: "redis-main", host: "127.1.0.3", ports: [
            .init(name: "redis", port: 6379, localPort: 6379),
            .init(name: "metrics", port: 443, localPort: 40001),
        ])
        #expect(variables["REDIS_MAIN_SERVICE_HOST"] == "127.1.0.3")
        #expect(variables["REDIS_MAIN_SERVICE_PORT"] == "6379")
        #expect(variables["REDIS_MAIN_SERVICE_PORT_METRICS"] == "40001")
        #expect(variables["REDIS_MAIN_PORT"] == "tcp://127.1.0.3:6379")
        #expect(variables["REDIS_MAIN_PORT_443_TCP"] == "tcp://127.1.0.3:40001")
        #expect(variables["REDIS_MAIN_PORT_443_TCP_PORT"] == "40001")
        #expect(variables["REDIS_MAIN_PORT_6379_TCP_ADDR"] == "127.1.0.3")
        #expect(variables["REDIS_MAIN_PORT_6379_TCP_PROTO"] == "tcp")
    }
}
