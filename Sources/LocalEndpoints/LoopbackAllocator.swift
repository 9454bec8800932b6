/// Gives each cluster service an address of a loopback range and listeners on its ports there.
///
/// An address where one of the ports is already taken (another session, another program) is
/// skipped. A port this process may not bind (below 1024 without administrator rights), and a
/// port to leave alone on every address (`avoiding`: the local app's port, a port something
/// listens on at every address), is served on a free high port of the same address instead, and
/// reported as such, so that the caller can point the service's environment variables at it.
public struct LoopbackAllocator: Sendable {
    /// A service's local stand-in: one address, one listener per port.
    public struct Allocation: Sendable {
        public var address: String
        /// Keyed by the service's port.
        public var listeners: [Int: LocalListener]

        /// Where the service's `port` is served locally.
        public func localPort(for port: Int) -> Int { listeners[port]?.port ?? port }

        /// The ports served on another number than the service's (privileged ports without the
        /// right to bind them, ports the allocator was to avoid).
        public var movedPorts: [(port: Int, localPort: Int)] {
            listeners.filter { $0.key != $0.value.port }.map { ($0.key, $0.value.port) }.sorted { $0.port < $1.port }
        }

        /// Stops every listener.
        public func close() async {
            for listener in listeners.values { await listener.close() }
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case exhausted(range: LoopbackRange)
        case listener(LocalListener.Failure)

        public var description: String {
            switch self {
            case .exhausted(let range): return "no free address left in the loopback range \(range): pass a larger one with --loopback-range"
            case .listener(let failure): return failure.description
            }
        }
    }

    public let range: LoopbackRange
    /// Ports never bound on any address of the range (served on a free port instead).
    public let avoiding: Set<Int>
    private var nextIndex = 0

    public init(range: LoopbackRange = .default, avoiding: Set<Int> = []) {
        self.range = range
        self.avoiding = avoiding
    }

    /// The ports something listens on at every address of this machine (`0.0.0.0`, `::`): no
    /// address of a range can take them.
    public static func portsTakenEverywhere() -> Set<Int> {
        Set(ListeningSocket.all().filter(\.isWildcard).map(\.port))
    }

    /// How many addresses `allocate(each:)` binds at once: a bind mostly waits for the event loop.
    static let concurrentBinds = 32

    /// `allocate(ports:)` for each list of ports, in order, binding several addresses at once:
    /// the i-th list gets the i-th address of what is left of the range, and a list that finds one
    /// of its ports taken there gets a later address. On failure nothing stays bound.
    public mutating func allocate(each portLists: [[Int]]) async throws(Failure) -> [Allocation] {
        let first = nextIndex
        guard portLists.isEmpty || range.address(at: first + portLists.count - 1) != nil else { throw .exhausted(range: range) }
        nextIndex += portLists.count
        var results = [Result<Allocation, LocalListener.Failure>?](repeating: nil, count: portLists.count)
        await withTaskGroup(of: (Int, Result<Allocation, LocalListener.Failure>).self) { group in
            var started = 0
            func startNext() {
                guard started < portLists.count, let address = range.address(at: first + started) else { return }
                let (index, ports, avoiding) = (started, portLists[started], avoiding)
                started += 1
                group.addTask { (index, await Self.bind(address: address, ports: ports, avoiding: avoiding)) }
            }
            for _ in 0..<Self.concurrentBinds { startNext() }
            while let (index, result) = await group.next() {
                results[index] = result
                startNext()
            }
        }
        var allocations: [Allocation] = []
        do throws(Failure) {
            for (index, result) in results.enumerated() {
                switch result {
                case .success(let allocation)?: allocations.append(allocation)
                case .failure(.inUse)?: allocations.append(try await allocate(ports: portLists[index]))
                case .failure(let failure)?: throw .listener(failure)
                case nil: throw .exhausted(range: range)
                }
            }
        } catch {
            for result in results { if case .success(let allocation)? = result { await allocation.close() } }
            for allocation in allocations { await allocation.close() }
            throw error
        }
        return allocations
    }

    /// Binds `ports` on the next address of the range where none of them is taken.
    public mutating func allocate(ports: [Int]) async throws(Failure) -> Allocation {
        while let address = range.address(at: nextIndex) {
            nextIndex += 1
            switch await Self.bind(address: address, ports: ports, avoiding: avoiding) {
            case .success(let allocation): return allocation
            case .failure(.inUse): continue
            case .failure(let failure): throw .listener(failure)
            }
        }
        throw .exhausted(range: range)
    }

    /// Every port of `ports` on `address`, or none.
    private static func bind(address: String, ports: [Int], avoiding: Set<Int>) async -> Result<Allocation, LocalListener.Failure> {
        var listeners: [Int: LocalListener] = [:]
        do throws(LocalListener.Failure) {
            for port in Set(ports).sorted() {
                listeners[port] = avoiding.contains(port) ? try await LocalListener.bind(host: address, port: 0) : try await bind(address: address, port: port)
            }
            return .success(Allocation(address: address, listeners: listeners))
        } catch {
            for listener in listeners.values { await listener.close() }
            return .failure(error)
        }
    }

    private static func bind(address: String, port: Int) async throws(LocalListener.Failure) -> LocalListener {
        do {
            return try await LocalListener.bind(host: address, port: port)
        } catch .notPermitted {
            return try await LocalListener.bind(host: address, port: 0)
        }
    }
}
