/// Writes variables as a dotenv file (`NAME="value"`, one per line, sorted), quoted so that
/// spaces, quotes, backslashes and newlines survive the common readers (docker compose,
/// python-dotenv, Node's dotenv, VS Code's `envFile`).
public enum DotenvFile {
    public static func render(_ variables: [String: String]) -> String {
        variables.sorted { $0.key < $1.key }.map { "\($0.key)=\(quote($0.value))\n" }.joined()
    }

    static func quote(_ value: String) -> String {
        var quoted = "\""
        for character in value {
            switch character {
            case "\\": quoted += "\\\\"
            case "\"": quoted += "\\\""
            case "\n": quoted += "\\n"
            case "\r\n": quoted += "\\r\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default: quoted.append(character)
            }
        }
        return quoted + "\""
    }
}
