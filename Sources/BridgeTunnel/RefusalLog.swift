import NIOConcurrencyHelpers
import NIOCore

/// Says who was refused, without letting a flood of refused connections fill the agent's log:
/// the first `perMinute` refusals of each minute are logged one by one, the rest counted and
/// summed up in one line when the next minute's first refusal comes.
final class RefusalLog: Sendable {
    private struct Window {
        var start = NIODeadline.now()
        var logged = 0
        var suppressed = 0
    }

    private let log: @Sendable (String) -> Void
    private let perMinute: Int
    private let window = NIOLockedValueBox(Window())

    init(log: @escaping @Sendable (String) -> Void, perMinute: Int = 20) {
        self.log = log
        self.perMinute = perMinute
    }

    func note(_ line: String) {
        let (summary, write) = window.withLockedValue { window -> (String?, Bool) in
            var summary: String?
            if NIODeadline.now() - window.start >= .minutes(1) {
                if window.suppressed > 0 { summary = "refused \(window.suppressed) more connections in the last minute (not logged one by one)" }
                window = Window()
            }
            guard window.logged < perMinute else {
                window.suppressed += 1
                return (summary, false)
            }
            window.logged += 1
            return (summary, true)
        }
        if let summary { log(summary) }
        if write { log(line) }
    }
}
