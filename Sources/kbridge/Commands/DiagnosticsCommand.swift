import ArgumentParser
import BridgeSession
import Foundation
import KubernetesClient

/// `kbridge diagnostics`: what a connected session gives the local process, as Bridge to
/// Kubernetes' "Show connection diagnostics information" did: the environment (Secrets' values
/// masked), the names and where they lead, the pod's files on this machine, and the session's state.
struct DiagnosticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnostics",
        abstract: "Show what a session gives the local process: environment, names, files, state, and where its log is."
    )

    @OptionGroup var format: OutputOptions

    @Option(help: "The session id (as `kbridge status` shows it), when this machine holds several.")
    var session: String?

    @Option(help: "The redirected service of the session, when this machine holds several.")
    var service: String?

    @Flag(help: "Show the values of variables that come from Secrets (masked otherwise).")
    var showSecrets = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        let console = Console(format: format.output)
        try await reportingErrors(console) {
            let registry = SessionRegistry()
            let records = registry.all().filter { (session == nil || $0.id == session) && (service == nil || $0.service == service) }
            guard let record = records.first else {
                throw Failure(description: session == nil && service == nil
                    ? "no kbridge session on this machine: `kbridge connect` first"
                    : "no kbridge session on this machine matches \(session.map { "--session \($0)" } ?? "--service \(service ?? "")"); `kbridge status` lists them")
            }
            guard records.count == 1 else {
                throw Failure(description: "this machine holds \(records.count) sessions (\(records.map { "\($0.id): \($0.service)" }.joined(separator: ", "))): choose one with --session")
            }
            let state = record.isRunning ? (record.connectedAt == nil ? "starting" : "connected") : "stale (its process is gone: kbridge disconnect gives back)"
            let log = Self.logFile(of: record)
            let diagnostics = record.isRunning ? registry.diagnostics(record.id) : nil
            switch format.output {
            case .text: console.result(text(record, state: state, log: log, diagnostics), event: "diagnostics", fields: [:])
            case .json: console.result("", event: "diagnostics", fields: json(record, state: state, log: log, diagnostics))
            }
        }
    }

    /// The connect run's diagnostic log of the session (`kbridge-connect-TIME-PID.log`).
    static func logFile(of record: SessionRecord) -> String? {
        let folder = PrivateDirectory.standard.url
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("kbridge-connect-") && $0.hasSuffix("-\(record.pid).log") }.sorted().last.map { folder.appendingPathComponent($0).path }
    }

    private func text(_ record: SessionRecord, state: String, log: String?, _ diagnostics: SessionDiagnostics?) -> String {
        var lines = [
            "session \(record.id): service \"\(record.service)\" in namespace \"\(record.workload.namespace)\" (\(record.workload)), \(state)",
            "  started \(record.startedAt)\(record.connectedAt.map { ", connected \($0)" } ?? ""), pid \(record.pid), local port \(record.localPort)",
            "  log: \(log ?? "none found in \(PrivateDirectory.standard.url.path)")",
        ]
        guard let diagnostics else {
            lines.append(record.isRunning ? "not connected yet: the environment, names and files are shown once it is" : "")
            return lines.joined(separator: "\n")
        }
        lines.append("  agent pod: \(diagnostics.agentPod)")
        let secrets = diagnostics.secretVariables.count
        lines.append("")
        lines.append("environment (\(diagnostics.environment.count) variables\(secrets > 0 && !showSecrets ? "; \(secrets) from Secrets, masked: --show-secrets shows them" : ""))\(diagnostics.envFile.map { ", also in \($0)" } ?? ""):")
        for name in diagnostics.environment.keys.sorted() {
            lines.append("  \(name)=\(diagnostics.shownValue(of: name, showSecrets: showSecrets))")
        }
        lines.append("")
        lines.append("names (\(diagnostics.hostsFile.map { "in \($0)" } ?? "through service variables, no hosts file")): name → local address → what the agent dials")
        for name in diagnostics.names {
            let ports = name.ports.map { "\($0.localPort == $0.port ? "" : "\($0.localPort)→")\($0.target)" }.joined(separator: ", ")
            lines.append("  \(name.names.joined(separator: " ")) → \(name.address) → \(ports)")
        }
        lines.append("")
        lines.append("files (\(SessionFiles.rootVariable)=\(diagnostics.files.root)):")
        for (path, count) in diagnostics.files.mounts.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(path) → \(diagnostics.files.root)\(path) (\(count) file\(count == 1 ? "" : "s"))")
        }
        for link in diagnostics.files.links { lines.append("  \(link) (a link to its volume's copy)") }
        return lines.joined(separator: "\n")
    }

    private func json(_ record: SessionRecord, state: String, log: String?, _ diagnostics: SessionDiagnostics?) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "session": .string(record.id), "service": .string(record.service), "namespace": .string(record.workload.namespace),
            "workload": .string("\(record.workload.kind.rawValue.lowercased())/\(record.workload.name)"), "state": .string(state),
            "pid": .integer(Int64(record.pid)), "localPort": .integer(Int64(record.localPort)), "startedAt": .string(record.startedAt),
        ]
        if let log { fields["log"] = .string(log) }
        guard let diagnostics else { return fields }
        fields["agentPod"] = .string(diagnostics.agentPod)
        fields["environment"] = .object(Dictionary(uniqueKeysWithValues: diagnostics.environment.keys.map { ($0, .string(diagnostics.shownValue(of: $0, showSecrets: showSecrets))) }))
        fields["secretVariables"] = .array(diagnostics.secretVariables.map { .string($0) })
        fields["names"] = .array(diagnostics.names.map { name in
            .object([
                "names": .array(name.names.map { .string($0) }), "address": .string(name.address),
                "ports": .array(name.ports.map { .object(["port": .integer(Int64($0.port)), "localPort": .integer(Int64($0.localPort)), "target": .string($0.target)]) }),
            ])
        })
        fields["files"] = .object([
            "root": .string(diagnostics.files.root),
            "mounts": .object(diagnostics.files.mounts.mapValues { .integer(Int64($0)) }),
            "links": .array(diagnostics.files.links.map { .string($0) }),
        ])
        if let hosts = diagnostics.hostsFile { fields["hostsFile"] = .string(hosts) }
        return fields
    }
}
