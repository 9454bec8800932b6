/// How the agent sends the files under a mount path (`AgentContract.Target.files`), and how the
/// CLI reads them back. One header line per entry, a file's bytes right after its line:
///
/// ```
/// d 755 ""                   the requested path itself, a folder
/// f 644 26 "greeting.txt"    a file of 26 bytes, which follow
/// d 700 "keys"               a folder inside it
/// e "keys/private.pem: Permission denied"   an entry the agent could not read
/// end                        everything was sent
/// ```
///
/// Paths are relative to the requested path (`""` is the path itself, a file when a single file
/// is mounted), JSON strings so that any name survives; modes are octal permission bits. A stream
/// that ends before `end` was cut.
public enum FileArchive {
    public enum Entry: Sendable, Equatable {
        case directory(path: String, mode: UInt32)
        case file(path: String, mode: UInt32, content: [UInt8])
        /// What the agent could not read, in its words.
        case unreadable(String)
    }

    public static let endLine = "end\n"
    /// The most file content the agent sends for one mount path: configuration, not data.
    public static let limit = 64 << 20

    /// The header line of a folder.
    public static func directoryHeader(path: String, mode: UInt32) -> String {
        "d \(String(mode & 0o7777, radix: 8)) \(JSONString.quote(path))\n"
    }

    /// The header line of a file of `size` bytes (its bytes follow).
    public static func fileHeader(path: String, mode: UInt32, size: Int) -> String {
        "f \(String(mode & 0o7777, radix: 8)) \(size) \(JSONString.quote(path))\n"
    }

    public static func unreadableLine(_ reason: String) -> String {
        "e \(JSONString.quote(reason))\n"
    }

    /// Why an archive cannot be read.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The stream ended before `end` (the agent or the tunnel stopped mid-way).
        case cut
        case malformed(line: String)

        public var description: String {
            switch self {
            case .cut: return "the agent's file stream ended before its end"
            case .malformed(let line): return "the agent's file stream has an unreadable line: \(line.prefix(120))"
            }
        }
    }

    /// The entries of a whole archive.
    public static func decode(_ bytes: [UInt8]) throws(Failure) -> [Entry] {
        var entries: [Entry] = []
        var index = 0
        while true {
            guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { throw .cut }
            let line = String(decoding: bytes[index..<newline], as: UTF8.self)
            index = newline + 1
            if line == "end" {
                guard index == bytes.count else { throw .malformed(line: "bytes after the end") }
                return entries
            }
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            switch fields.first {
            case "e":
                guard let reason = JSONString.unquote(line.dropFirst(2)) else { throw .malformed(line: line) }
                entries.append(.unreadable(reason))
            case "d":
                let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, let mode = UInt32(parts[1], radix: 8), let path = JSONString.unquote(parts[2]) else { throw .malformed(line: line) }
                entries.append(.directory(path: path, mode: mode))
            case "f":
                guard fields.count == 4, let mode = UInt32(fields[1], radix: 8), let size = Int(fields[2]), size >= 0,
                      let path = JSONString.unquote(fields[3])
                else { throw .malformed(line: line) }
                guard bytes.count - index >= size else { throw .cut }
                entries.append(.file(path: path, mode: mode, content: Array(bytes[index..<index + size])))
                index += size
            default:
                throw .malformed(line: line)
            }
        }
    }
}
