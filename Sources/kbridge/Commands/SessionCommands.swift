import ArgumentParser
import BridgeSession
import Foundation
import KubernetesClient
import LocalEndpoints
import Logging

/// `kbridge status`: the sessions this machine holds.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List the sessions this machine holds.")

    @OptionGroup var format: OutputOptions

    func run() async throws {
        let console = Console(format: format.output)
        let records = SessionRegistry().all()
        switch format.output {
        case .text:
            guard !records.isEmpty else {
                console.result("no kbridge sessions on this machine", event: "sessions", fields: [:])
                return
            }
            let rows = records.map { record in
                [record.id, record.service.isEmpty ? "-" : record.service, record.workload.namespace, "\(record.workload.kind.rawValue.lowercased())/\(record.workload.name)",
                 String(record.localPort), String(record.pid), record.isRunning ? (record.connectedAt == nil ? "starting" : "connected") : "stale (its process is gone: kbridge disconnect gives back)", record.startedAt]
            }
            console.result(TextTable.render(header: ["SESSION", "SERVICE", "NAMESPACE", "WORKLOAD", "LOCAL PORT", "PID", "STATE", "STARTED"], rows: rows), event: "sessions", fields: [:])
        case .json:
            for record in records {
                console.result("", event: "session", fields: [
                    "session": .string(record.id), "service": .string(record.service), "namespace": .string(record.workload.namespace),
                    "workload": .string("\(record.workload.kind.rawValue.lowercased())/\(record.workload.name)"), "localPort": .integer(Int64(record.localPort)),
                    "pid": .integer(Int64(record.pid)), "running": .bool(record.isRunning), "connected": .bool(record.isRunning && record.connectedAt != nil),
                    "startedAt": .string(record.startedAt),
                ])
            }
        }
    }
}

/// `kbridge disconnect`: ends a session from another terminal, or gives back what a session
/// whose process died left behind (found by its record, or in the cluster by the service).
struct DisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "End a session (and give back everything it changed).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The redirected service of the session to end.")
    var service: String?

    @Option(help: "The session id (as `kbridge status` shows it).")
    var session: String?

    @Flag(help: "End every session of this machine.")
    var all = false

    @Flag(help: "Put back the original saved at the start, even over changes others made to the replaced container meanwhile.")
    var force = false

    @Flag(help: "For a session whose process is gone and whose cluster no longer exists: drop its record and hosts-file block without restoring the workload.")
    var forget = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        let console = Console(format: global.output)
        let logger = DiagnosticLog.logger(command: "disconnect")
        try await reportingErrors(console) {
            let registry = SessionRegistry()
            let records = registry.all().filter { record in
                (service == nil || record.service == service) && (session == nil || record.id == session)
                    && (global.namespace == nil || record.workload.namespace == global.namespace)
            }
            guard !records.isEmpty else {
                try await giveBackFromTheCluster(console: console, logger: logger)
                return
            }
            guard records.count == 1 || all else {
                throw Failure(description: "several sessions match (\(records.map { "\($0.id): \($0.service)" }.joined(separator: ", "))): choose one with --service or --session, or pass --all")
            }
            // Every session is tried, even after one fails (its cluster may be gone while the others are live).
            var failures: [String] = []
            for record in records {
                do {
                    try await end(record, registry: registry, console: console, logger: logger)
                } catch {
                    if records.count > 1 { console.warning("session \(record.id): \(error)") }
                    failures.append(records.count > 1 ? "session \(record.id): \(error)" : "\(error)")
                }
            }
            guard failures.isEmpty else {
                throw Failure(description: failures.count == 1 ? failures[0] : "\(failures.count) of \(records.count) sessions could not be ended (see above)")
            }
        }
    }

    private func end(_ record: SessionRecord, registry: SessionRegistry, console: Console, logger: Logger) async throws {
        if record.isRunning {
            console.step("ending session \(record.id) (service \"\(record.service)\", pid \(record.pid))")
            guard await registry.stop(record) else { throw Failure(description: "session \(record.id) (pid \(record.pid)) did not end within 120s") }
        }
        if registry.all().contains(where: { $0.id == record.id }) {
            // Its process is gone without giving back.
            if forget {
                try registry.forget(record)
                console.result("session \(record.id) forgotten: \(record.workload) is left as it is", event: "forgotten", fields: ["session": .string(record.id)])
                return
            }
            console.step("giving back what session \(record.id) left: \(record.workload)")
            let restored: Restored
            do {
                let client = try KubernetesClient(kubeconfig: record.kubeconfig, context: record.context, namespace: record.workload.namespace, logger: logger)
                restored = Restored(kept: try await SessionGiveBack.giveBack(leftBy: record, client: client, registry: registry, force: force).kept)
            } catch SessionError.restoreConflict(let workload, let detail) {
                throw SessionError.restoreConflict(workload: workload, detail: detail)
            } catch {
                throw Failure(description: "\(error) (if that cluster is gone for good, `kbridge disconnect --session \(record.id) --forget` drops the record)")
            }
            report(restored, workload: record.workload, session: record.id, console: console)
            return
        }
        console.result("session \(record.id) ended: \(record.workload) is back as it was", event: "disconnected", fields: ["session": .string(record.id)])
    }

    /// No record on this machine: the service's workload may still carry a take-over (a crash
    /// before the record was kept, another machine's session). It is given back when the session
    /// is named: another machine's session may be alive.
    private func giveBackFromTheCluster(console: Console, logger: Logger) async throws {
        let nothing = "no kbridge session\(service.map { " for service \"\($0)\"" } ?? "")\(session.map { " with id \($0)" } ?? "") on this machine (see kbridge status)"
        guard let service else { throw Failure(description: nothing) }
        let client = try global.client(logger: logger)
        let namespace = global.namespace ?? client.defaultNamespace
        guard let takenOver = try await TakeoverFinder(client: client).find(service: service, namespace: namespace) else {
            throw Failure(description: "\(nothing), and service \"\(service)\" in namespace \"\(namespace)\" is not redirected by kbridge")
        }
        guard takenOver.session == session else {
            throw Failure(description: "\(takenOver.workload) is redirected by kbridge session \(takenOver.session), which is not of this machine: if its owner is gone, `kbridge disconnect --service \(service) --session \(takenOver.session)` gives it back")
        }
        console.step("giving back what session \(takenOver.session) left: \(takenOver.workload)")
        var giveBack = SessionGiveBack(client: client, session: takenOver.session, namespace: takenOver.workload.namespace, workloads: [takenOver.workload])
        giveBack.force = force
        let restored = Restored(kept: try await giveBack.runThrowing([.takeover, .sessionGuard]).kept)
        report(restored, workload: takenOver.workload, session: takenOver.session, console: console)
    }

    private func report(_ restored: Restored, workload: WorkloadReference, session: String, console: Console) {
        for kept in restored.kept { console.warning("\(workload): \(kept)") }
        let state = restored.kept.isEmpty ? "is back as it was" : "runs its own container again (changes others made meanwhile were kept)"
        console.result("session \(session) ended: \(workload) \(state)", event: "disconnected", fields: ["session": .string(session)])
    }
}
