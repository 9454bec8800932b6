import ArgumentParser
import BridgeSession
import Foundation
import Isolation
import KubernetesClient
import LocalEndpoints
import Logging

/// `kbridge clean`: gives back everything sessions that are gone left behind, on this machine
/// (records of dead processes, hosts-file blocks) and in the cluster (take-overs, Secrets,
/// Leases, guards, found by their labels whatever this machine remembers). Sessions that are
/// alive (this machine's running ones, and any whose Lease is being renewed) are left alone.
/// Running it again finds nothing.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean", abstract: "Give back what sessions that are gone left in the cluster and on this machine."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("A"), .long], help: "Look in every namespace (needs the right to list them cluster-wide).")
    var allNamespaces = false

    @Flag(help: "Only say what would be given back.")
    var dryRun = false

    @Option(help: "The hosts file whose leftover kbridge blocks to remove (default: /etc/hosts).")
    var hostsFile: String?

    @Flag(help: "Also remove isolation's routing manager from the namespace (it stays after sessions end), giving every routed service its own selector back; refused while a session isolates.")
    var routing = false

    func validate() throws {
        if allNamespaces && global.namespace != nil { throw ValidationError("-A and -n exclude each other") }
        if allNamespaces && routing { throw ValidationError("--routing removes the routing manager of one namespace: use -n instead of -A") }
    }

    func run() async throws {
        let console = Console(format: global.output)
        let logger = DiagnosticLog.logger(command: "clean")
        try await reportingErrors(console) {
            let registry = SessionRegistry()
            let running = Set(registry.all().filter(\.isRunning).map(\.id))
            var cleaned = 0
            var failures: [String] = []

            // The cluster: what sessions that are gone left, found by labels.
            let client = try global.client(logger: logger)
            let namespace = allNamespaces ? nil : (global.namespace ?? client.defaultNamespace)
            console.step("looking for what gone sessions left in \(namespace.map { "namespace \"\($0)\"" } ?? "every namespace")")
            let cleanup = ClusterCleanup(client: client)
            for leftover in try await cleanup.leftovers(namespace: namespace, running: running) {
                cleaned += 1
                if dryRun {
                    console.result("would give back session \(leftover.session) in namespace \"\(leftover.namespace)\": \(leftover.summary)", event: "leftover", fields: Self.fields(leftover))
                    continue
                }
                do {
                    let restored = try await cleanup.clean(leftover)
                    for (workload, result) in zip(leftover.workloads, restored) {
                        for kept in result.kept { console.warning("\(workload): \(kept)") }
                    }
                    registry.remove(leftover.session)
                    console.result("gave back session \(leftover.session) in namespace \"\(leftover.namespace)\": \(leftover.summary)", event: "cleaned", fields: Self.fields(leftover))
                } catch {
                    console.warning("session \(leftover.session): \(error)")
                    failures.append("session \(leftover.session): \(error)")
                }
            }

            // This machine: hosts-file blocks and records of sessions whose process is gone.
            let local = LocalCleanup(registry: registry, hostsFile: HostsFile(path: hostsFile ?? "/etc/hosts"))
            for leftover in local.leftovers(namespace: namespace) {
                cleaned += 1
                let (would, did, fields): (String, String, [String: JSONValue]) = switch leftover {
                case .hostsBlock(let session, let path):
                    ("would remove the block of session \(session) from \(path)", "removed the block of session \(session) from \(path)",
                     ["session": .string(session), "hostsFile": .string(path)])
                case .record(let record):
                    ("would forget the record of session \(record.id) (pid \(record.pid) is gone)", "forgot the record of session \(record.id) (pid \(record.pid) is gone)",
                     ["session": .string(record.id)])
                }
                if dryRun {
                    console.result(would, event: "leftover", fields: fields)
                    continue
                }
                do {
                    try local.clean(leftover)
                    console.result(did, event: "cleaned", fields: fields)
                } catch {
                    failures.append("session \(leftover.session): \(error)")
                }
            }
            if routing, let namespace {
                cleaned += try await removeRoutingManager(client: client, namespace: namespace, console: console)
            }
            if cleaned == 0 {
                console.result("nothing to clean: no session that is gone left anything", event: "clean", fields: [:])
            }
            guard failures.isEmpty else {
                throw CleanFailure(description: failures.count == 1 ? failures[0] : "\(failures.count) leftovers could not be given back (see above)")
            }
        }
    }

    /// `--routing`: the routing manager and what it made go, once no session isolates; how many things it removed.
    private func removeRoutingManager(client: KubernetesClient, namespace: String, console: Console) async throws -> Int {
        let install = RoutingManagerInstall(client: client, namespace: namespace)
        let copies = try await install.liveCopies()
        if !copies.isEmpty {
            let which = copies.map { "\($0.routeAs) on service \($0.service) (pod \($0.pod))" }.joined(separator: ", ")
            throw CleanFailure(description: "the routing manager of namespace \"\(namespace)\" still routes live sessions: \(which); end them first (it was left as it is)")
        }
        if dryRun {
            console.result("would remove the routing manager of namespace \"\(namespace)\" (if any) and give every routed service back", event: "leftover", fields: ["namespace": .string(namespace), "routing": true])
            return 1
        }
        console.step("removing the routing manager of namespace \"\(namespace)\"")
        let removal = try await install.remove()
        for line in removal.changes { console.result(line, event: "cleaned", fields: ["namespace": .string(namespace), "routing": true]) }
        guard removal.problems.isEmpty else {
            throw CleanFailure(description: "the routing manager of namespace \"\(namespace)\" was not removed entirely: \(removal.problems.joined(separator: "; "))")
        }
        return removal.changes.count
    }

    struct CleanFailure: Error, CustomStringConvertible {
        var description: String
    }

    private static func fields(_ leftover: ClusterCleanup.Leftover) -> [String: JSONValue] {
        [
            "session": .string(leftover.session), "namespace": .string(leftover.namespace),
            "workloads": .array(leftover.workloads.map { .string("\($0.kind.rawValue.lowercased())/\($0.name)") }),
            "secret": .bool(leftover.secret), "lease": .bool(leftover.lease), "guard": .bool(leftover.guardJob),
        ]
    }
}
