import Foundation
import LocalEndpoints

/// Why kbridge will not keep its files somewhere.
public enum PrivateFileError: Error, Equatable, CustomStringConvertible {
    /// The folder exists but others could read or plant files in it.
    case unsafeDirectory(path: String, reason: String)
    case cannotCreate(path: String, detail: String)
    case cannotWrite(path: String, detail: String)

    public var description: String {
        switch self {
        case .unsafeDirectory(let path, let reason):
            return "\(path) \(reason): kbridge keeps session secrets there, so it must be yours alone (mode 0700); remove it, or set TMPDIR to a folder of your own"
        case .cannotCreate(let path, let detail):
            return "cannot create \(path): \(detail)"
        case .cannotWrite(let path, let detail):
            return "cannot write \(path): \(detail)"
        }
    }
}

/// kbridge's folder on this machine: `$TMPDIR/kbridge-UID/` (the temporary folder, as Bridge to
/// Kubernetes used TEMP), mode 0700 and owned by this user, checked before every use so that
/// nobody else can read the records and logs in it or plant one there.
public struct PrivateDirectory: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// The per-user folder under `$TMPDIR` (or the system's temporary folder).
    public static var standard: PrivateDirectory {
        let temporary = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        return PrivateDirectory(url: URL(fileURLWithPath: temporary).appendingPathComponent(rootName))
    }

    public func appending(_ component: String) -> PrivateDirectory {
        PrivateDirectory(url: url.appendingPathComponent(component))
    }

    /// Creates the folder (and kbridge's folders above it) if missing; fails if any of them is
    /// not this user's alone.
    @discardableResult
    public func ensure() throws(PrivateFileError) -> URL {
        if let parent = kbridgeParent { try parent.ensure() }
        if mkdir(url.path, 0o700) != 0, errno != EEXIST {
            throw .cannotCreate(path: url.path, detail: String(cString: strerror(errno)))
        }
        try checkThisFolder()
        return url
    }

    /// Fails unless the folder, and kbridge's folders above it, are real directories (not links)
    /// owned by this user with no rights for others.
    public func check() throws(PrivateFileError) {
        if let parent = kbridgeParent { try parent.check() }
        try checkThisFolder()
    }

    /// The folder above, when it is kbridge's too (`kbridge-UID` above `sessions`).
    private var kbridgeParent: PrivateDirectory? {
        let parent = url.deletingLastPathComponent()
        return parent.lastPathComponent == Self.rootName ? PrivateDirectory(url: parent) : nil
    }

    /// The name of kbridge's folder in the temporary folder: one per user.
    static var rootName: String { "kbridge-\(geteuid())" }

    private func checkThisFolder() throws(PrivateFileError) {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { throw .cannotCreate(path: url.path, detail: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .unsafeDirectory(path: url.path, reason: "is not a directory (a link?)") }
        guard info.st_uid == geteuid() else { throw .unsafeDirectory(path: url.path, reason: "belongs to uid \(info.st_uid), not to you (uid \(geteuid()))") }
        guard info.st_mode & 0o077 == 0 else {
            throw .unsafeDirectory(path: url.path, reason: "has mode \(String(info.st_mode & 0o777, radix: 8)), open to others")
        }
    }
}

/// Files only their owner may read.
public enum PrivateFile {
    /// Replaces `url` atomically with `data`, mode 0600: written beside it, then renamed over it.
    /// (A link at `url` is replaced, never followed.)
    public static func write(_ data: Data, to url: URL) throws(PrivateFileError) {
        do {
            try FileReplacement.replace(url.path, with: data, mode: 0o600)
        } catch {
            throw .cannotWrite(path: url.path, detail: error.detail)
        }
    }

    /// Whether `url` is a regular file (not a link) of this user that nobody else may read or write.
    public static func isPrivate(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_uid == geteuid() && info.st_mode & 0o077 == 0
    }

    /// Opens a new file for appending, mode 0600 (a log).
    public static func createForAppending(_ url: URL) throws(PrivateFileError) -> FileHandle {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotWrite(path: url.path, detail: String(cString: strerror(errno))) }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
