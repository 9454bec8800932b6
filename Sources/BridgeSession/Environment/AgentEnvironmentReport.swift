import Foundation

/// Reads the agent's environment report: one `NAME="value"` per line, the value a JSON string.
enum AgentEnvironmentReport {
    static func parse(_ text: String) throws(SessionError) -> [String: String] {
        var variables: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = String(line[..<equals])
            let quoted = Data(line[line.index(after: equals)...].utf8)
            guard let value = try? JSONDecoder().decode(String.self, from: quoted) else {
                throw .tunnelLost(detail: "the agent's environment report has an unreadable value for \(name)")
            }
            variables[name] = value
        }
        return variables
    }
}
