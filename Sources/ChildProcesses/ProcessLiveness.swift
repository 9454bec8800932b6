import Foundation

/// Whether a process runs, as seen from any process of this machine.
public enum ProcessLiveness {
    /// It exists and is not a zombie waiting for its parent to reap it.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let fields = statFields(pid) else { return true }
        return fields.first != "Z"
    }

    /// When the process started, in clock ticks since boot (`/proc/PID/stat`): with the pid, it
    /// names one process for good, where a pid alone may be reused by another.
    public static func startTime(of pid: pid_t) -> UInt64? {
        guard let fields = statFields(pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether the process `pid` that started at `startTime` is still the one running: alive, and
    /// not a newer process that was given the same pid.
    public static func isAlive(_ pid: pid_t, startedAt startTime: UInt64?) -> Bool {
        guard isAlive(pid) else { return false }
        guard let startTime, let current = self.startTime(of: pid) else { return true }
        return current == startTime
    }

    /// Every running process of the session `session` (the pid of its leader), the leader
    /// included: what a daemon started in a session of its own left behind, whatever process
    /// groups its children made for themselves.
    public static func members(ofSession session: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let fields = statFields(pid), fields.count > 3 else { return false }
            return fields[0] != "Z" && pid_t(fields[3]) == session
        }
    }

    /// The fields of `/proc/PID/stat` after the command name, from the state on.
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
