import Foundation

/// Writes variables as a dotenv file (`NAME="value"`, one per line, sorted), quoted so that
/// spaces, quotes, backslashes and newlines survive the common readers (docker compose,
/// python-dotenv, Node's dotenv, VS Code's `envFile`).
public enum DotenvFile {
    /// Fails unless the file can be written there (its folder exists and is writable), so that a
    /// wrong path is refused before anything changes.
    public static func checkDestination(_ path: String) throws(PrivateFileError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .cannotWrite(path: path, detail: "the folder \(folder) does not exist")
        }
        var target: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &target), target.boolValue {
            throw .cannotWrite(path: path, detail: "it is a directory")
        }
        guard access(folder, W_OK) == 0 else { throw .cannotWrite(path: path, detail: "no right to write in \(folder)") }
    }

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
