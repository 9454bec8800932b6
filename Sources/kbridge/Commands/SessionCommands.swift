import ArgumentParser
import BridgeSession
import Foundation
import KubernetesClient
import LocalEndpoints

/// `kbridge status`: the sessions this machine holds.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List the sessions this machine holds.")

    @Option(name: [.short, .long], help: "Output format: text, or json (one JSON event per line).")
    var output: OutputFormat = .text

    func run() async throws {
        let console = Console(format: output)
        let records = SessionRegistry().all()
        switch output {
        case .text:
            guard !records.isEmpty else {
                console.result("no kbridge sessions on this machine", event: "sessions", fields: [:])
                return
            }
            let rows = records.map { record in
                [record.id, record.service, record.workload.namespace, "\(record.workload.kind.rawValue.lowercased())/\(record.workload.name)",
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
/// whose process died left behind.
struct DisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "End a session of this machine (and give back everything it changed).")

    @Option(help: "The redirected service of the session to end.")
    var service: String?

    @Option(help: "The session id (as `kbridge status` shows it).")
    var session: String?

    @Flag(help: "End every session of this machine.")
    var all = false

    @Flag(help: "For a session whose process is gone and whose cluster no longer exists: drop its record and hosts-file block without restoring the workload.")
    var forget = false

    @Option(name: [.short, .long], help: "Output format: text, or json (one JSON event per line).")
    var output: OutputFormat = .text

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        let console = Console(format: output)
        let logger = DiagnosticLog.logger(command: "disconnect")
        try await reportingErrors(console) {
            let registry = SessionRegistry()
            let records = registry.all().filter { record in
                (service == nil || record.service == service) && (session == nil || record.id == session)
            }
            guard !records.isEmpty else {
                throw Failure(description: "no kbridge session\(service.map { " for service \"\($0)\"" } ?? "")\(session.map { " with id \($0)" } ?? "") on this machine (see kbridge status)")
            }
            guard records.count == 1 || all else {
                throw Failure(description: "several sessions match (\(records.map { "\($0.id): \($0.service)" }.joined(separator: ", "))): choose one with --service or --session, or pass --all")
            }
            for record in records {
                if record.isRunning {
                    console.step("ending session \(record.id) (service \"\(record.service)\", pid \(record.pid))")
                    kill(record.pid, SIGTERM)
                    let deadline = ContinuousClock.now + .seconds(120)
                    while record.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    guard !record.isRunning else { throw Failure(description: "session \(record.id) (pid \(record.pid)) did not end within 120s") }
                }
                if registry.all().contains(where: { $0.id == record.id }) {
                    // Its process is gone without giving back: do it here.
                    if let path = record.hostsFile { try HostsFile(path: path).remove(session: record.id) }
                    if forget {
                        console.step("forgetting session \(record.id): \(record.workload) is left as it is")
                    } else {
                        console.step("giving back what session \(record.id) left: \(record.workload)")
                        do {
                            let client = try KubernetesClient(kubeconfig: record.kubeconfig, context: record.context, namespace: record.workload.namespace, logger: logger)
                            try await WorkloadTakeover(client: client).restore(record.workload, session: record.id)
                        } catch {
                            throw Failure(description: "\(error) (if that cluster is gone for good, `kbridge disconnect --session \(record.id) --forget` drops the record)")
                        }
                    }
                    registry.remove(record.id)
                    if forget {
                        console.result("session \(record.id) forgotten", event: "forgotten", fields: ["session": .string(record.id)])
                        continue
                    }
                }
                console.result("session \(record.id) ended: \(record.workload) is back as it was", event: "disconnected", fields: ["session": .string(record.id)])
            }
        }
    }
}
