import Foundation

/// Replaces a file atomically: the new content goes to a temporary file beside it, created
/// exclusively under a random name (a link or a file someone prepared there is never opened),
/// given the mode and owner wanted before anything is written, then renamed over the file.
public enum FileReplacement {
    public struct Failure: Error, CustomStringConvertible {
        public var detail: String
        /// The content was written but could not be renamed over the file (a mount point).
        public var renameFailed = false
        public var description: String { detail }
    }

    /// Replaces `path` with `data`, mode `mode`, and the owner `owner` when given (root keeping
    /// another user's file theirs). Throws with the reason; the temporary file is gone either way.
    public static func replace(_ path: String, with data: Data, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).kbridge-\(UInt64.random(in: 0 ... .max))").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(detail: String(cString: strerror(errno))) }
        var failure: String?
        if let owner, owner.uid != geteuid() || owner.gid != getegid(), fchown(descriptor, owner.uid, owner.gid) != 0 {
            failure = "cannot give it to uid \(owner.uid): \(String(cString: strerror(errno)))"
        }
        if failure == nil, fchmod(descriptor, mode & 0o7777) != 0 { failure = String(cString: strerror(errno)) }
        if failure == nil, !writeAll(data, to: descriptor) { failure = String(cString: strerror(errno)) }
        close(descriptor)
        var renameFailed = false
        if failure == nil, rename(temporary, path) != 0 {
            failure = String(cString: strerror(errno))
            renameFailed = true
        }
        if let failure {
            unlink(temporary)
            throw Failure(detail: failure, renameFailed: renameFailed)
        }
    }

    /// Writes all of `data`, then syncs it; false on an error (in `errno`).
    static func writeAll(_ data: Data, to descriptor: CInt) -> Bool {
        data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let count = Foundation.write(descriptor, base + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return fsync(descriptor) == 0
        }
    }
}
