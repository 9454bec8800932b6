import Foundation

/// Which sandbox holds which loopback range: one file per range (named by its second octet) in a
/// folder of this machine, holding its owner ("PID DIRECTORY"). An entry whose process is gone,
/// or whose directory is, is stale and may be taken.
///
/// Every claim happens under an exclusive lock of the whole registry (`flock` on its `.lock`
/// file, per open file, so it also orders threads of one process): two sandboxes starting at the
/// same moment cannot both take a stale entry, nor read one being written as stale.
struct AddressRangeRegistry: Sendable {
    struct Owner: Equatable {
        var pid: Int32
        var directory: String

        init(directory: URL, pid: Int32 = getpid()) {
            self.pid = pid
            self.directory = directory.standardizedFileURL.path
        }

        init?(recorded: String) {
            let parts = recorded.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
            self.pid = pid
            directory = String(parts[1])
        }

        var recorded: String { "\(pid) \(directory)" }

        /// Whether the owner may still be using its range: its process runs and its directory exists.
        var isLive: Bool { pid > 0 && kill(pid, 0) == 0 && FileManager.default.fileExists(atPath: directory) }
    }

    let folder: URL

    /// `$TMPDIR/kbridge-sandbox-ranges/`.
    static var machineWide: AddressRangeRegistry {
        AddressRangeRegistry(folder: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-sandbox-ranges"))
    }

    /// The registry while locked: the only way to claim.
    struct Locked {
        let folder: URL

        /// Takes range `second` for `owner`: true when it is free, stale, or already `owner`'s.
        func claim(_ second: Int, for owner: Owner) -> Bool {
            let entry = folder.appendingPathComponent(String(second))
            if let text = try? String(contentsOf: entry, encoding: .utf8) {
                let recorded = Owner(recorded: text)
                if recorded == owner { return true }
                if recorded?.isLive == true { return false }
                try? FileManager.default.removeItem(at: entry)
            }
            let descriptor = open(entry.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            return owner.recorded.withCString { write(descriptor, $0, strlen($0)) } > 0
        }
    }

    /// Runs `body` with the registry locked against every other claimer on this machine. The lock
    /// file may be another user's (a shared `/tmp`): it is then opened for reading, which `flock`
    /// takes as well. Without any lock (no lock file can be opened or made), `body` runs all the
    /// same (also after 10 s of waiting for a lock another holds): claims are then only as safe
    /// as `O_EXCL` makes them.
    func withLock<Result>(_ body: (Locked) -> Result) -> Result {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(".lock").path
        var lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if lock < 0 { lock = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { if lock >= 0 { close(lock) } }
        if lock >= 0 {
            // Another user may hold the lock of a shared folder for ever: wait 10 s at most.
            let deadline = ContinuousClock.now + .seconds(10)
            while flock(lock, LOCK_EX | LOCK_NB) != 0, ContinuousClock.now < deadline { usleep(20_000) }
        }
        return body(Locked(folder: folder))
    }
}
