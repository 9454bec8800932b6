import Foundation
import KubernetesClient

/// The diagnostic logs of kbridge's runs in the private folder (`kbridge-COMMAND-TIME-PID.log`),
/// one per run: what a person attaches to a bug report, kept for a while and then removed, so that
/// the folder does not grow for ever.
public enum DiagnosticLogFiles {
    /// Logs younger than this are kept.
    public static let maximumAge: TimeInterval = 7 * 24 * 3600
    /// Older ones are kept too while they are among this many newest.
    public static let keptAtLeast = 20

    /// A new log's name for a run of `command`.
    public static func name(command: String, at date: Date = Date(), pid: Int32 = getpid()) -> String {
        "kbridge-\(command)-\(Timestamp.format(date).replacingOccurrences(of: ":", with: ""))-\(pid).log"
    }

    /// Removes the logs older than `maximumAge` beyond the `keptAtLeast` newest. Only this user's
    /// regular files named as logs are touched (a link or another's file stays).
    public static func prune(_ folder: URL, now: Date = Date()) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        var logs: [(path: String, modified: TimeInterval)] = []
        for name in names where name.hasPrefix("kbridge-") && name.hasSuffix(".log") {
            let path = folder.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else { continue }
            logs.append((path, TimeInterval(info.st_mtim.tv_sec)))
        }
        let oldestKept = now.timeIntervalSince1970 - maximumAge
        for log in logs.sorted(by: { $0.modified > $1.modified }).dropFirst(keptAtLeast) where log.modified < oldestKept {
            unlink(log.path)
        }
    }
}
