import Foundation
import BridgeSession
import KubernetesClient
import Logging
import Synchronization

/// Diagnostic logs in kbridge's private folder (`$TMPDIR/kbridge-UID/`), one file per run, mode
/// 0600, as Bridge to Kubernetes kept them in its TEMP folder: what a person attaches to a bug report.
enum DiagnosticLog {
    /// A logger writing to a new file of the private folder, named after the command and the
    /// process; a logger that drops everything when the folder is not this user's alone. Old
    /// logs go (`DiagnosticLogFiles.prune`).
    static func logger(command: String, level: Logger.Level = .debug, directory: PrivateDirectory = .standard) -> Logger {
        let folder = try? directory.ensure()
        if let folder { DiagnosticLogFiles.prune(folder) }
        let handle = folder.flatMap { try? PrivateFile.createForAppending($0.appendingPathComponent(DiagnosticLogFiles.name(command: command))) }
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
