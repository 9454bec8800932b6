#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the in-cluster programs (`kbridge-agent`, `kbridge-guard`) need of their process, without
/// Foundation: the environment, a log line written at once, and handing over to the other program.
public enum ContainerProcess {
    public static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return variables
    }

    /// One line into the container's log, written at once (stdout is a pipe there, so `print` would hold it).
    public static func log(_ message: String, from program: String) {
        let line = Array("\(program): \(message)\n".utf8)
        line.withUnsafeBytes { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
    }

    public static func fail(_ message: String, from program: String) -> Never {
        log(message, from: program)
        exit(2)
    }

    /// The path of `program` in this executable's folder (the image keeps the two side by side).
    public static func beside(_ program: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = length > 0 ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let folder = me.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (folder.isEmpty ? "." : folder) + "/" + program
    }

    /// Replaces this process with `path` run with `arguments`; returns only when that failed, with why.
    public static func execute(_ path: String, arguments: [String]) -> String {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        for argument in argv { free(argument) }
        return reason
    }
}
