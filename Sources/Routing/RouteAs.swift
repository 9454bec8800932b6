import NIOHPACK
import NIOHTTP1

/// The header that names whose copy of a service a request is for, and the names it may carry:
/// the seeds' `kubernetes-route-as: NAME`, where NAME is the session's routing name (a DNS label,
/// since it also prefixes ingress hosts: `NAME.<host>`).
public enum RouteAs {
    /// The header's name (HTTP/1 matches it without regard to case; HTTP/2 sends it lower case).
    public static let header = "kubernetes-route-as"

    /// Why `name` cannot be a routing name, or nil when it can: 1 to 63 characters, lower-case
    /// letters, digits and `-`, a letter or digit at each end (an RFC 1123 label).
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "a routing name cannot be empty" }
        guard bytes.count <= 63 else { return "\"\(name)\" is longer than 63 characters" }
        let allowed = bytes.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }
        guard allowed, isLetterOrDigit(bytes[0]), isLetterOrDigit(bytes[bytes.count - 1]) else {
            return "\"\(name)\" is not a DNS label: use lower-case letters, digits and '-', starting and ending with a letter or digit"
        }
        return nil
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// The routing name a router writes on each request it passes on.
struct RouteStamp: Sendable {
    var name: String
    /// Whether a name the request already carries stands (the laptop's outbound requests: one the
    /// local process passes on keeps the name it came with) or is replaced (the routers behind a
    /// duplicated ingress, where the host decides).
    var keepsGivenName: Bool

    func apply(to headers: inout HTTPHeaders) {
        guard !keepsGivenName || headers[RouteAs.header].isEmpty else { return }
        headers.replaceOrAdd(name: RouteAs.header, value: name)
    }

    func apply(to headers: inout HPACKHeaders) {
        guard !keepsGivenName || headers.first(name: RouteAs.header) == nil else { return }
        headers.replaceOrAdd(name: RouteAs.header, value: name)
    }
}
