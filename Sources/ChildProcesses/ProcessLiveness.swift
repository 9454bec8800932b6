import Foundation

/// Whether a process runs, as seen from any process of this machine.
public enum ProcessLiveness {
    /// It exists and is not a zombie waiting for its parent to reap it.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}
