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
        /// This user lacks the rights to it.
        case notWritable(path: String)
        /// Not something to write names into: missing, a directory, immutable, on a read-only disk.
        case unusable(path: String, reason: String)
        case unreadable(path: String, detail: String)
        case writeFailed(path: String, detail: String)

        public var description: String {
            switch self {
            case .notWritable(let path): return "cannot write \(path): run with the rights to edit it, or use --no-hosts"
            case .unusable(let path, let reason): return "cannot use \(path) as the hosts file: \(reason) (choose another --hosts-file, or use --no-hosts)"
            case .unreadable(let path, let detail): return "cannot read \(path): \(detail)"
            case .writeFailed(let path, let detail): return "cannot update \(path): \(detail)"
            }
        }
    }

    public let path: String

    public init(path: String = "/etc/hosts") {
        self.path = path
    }

    /// Fails unless this process can rewrite the file (through links, at their target), saying
    /// why: no rights, or a path that is not a regular file one can write.
    public func checkWritable() throws(Failure) {
        let target = resolvedPath
        var info = stat()
        guard stat(target, &info) == 0 else {
            throw .unusable(path: path, reason: errno == ENOENT ? "it does not exist" + (target == path ? "" : " (the link points to \(target))") : String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unusable(path: path, reason: info.st_mode & S_IFMT == S_IFDIR ? "it is a directory" : "it is not a regular file") }
        let descriptor = open(target, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else {
            switch errno {
            case EACCES: throw .notWritable(path: path)
            case EPERM: throw .unusable(path: path, reason: "it is immutable (chattr +i)")
            case EROFS: throw .unusable(path: path, reason: "it is on a read-only file system")
            default: throw .unusable(path: path, reason: String(cString: strerror(errno)))
            }
        }
        close(descriptor)
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        guard access(folder, W_OK) == 0 || errno != EACCES else { throw .notWritable(path: folder) }
    }

    /// The file the path leads to, through any links: what kbridge rewrites (a link stays a link).
    var resolvedPath: String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Adds (or replaces) the block of `session`. Returns the text the file had before, for `remove`.
    @discardableResult
    public func install(session: String, entries: [HostsEntry]) throws(Failure) -> String {
        try checkWritable()
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

    /// Replaces the file's text: at the end of any links, keeping its owner and mode.
    private func write(_ text: String) throws(Failure) {
        let target = resolvedPath
        var info = stat()
        guard stat(target, &info) == 0 else { throw .writeFailed(path: path, detail: String(cString: strerror(errno))) }
        do {
            try FileReplacement.replace(target, with: Data(text.utf8), mode: info.st_mode, owner: (info.st_uid, info.st_gid))
        } catch {
            // A hosts file that is a mount point (containers) cannot be renamed over: write it in place.
            guard error.renameFailed else { throw .writeFailed(path: path, detail: error.detail) }
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: target)) } catch { throw .writeFailed(path: path, detail: error.localizedDescription) }
        }
    }
}

extension HostsEntry {
    /// The names a pod resolves a service by: `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`.
    public static func service(_ name: String, namespace: String, address: String, clusterDomain: String = "cluster.local") -> HostsEntry {
        HostsEntry(address: address, names: [name, "\(name).\(namespace)", "\(name).\(namespace).svc", "\(name).\(namespace).svc.\(clusterDomain)"])
    }
}
