/// A range of loopback addresses, such as `127.1.0.0/16`, handed out one by one to cluster services.
///
/// On Linux every `127.0.0.0/8` address is local and can be bound without configuration.
public struct LoopbackRange: Sendable, Equatable, CustomStringConvertible {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self {
            case .invalid(let text): return "\"\(text)\" is not a loopback range: give one like 127.1.0.0/16 (inside 127.0.0.0/8, prefix 8 to 30)"
            }
        }
    }

    let base: UInt32
    let prefixLength: Int

    public init(_ text: String) throws(Failure) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]), (8...30).contains(prefix), let address = Self.parse(String(parts[0])), address >> 24 == 127 else {
            throw .invalid(text)
        }
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
        base = address & mask
        prefixLength = prefix
    }

    public static let `default`: LoopbackRange = {
        do { return try LoopbackRange("127.1.0.0/16") } catch { preconditionFailure("the default range is valid") }
    }()

    /// How many addresses can be handed out (the network and broadcast addresses are not).
    public var count: Int { (1 << (32 - prefixLength)) - 2 }

    /// The `index`-th usable address (from 0).
    public func address(at index: Int) -> String? {
        guard index >= 0, index < count else { return nil }
        return Self.format(base + UInt32(index + 1))
    }

    public var description: String { "\(Self.format(base))/\(prefixLength)" }

    static func parse(_ text: String) -> UInt32? {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        let octets = pieces.compactMap { UInt8($0) }
        guard pieces.count == 4, octets.count == 4 else { return nil }
        return octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func format(_ address: UInt32) -> String {
        (0..<4).map { String((address >> (24 - 8 * $0)) & 0xff) }.joined(separator: ".")
    }
}
