/// The pod's environment made true on this machine.
///
/// What the agent reports is what the app saw in the pod. Locally: addresses of cluster
/// services (in service variables, or expanded into values such as
/// `http://10.96.0.12:8080`) point at their local listeners instead; a value equal to the pod's
/// own IP (a `status.podIP` field reference, typically a bind address) becomes 127.0.0.1; the
/// variables that describe the machine rather than the app (`PATH`, `HOME`, ...) are left to
/// this machine; and `GRPC_DNS_RESOLVER=native` makes gRPC resolve through the hosts file.
public enum LocalEnvironment {
    /// Variables of the pod that this machine keeps its own values for.
    public static let machineVariables: Set<String> = ["PATH", "HOME", "HOSTNAME", "PWD", "OLDPWD", "SHLVL", "TERM", "USER", "SHELL", "TMPDIR", "_"]

    public static func build(pod: [String: String], podIP: String?, outbound: OutboundEndpoints) -> [String: String] {
        var rewrites: [(from: String, to: String)] = []
        for entry in outbound.entries {
            guard let clusterIP = entry.clusterIP else { continue }
            for port in entry.ports {
                rewrites.append(("\(clusterIP):\(port.port)", "\(entry.allocation.address):\(entry.allocation.localPort(for: port.port))"))
            }
            rewrites.append((clusterIP, entry.allocation.address))
        }
        if let podIP { rewrites.append((podIP, "127.0.0.1")) }

        var variables: [String: String] = [:]
        for (name, value) in pod where !machineVariables.contains(name) {
            variables[name] = rewriteAddresses(in: value, rewrites)
        }
        variables.merge(outbound.serviceVariables) { $1 }
        variables["GRPC_DNS_RESOLVER"] = "native"
        return variables
    }

    /// Replaces each `from` (an address, or `address:port`) where it stands as a whole: not
    /// inside a longer address (`10.0.0.1` is not rewritten inside `10.0.0.12`). Earlier
    /// rewrites win, so `address:port` pairs go before bare addresses.
    static func rewriteAddresses(in value: String, _ rewrites: [(from: String, to: String)]) -> String {
        var result = ""
        var index = value.startIndex
        outer: while index < value.endIndex {
            let atBoundary = index == value.startIndex || !isAddressCharacter(value[value.index(before: index)])
            if atBoundary {
                for rewrite in rewrites where value[index...].hasPrefix(rewrite.from) {
                    let end = value.index(index, offsetBy: rewrite.from.count)
                    if end == value.endIndex || !continuesAddress(value[end...], after: rewrite.from) {
                        result += rewrite.to
                        index = end
                        continue outer
                    }
                }
            }
            result.append(value[index])
            index = value.index(after: index)
        }
        return result
    }

    private static func isAddressCharacter(_ character: Character) -> Bool {
        character.isNumber || character == "."
    }

    /// Whether the text after a match continues the address (more digits or octets, or — after
    /// a bare address — a port, which an `address:port` rewrite would have handled).
    private static func continuesAddress(_ rest: Substring, after match: String) -> Bool {
        guard let next = rest.first else { return false }
        if next.isNumber { return true }
        if next == ".", rest.dropFirst().first?.isNumber == true { return true }
        return false
    }
}
