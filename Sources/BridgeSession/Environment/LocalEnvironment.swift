/// The pod's environment made true on this machine.
///
/// What the agent reports is what the app saw in the pod. Locally: addresses of cluster
/// services (in service variables, or expanded into values such as
/// `http://10.96.0.12:8080`) point at their local listeners instead; a value equal to the pod's
/// own IP (a `status.podIP` field reference, typically a bind address) becomes 127.0.0.1; a
/// path in a mounted folder (`/etc/app/settings.json`) becomes its downloaded copy, and
/// `KBRIDGE_ROOT` names where the pod's files are (`SessionFiles`); the
/// variables that describe the machine rather than the app (`PATH`, `HOME`, ...) are left to
/// this machine; and `GRPC_DNS_RESOLVER=native` makes gRPC resolve through the hosts file.
public enum LocalEnvironment {
    /// Variables of the pod that this machine keeps its own values for.
    public static let machineVariables: Set<String> = ["PATH", "HOME", "HOSTNAME", "PWD", "OLDPWD", "SHLVL", "TERM", "USER", "SHELL", "TMPDIR", "_"]

    /// The pod's files on this machine: where, and the container's mount paths they hold.
    public struct Files: Sendable {
        public var local: SessionFiles
        public var mountPaths: [String]

        public init(local: SessionFiles, mountPaths: [String]) {
            self.local = local
            self.mountPaths = mountPaths
        }

        /// The local copy of `value` when it is a path in a mounted folder (the innermost mount).
        func localPath(of value: String) -> String? {
            let mount = mountPaths.filter { value == $0 || value.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }.max { $0.count < $1.count }
            return mount.map { _ in local.localPath(of: value) }
        }
    }

    /// `namesInHostsFile`: whether the services' names resolve here; without a hosts file, a
    /// service's qualified name in a value (`http://rates.shared:9000`) becomes its local address.
    public static func build(pod: [String: String], podIP: String?, outbound: OutboundEndpoints, files: Files? = nil, namesInHostsFile: Bool = true) -> [String: String] {
        var rewrites: [(from: String, to: String)] = []
        for entry in outbound.entries {
            guard let clusterIP = entry.clusterIP else { continue }
            for port in entry.ports {
                rewrites.append(("\(clusterIP):\(port.port)", "\(entry.allocation.address):\(entry.allocation.localPort(for: port.port))"))
            }
            rewrites.append((clusterIP, entry.allocation.address))
        }
        if let podIP { rewrites.append((podIP, "127.0.0.1")) }

        let table = AddressRewrites(rewrites)
        let names = namesInHostsFile ? nil : HostNameRewrites(outbound)
        var variables: [String: String] = [:]
        for (name, value) in pod where !machineVariables.contains(name) {
            variables[name] = files?.localPath(of: value) ?? names.map { $0.apply(to: table.apply(to: value)) } ?? table.apply(to: value)
        }
        variables.merge(outbound.serviceVariables) { $1 }
        if let files { variables[SessionFiles.rootVariable] = files.local.root.path }
        variables["GRPC_DNS_RESOLVER"] = "native"
        return variables
    }
}

/// Replaces each `from` (an address, or `address:port`) where it stands as a whole: not inside a
/// longer address (`10.0.0.1` is not rewritten inside `10.0.0.12`). Earlier rewrites win, so
/// `address:port` pairs go before bare addresses.
///
/// Rewrites are looked up by their text, so that a namespace's thousands of service variables
/// are rewritten in time linear in their length (trying every rewrite at every position took a
/// second for 500 services). Addresses are ASCII: a match never starts or ends inside a
/// multi-byte character.
struct AddressRewrites {
    private var replacements: [[UInt8]: (order: Int, to: String)] = [:]
    /// The lengths of the texts to replace, and their first bytes, to skip positions cheaply.
    private var lengths: [Int] = []
    private var firstBytes: Set<UInt8> = []

    init(_ rewrites: [(from: String, to: String)]) {
        for (order, rewrite) in rewrites.enumerated() where !rewrite.from.isEmpty {
            let from = Array(rewrite.from.utf8)
            if replacements[from] == nil { replacements[from] = (order, rewrite.to) }
            firstBytes.insert(from[0])
        }
        lengths = Set(replacements.keys.map(\.count)).sorted()
    }

    func apply(to value: String) -> String {
        guard !replacements.isEmpty else { return value }
        let bytes = Array(value.utf8)
        var result: [UInt8] = []
        var copiedUpTo = 0
        var index = 0
        while index < bytes.count {
            let atBoundary = index == 0 || !Self.isAddressByte(bytes[index - 1])
            if atBoundary, firstBytes.contains(bytes[index]), let match = earliestMatch(in: bytes, at: index) {
                result += bytes[copiedUpTo..<index]
                result += match.to.utf8
                index += match.length
                copiedUpTo = index
                continue
            }
            index += 1
        }
        guard copiedUpTo > 0 else { return value }
        result += bytes[copiedUpTo...]
        return String(decoding: result, as: UTF8.self)
    }

    /// The rewrite listed first among those whose text stands whole at `index`.
    private func earliestMatch(in bytes: [UInt8], at index: Int) -> (to: String, length: Int)? {
        var best: (order: Int, to: String, length: Int)?
        for length in lengths where index + length <= bytes.count {
            guard let found = replacements[Array(bytes[index..<index + length])], best.map({ found.order < $0.order }) ?? true,
                !Self.continuesAddress(bytes, at: index + length)
            else { continue }
            best = (found.order, found.to, length)
        }
        return best.map { ($0.to, $0.length) }
    }

    private static func isAddressByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// Whether the text from `end` continues the address just matched (more digits or octets; a
    /// port after a bare address does not: an `address:port` rewrite would have taken it).
    private static func continuesAddress(_ bytes: [UInt8], at end: Int) -> Bool {
        guard end < bytes.count else { return false }
        if isDigit(bytes[end]) { return true }
        return bytes[end] == UInt8(ascii: ".") && end + 1 < bytes.count && isDigit(bytes[end + 1])
    }
}

/// Replaces the qualified names of services (`svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`)
/// where they stand as a whole host name in a value, by their local addresses: what the hosts
/// file would do for a process without one. A service's bare name (`web`) is a word too common
/// in values to be taken for a host and is left alone (its `*_SERVICE_HOST` variables serve it).
struct HostNameRewrites {
    private var addresses: [String: String] = [:]

    init(_ outbound: OutboundEndpoints) {
        for entry in outbound.hostsEntries {
            for name in entry.names where name.contains(".") { addresses[name] = entry.address }
        }
    }

    func apply(to value: String) -> String {
        guard !addresses.isEmpty else { return value }
        var result = ""
        var run = ""
        func flush() {
            result += addresses[run.lowercased()] ?? run
            run = ""
        }
        for character in value {
            if character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == ".") {
                run.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }
}
