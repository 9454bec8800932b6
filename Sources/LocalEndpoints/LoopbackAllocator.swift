/// Gives each cluster service an address of a loopback range and listeners on its ports there.
///
/// An address where one of the ports is already taken (another session, another program) is
/// skipped. A port this process may not bind (below 1024 without administrator rights) is served
/// on a free high port of the same address instead, and reported as such, so that the caller can
/// point the service's environment variables at it.
public struct LoopbackAllocator: Sendable {
    /// A service's local stand-in: one address, one listener per port.
    public struct Allocation: Sendable {
        public var address: String
        /// Keyed by the service's port.
        public var listeners: [Int: LocalListener]

        /// Where the service's `port` is served locally.
        public func localPort(for port: Int) -> Int { listeners[port]?.port ?? port }

        /// The ports served on another number than the service's (privileged ports without the right to bind them).
        public var movedPorts: [(port: Int, localPort: Int)] {
            listeners.filter { $0.key != $0.value.port }.map { ($0.key, $0.value.port) }.sorted { $0.port < $1.port }
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
    private var nextIndex = 0

    public init(range: LoopbackRange = .default) {
        self.range = range
    }

    /// Binds `ports` on the next address of the range where none of them is taken.
    public mutating func allocate(ports: [Int]) async throws(Failure) -> Allocation {
        while let address = range.address(at: nextIndex) {
            nextIndex += 1
            var listeners: [Int: LocalListener] = [:]
            do {
                for port in Set(ports).sorted() {
                    listeners[port] = try await Self.bind(address: address, port: port)
                }
                return Allocation(address: address, listeners: listeners)
            } catch .inUse {
                for listener in listeners.values { await listener.close() }
            } catch {
                for listener in listeners.values { await listener.close() }
                throw .listener(error)
            }
        }
        throw .exhausted(range: range)
    }

    private static func bind(address: String, port: Int) async throws(LocalListener.Failure) -> LocalListener {
        do {
            return try await LocalListener.bind(host: address, port: port)
        } catch .notPermitted {
            return try await LocalListener.bind(host: address, port: 0)
        }
    }
}
