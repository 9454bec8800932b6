import Foundation
import KubernetesClient

#if canImport(Glibc)
import Glibc
#endif

/// Writes straight to standard output (unbuffered, so progress shows when piped).
func say(_ text: String = "", terminator: String = "\n") {
    let bytes = Array((text + terminator).utf8)
    _ = bytes.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count) }
}

/// Medians and tails of measured samples.
struct Summary: Sendable {
    var median: Double
    var p99: Double
    var count: Int

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.down)))]
    }
}

/// One measured figure of one path, with what it is compared to.
struct Figure: Sendable {
    enum Direction: String, Sendable { case lowerIsBetter, higherIsBetter }

    var scenario: String
    var path: String
    var unit: String
    var summary: Summary
    var direction: Direction
    /// The path this one is compared to, and its figure (measured in the same run).
    var baseline: (path: String, summary: Summary)?
    var note: String = ""

    var ratio: Double? {
        guard let baseline, baseline.summary.median > 0 else { return nil }
        return summary.median / baseline.summary.median
    }
}

/// The run's figures: printed as a table as they come, and written as JSON at the end.
final class Report: @unchecked Sendable {
    private(set) var figures: [Figure] = []
    private(set) var notes: [String] = []
    private var lastScenario = ""

    func add(_ figure: Figure) {
        if figure.scenario != lastScenario {
            say("")
            say("## \(figure.scenario)")
            say(Self.pad("path", 64) + Self.pad("median", 14) + Self.pad("p99", 14) + "vs baseline")
            lastScenario = figure.scenario
        }
        figures.append(figure)
        let digits = figure.unit == "s" ? 2 : 1
        var comparison = ""
        if let baseline = figure.baseline, let ratio = figure.ratio {
            let difference = figure.summary.median - baseline.summary.median
            let sign = difference >= 0 ? "+" : "−"
            comparison = "\(Self.format(ratio, digits: 2))× \(baseline.path)"
            if figure.direction == .lowerIsBetter { comparison += " (\(sign)\(Self.format(abs(difference), digits: digits)) \(figure.unit))" }
        }
        let p99 = figure.summary.p99 != figure.summary.median ? Self.format(figure.summary.p99, digits: digits) + " " + figure.unit : ""
        say(Self.pad(figure.path, 64) + Self.pad(Self.format(figure.summary.median, digits: digits) + " " + figure.unit, 14) + Self.pad(p99, 14) + comparison + (figure.note.isEmpty ? "" : "  \(figure.note)"))
    }

    func note(_ text: String) {
        notes.append(text)
        say("   \(text)")
    }

    func json() -> JSONValue {
        .object([
            "figures": .array(figures.map { figure in
                var object: [String: JSONValue] = [
                    "scenario": .string(figure.scenario), "path": .string(figure.path), "unit": .string(figure.unit),
                    "median": .double(figure.summary.median), "p99": .double(figure.summary.p99), "samples": .integer(Int64(figure.summary.count)),
                    "direction": .string(figure.direction.rawValue),
                ]
                if let baseline = figure.baseline {
                    object["baseline"] = .string(baseline.path)
                    object["baselineMedian"] = .double(baseline.summary.median)
                }
                if let ratio = figure.ratio { object["ratio"] = .double(ratio) }
                if !figure.note.isEmpty { object["note"] = .string(figure.note) }
                return .object(object)
            }),
            "notes": .array(notes.map { .string($0) }),
        ])
    }

    static func format(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "—" }
        var text = String(Int((abs(value) * pow(10, Double(digits))).rounded()))
        while text.count <= digits { text = "0" + text }
        let whole = String(text.dropLast(digits))
        let grouped = whole.count > 4 ? group(whole) : whole
        return (value < 0 ? "-" : "") + grouped + "." + String(text.suffix(digits))
    }

    private static func group(_ digits: String) -> String {
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
