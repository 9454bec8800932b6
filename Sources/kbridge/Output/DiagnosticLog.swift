import Foundation
import KubernetesClient
import Logging
import Synchronization

/// Diagnostic logs in `$TMPDIR/kbridge/`, one file per run, as Bridge to Kubernetes kept them
/// in its TEMP folder: what a person attaches to a bug report.
enum DiagnosticLog {
    /// The folder of the logs.
    static var directory: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()).appendingPathComponent("kbridge")
    }

    /// A logger writing to a new file of `directory`, named after the command and the process.
    static func logger(command: String, level: Logger.Level = .debug) -> Logger {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
        let file = directory.appendingPathComponent("kbridge-\(command)-\(stamp)-\(getpid()).log")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = FileHandle(forWritingAtPath: file.path)
        var logger = Logger(label: "kbridge") { label in FileLogHandler(label: label, handle: handle) }
        logger.logLevel = level
        return logger
    }
}

/// A swift-log handler appending lines to a file.
struct FileLogHandler: LogHandler {
    let label: String
    let handle: FileHandle?
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]
    private static let lock = Mutex(())

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let merged = metadata.merging(explicit ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(Timestamp.formatMicro(Date())) \(level) \(label): \(message)\(fields.isEmpty ? "" : " \(fields)")\n"
        Self.lock.withLock { _ in handle?.write(Data(text.utf8)) }
    }
}
