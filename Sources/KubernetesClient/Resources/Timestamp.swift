import Foundation

/// RFC 3339 times as Kubernetes writes them (`2026-11-22T11:22:07Z`, `MicroTime` with fractions).
public enum Timestamp {
    /// Formats a time with whole seconds, as `metav1.Time`.
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// Formats a time with microseconds, as `metav1.MicroTime` (leases, events).
    public static func formatMicro(_ date: Date) -> String {
        let whole = format(date).dropLast()
        let micros = Int((date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)) * 1_000_000)
        return "\(whole).\(String(format: "%06d", micros))Z"
    }

    /// Parses either form; nil when the text is not a time.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
