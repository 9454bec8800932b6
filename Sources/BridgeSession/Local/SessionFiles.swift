import BridgeTunnel
import Foundation

/// The pod's files on this machine, for one session: under `ROOT` (`<private folder>/sessions/ID.files`,
/// mode 0700, created afresh), a file the container sees at `/etc/app/settings.json` is at
/// `ROOT/etc/app/settings.json`, with its pod name and its owner's permission bits (group and
/// others get none: the pod's secrets are this user's alone). Removed when the session ends
/// (its `files` holding), or by `kbridge disconnect`/`clean` for a session whose process is gone.
///
/// What the agent sends is checked before it is written: each name must be a plain name (no
/// `..`, no `/`), each file is created new (never through a link), and nothing is written
/// outside the root.
public struct SessionFiles: Sendable {
    /// The variable that tells the local process where the pod's files are.
    public static let rootVariable = "KBRIDGE_ROOT"

    public let root: URL
    let session: String
    let registry: SessionRegistry

    public init(session: String, registry: SessionRegistry) {
        root = registry.directory.url.appendingPathComponent("\(session).files")
        self.session = session
        self.registry = registry
    }

    /// Why the agent's files cannot be written.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Creates the root: a new folder of this user's alone in the session records' folder.
    public func create() throws(Failure) {
        do { try registry.directory.ensure() } catch { throw Failure(description: error.description) }
        guard mkdir(root.path, 0o700) == 0 else { throw Failure(description: "cannot create \(root.path): \(String(cString: strerror(errno)))") }
    }

    /// Writes the entries the agent sent for `mountPath` (`FileArchive`) at that path under the
    /// root; returns what the agent could not read (in its words).
    @discardableResult
    public func write(_ entries: [FileArchive.Entry], at mountPath: String) throws(Failure) -> [String] {
        let base = try components(of: mountPath, what: "mount path")
        guard !base.isEmpty else { throw Failure(description: "the mount path \"\(mountPath)\" is the container's root") }
        // The folders down to the mount path's parent are made here; the archive makes the rest.
        var folder = root.path
        for component in base.dropLast() {
            folder += "/" + component
            try makeFolder(folder)
        }
        var unreadable: [String] = []
        for entry in entries {
            switch entry {
            case .unreadable(let reason):
                unreadable.append(reason)
            case .directory(let path, _):
                try makeFolder(try place(path, under: base))
            case .file(let path, let mode, let content):
                try writeFile(try place(path, under: base), mode: mode, content: content)
            }
        }
        return unreadable
    }

    /// Puts a link at `localPath` to the copy of what the container sees at `containerPath`,
    /// recorded first in the session's record; the folders above `localPath` are made if missing.
    public func link(_ linkPath: String, to containerPath: String) throws(Failure) {
        let localPath = linkPath
        let copy = self.localPath(of: containerPath)
        guard var record = registry.record(session) else { throw Failure(description: "the session's record is gone: cannot record the link \(localPath)") }
        record.linkedPaths = (record.linkedPaths ?? []) + [localPath]
        do { try registry.save(record) } catch { throw Failure(description: error.description) }
        let parent = (localPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(parent) for localPath \(localPath): \(error.localizedDescription)")
        }
        if Self.isLeftoverLink(localPath, registry: registry) { unlink(localPath) }
        guard symlink(copy, localPath) == 0 else {
            throw Failure(description: "cannot link \(localPath) to the downloaded volume: \(String(cString: strerror(errno)))")
        }
    }

    /// The links the session's record names.
    public var links: [String] { registry.record(session)?.linkedPaths ?? [] }

    /// Whether `path` is a link into a files folder of this machine's sessions (`registry`) that
    /// is gone: a crashed session's, whose records were cleaned. Anything else is the user's.
    public static func isLeftoverLink(_ path: String, registry: SessionRegistry) -> Bool {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
              target.hasPrefix(registry.directory.url.path + "/"),
              target.dropFirst(registry.directory.url.path.count + 1).split(separator: "/").first?.hasSuffix(".files") == true
        else { return false }
        return !FileManager.default.fileExists(atPath: target)
    }

    /// Removes the links the session's record names (those still pointing into the root), then the
    /// root and everything in it; nothing when they are gone already.
    public func remove() throws(Failure) {
        for path in links {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path), target.hasPrefix(root.path + "/") else { continue }
            unlink(path)
        }
        do {
            try FileManager.default.removeItem(at: root)
        } catch let error as CocoaError where error.code == .fileNoSuchFile {
        } catch {
            throw Failure(description: "cannot remove \(root.path): \(error.localizedDescription)")
        }
    }

    /// The local path of what the container sees at `containerPath`.
    public func localPath(of containerPath: String) -> String {
        root.path + (containerPath.hasPrefix("/") ? "" : "/") + containerPath
    }

    private func place(_ relative: String, under base: [String]) throws(Failure) -> String {
        let inner = relative.isEmpty ? [] : try components(of: relative, what: "name")
        return root.path + "/" + (base + inner).joined(separator: "/")
    }

    /// The plain names of `path`'s components; a path with `..`, `.`, an empty or odd name is refused.
    private func components(of path: String, what: String) throws(Failure) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for part in parts where part == "." || part == ".." || part.contains("\0") || part.utf8.count > 255 {
            throw Failure(description: "the agent sent the \(what) \"\(path)\", which is not a plain path: nothing of it was written")
        }
        return parts
    }

    private func makeFolder(_ path: String) throws(Failure) {
        if mkdir(path, 0o700) == 0 { return }
        var info = stat()
        guard errno == EEXIST, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(description: "cannot create the folder \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// A new file (a file another mount put there first is replaced: the later mount hides it in the pod too).
    private func writeFile(_ path: String, mode: UInt32, content: [UInt8]) throws(Failure) {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var written = 0
        while written < content.count {
            let count = content[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            written += count
        }
        // The owner's bits of the pod's mode (at least readable by the owner, who is this user).
        guard fchmod(descriptor, mode_t((mode & 0o700) | 0o400)) == 0 else {
            throw Failure(description: "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }
}
