import Foundation

/// A TCP socket listening on this machine, as `/proc/net/tcp` and `tcp6` list it.
public struct ListeningSocket: Sendable, Equatable {
    /// The local address in dotted form; nil for IPv6 sockets.
    public var ipv4Address: String?
    public var port: Int
    /// The socket's inode, which names it among a process's file descriptors (`socket:[INODE]`).
    public var inode: String
    /// Whether it listens on every address (`0.0.0.0` or `::`): then no loopback address can
    /// take its port (Linux refuses the bind).
    public var isWildcard = false

    /// Every listening TCP socket of this machine (of this network namespace).
    public static func all(procRoot: String = "/proc") -> [ListeningSocket] {
        var sockets: [ListeningSocket] = []
        for table in ["tcp", "tcp6"] {
            guard let data = ProcFile.read("\(procRoot)/net/\(table)") else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                      let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16) else { continue }
                let address = fields[1][..<colon]
                sockets.append(ListeningSocket(
                    ipv4Address: table == "tcp" ? dotted(address) : nil, port: port, inode: String(fields[9]), isWildcard: address.allSatisfy { $0 == "0" }
                ))
            }
        }
        return sockets
    }

    /// `0100007F` (little-endian hex) → `127.0.0.1`.
    static func dotted(_ hex: Substring) -> String? {
        guard hex.count == 8, let value = UInt32(hex, radix: 16) else { return nil }
        return (0..<4).map { String((value >> (8 * $0)) & 0xff) }.joined(separator: ".")
    }
}

/// Reads a /proc file to its end. (Foundation's `String(contentsOfFile:)` stops after the first
/// page of a /proc file, whose size reads as 0: a busy machine's socket table is longer.)
enum ProcFile {
    static func read(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.readToEnd()
    }
}
