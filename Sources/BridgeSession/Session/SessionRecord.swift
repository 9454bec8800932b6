import ChildProcesses
import Foundation

/// What this machine remembers of a running session, so that `kbridge status` can list it and
/// `kbridge disconnect` can end it (or, when its process is gone, give back what it changed).
public struct SessionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var pid: Int32
    public var service: String
    public var workload: WorkloadReference
    public var kubeconfig: String?
    public var context: String?
    /// The hosts file that holds the session's block, if any.
    public var hostsFile: String?
    public var localPort: Int
    public var startedAt: String
    /// When traffic started to flow; nil while the session is still starting.
    public var connectedAt: String?

    public init(id: String, pid: Int32, service: String, workload: WorkloadReference, kubeconfig: String?, context: String?, hostsFile: String?, localPort: Int, startedAt: String) {
        self.id = id
        self.pid = pid
        self.service = service
        self.workload = workload
        self.kubeconfig = kubeconfig
        self.context = context
        self.hostsFile = hostsFile
        self.localPort = localPort
        self.startedAt = startedAt
    }

    /// Whether the process that runs the session is still alive (not a zombie).
    public var isRunning: Bool {
        ProcessLiveness.isAlive(pid)
    }
}

/// The session records of this machine: one JSON file each in `$TMPDIR/kbridge/sessions/`.
public struct SessionRegistry: Sendable {
    public let directory: URL

    public init(directory: URL? = nil) {
        self.directory = directory ?? URL(fileURLWithPath: ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory())
            .appendingPathComponent("kbridge").appendingPathComponent("sessions")
    }

    public func save(_ record: SessionRecord) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: file(record.id), options: .atomic)
    }

    public func remove(_ id: String) {
        try? FileManager.default.removeItem(at: file(id))
    }

    /// Every recorded session, oldest first.
    public func all() -> [SessionRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }
            .compactMap { try? JSONDecoder().decode(SessionRecord.self, from: Data(contentsOf: $0)) }
            .sorted { $0.startedAt < $1.startedAt }
    }

    private func file(_ id: String) -> URL {
        directory.appendingPathComponent("\(id).json")
    }
}
