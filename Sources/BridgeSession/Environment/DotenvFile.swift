import Foundation

/// Writes variables as a dotenv file (`NAME='value'`, one per line, sorted), quoted so that
/// spaces, quotes, backslashes and newlines survive the common readers (docker compose,
/// python-dotenv, Node's dotenv, VS Code's `envFile`) and a shell that sources it runs nothing.
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
        // A folder that takes no new file although it looks writable (/proc, a read-only mount):
        // found now by creating one, not after the take-over.
        let probe = folder + "/.kbridge-probe-\(UInt64.random(in: 0 ... .max))"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotWrite(path: path, detail: String(cString: strerror(errno))) }
        close(descriptor)
        unlink(probe)
    }

    public static func render(_ variables: [String: String]) -> String {
        variables.sorted { $0.key < $1.key }.map { "\($0.key)=\(quote($0.value))\n" }.joined()
    }

    /// A value that no reader expands. The pod's variables come from ConfigMaps and Secrets that
    /// others may write: a `$(…)` or a backtick in one must stay text when a shell sources the file
    /// (`set -a; . FILE; set +a`). Single quotes when the value holds no quote or line break
    /// (literal for the shell, docker compose, python-dotenv and Node's dotenv alike); otherwise
    /// double quotes with `\`, `"`, `$` and the backtick escaped, which a shell reads back as the
    /// value (line breaks as `\n`, which dotenv readers turn back into line breaks).
    static func quote(_ value: String) -> String {
        if !value.unicodeScalars.contains(where: { $0 == "'" || $0 == "\n" || $0 == "\r" }) { return "'\(value)'" }
        var quoted = "\""
        for character in value {
            switch character {
            case "\\": quoted += "\\\\"
            case "\"": quoted += "\\\""
            case "$": quoted += "\\$"
            case "`": quoted += "\\`"
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
