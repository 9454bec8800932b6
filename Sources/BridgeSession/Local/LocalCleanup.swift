import LocalEndpoints

/// `kbridge clean`'s half on this machine (`ClusterCleanup` is the cluster's): the hosts-file
/// blocks and the records of sessions whose process is gone. Sessions that run are left alone.
public struct LocalCleanup: Sendable {
    /// One thing a gone session left on this machine.
    public enum Leftover: Sendable, Equatable {
        /// Its block in a hosts file.
        case hostsBlock(session: String, hostsFile: String)
        /// Its record (its cluster side is given back by `ClusterCleanup`, or gone).
        case record(SessionRecord)

        public var session: String {
            switch self {
            case .hostsBlock(let session, _): return session
            case .record(let record): return record.id
            }
        }
    }

    let registry: SessionRegistry
    /// The hosts file whose blocks are looked at (each record's own is too).
    let hostsFile: HostsFile

    public init(registry: SessionRegistry, hostsFile: HostsFile) {
        self.registry = registry
        self.hostsFile = hostsFile
    }

    /// What gone sessions left: blocks in the hosts file, then records (of `namespace`'s
    /// sessions when given).
    public func leftovers(namespace: String?) -> [Leftover] {
        let running = Set(registry.all().filter(\.isRunning).map(\.id))
        let blocks = ((try? hostsFile.sessions()) ?? []).filter { !running.contains($0) }
        let records = registry.all().filter { !$0.isRunning && (namespace == nil || $0.workload.namespace == namespace) }
        return blocks.map { .hostsBlock(session: $0, hostsFile: hostsFile.path) } + records.map { .record($0) }
    }

    /// Removes one leftover; a record's block in another hosts file goes with it.
    public func clean(_ leftover: Leftover) throws(HostsFile.Failure) {
        switch leftover {
        case .hostsBlock(let session, _):
            try hostsFile.remove(session: session)
        case .record(let record):
            if let path = record.hostsFile, path != hostsFile.path, (try? HostsFile(path: path).sessions().contains(record.id)) == true {
                try HostsFile(path: path).remove(session: record.id)
            }
            try? SessionFiles(session: record.id, registry: registry).remove()
            registry.remove(record.id)
        }
    }
}
