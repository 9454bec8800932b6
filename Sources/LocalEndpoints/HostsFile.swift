import Foundation

/// One entry of a hosts-file block: an address and the names that resolve to it.
public struct HostsEntry: Sendable, Equatable {
    public var address: String
    public var names: [String]

    public init(address: String, names: [String]) {
        self.address = address
        self.names = names
    }
}

/// The hosts file, edited only between kbridge's markers.
///
/// A session's block is appended between `# BEGIN kbridge session=ID` and `# END kbridge session=ID`
/// with an atomic replace (write beside, then rename; in place when the file is a mount point that
/// cannot be renamed over). Removing the block gives back the file byte for byte when nobody else
/// changed it meanwhile, and otherwise removes only kbridge's lines.
public struct HostsFile: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notWritable(path: String)
        case unreadable(path: String, detail: String)
        case writeFailed(path: String, detail: String)

        public var description: String {
            switch self {
            case .notWritable(let path): return "cannot write \(path): run with the rights to edit it, or use --no-hosts"
            case .unreadable(let path, let detail): return "cannot read \(path): \(detail)"
            case .writeFailed(let path, let detail): return "cannot update \(path): \(detail)"
            }
        }
    }

    public let path: String

    public init(path: String = "/etc/hosts") {
        self.path = path
    }

    /// Whether this process may rewrite the file.
    public var isWritable: Bool {
        FileManager.default.isWritableFile(atPath: path)
    }

    /// Adds (or replaces) the block of `session`. Returns the text the file had before, for `remove`.
    @discardableResult
    public func install(session: String, entries: [HostsEntry]) throws(Failure) -> String {
        guard isWritable else { throw .notWritable(path: path) }
        let original = try read()
        var text = Self.removingBlock(of: session, from: original)
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += Self.block(session: session, entries: entries)
        try write(text)
        return original
    }

    /// Removes the block of `session`. With `original` (what `install` returned) and no other change
    /// since, the file gets exactly that text back.
    public func remove(session: String, original: String? = nil) throws(Failure) {
        let current = try read()
        guard current.contains(Self.beginMarker(session)) else { return }
        if let original, Self.removingBlock(of: session, from: current) == Self.removingBlock(of: session, from: Self.withTrailingNewline(original)) {
            try write(original)
            return
        }
        try write(Self.removingBlock(of: session, from: current))
    }

    /// Sessions that have a block in the file (left over when a session could not clean up).
    public func sessions() throws(Failure) -> [String] {
        try read().split(separator: "\n").compactMap { line in
            line.hasPrefix(Self.beginPrefix) ? String(line.dropFirst(Self.beginPrefix.count)) : nil
        }
    }

    // MARK: Text

    private static let beginPrefix = "# BEGIN kbridge session="
    private static let endPrefix = "# END kbridge session="

    static func beginMarker(_ session: String) -> String { beginPrefix + session }
    static func endMarker(_ session: String) -> String { endPrefix + session }

    static func block(session: String, entries: [HostsEntry]) -> String {
        var lines = [beginMarker(session), "# Added by kbridge for this session; removed when it ends (`kbridge disconnect` removes a leftover)."]
        lines += entries.map { "\($0.address)\t\($0.names.joined(separator: " "))" }
        lines.append(endMarker(session))
        return lines.joined(separator: "\n") + "\n"
    }

    static func removingBlock(of session: String, from text: String) -> String {
        var kept: [Substring] = []
        var inside = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines {
            if line == beginMarker(session) { inside = true; continue }
            if inside {
                if line == endMarker(session) { inside = false }
                continue
            }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    private static func withTrailingNewline(_ text: String) -> String {
        text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
    }

    // MARK: File

    private func read() throws(Failure) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, detail: error.localizedDescription)
        }
    }

    private func write(_ text: String) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).kbridge-\(getpid())")
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        do {
            try Data(text.utf8).write(to: temporary)
            if let permissions = attributes?[.posixPermissions] { try? FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary.path) }
            if rename(temporary.path, path) == 0 { return }
            try? FileManager.default.removeItem(at: temporary)
            // A hosts file that is a mount point (containers) cannot be renamed over: write it in place.
            try Data(text.utf8).write(to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(path: path, detail: error.localizedDescription)
        }
    }
}

extension HostsEntry {
    /// The names a pod resolves a service by: `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`.
    public static func service(_ name: String, namespace: String, address: String, clusterDomain: String = "cluster.local") -> HostsEntry {
        HostsEntry(address: address, names: [name, "\(name).\(namespace)", "\(name).\(namespace).svc", "\(name).\(namespace).svc.\(clusterDomain)"])
    }
}
