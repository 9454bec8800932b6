/// The names cluster DNS answers for, as CoreDNS's `kubernetes` plugin does for the
/// `cluster.local` zone: `SVC.NS.svc.cluster.local` (a service's cluster IP, or the ready pod
/// addresses of a headless one) and `A-B-C-D.NS.pod.cluster.local`. Other names are not the
/// cluster's and go to the machine's own resolvers.
struct ClusterDNSZone: Sendable {
    static let domain = "cluster.local"

    /// What a service name stands for.
    enum Record: Equatable {
        case clusterIP(String)
        /// A headless service: its ready endpoints.
        case headless([String])
        /// An ExternalName service (answered with no address: the sandbox serves no CNAMEs).
        case externalName
    }

    enum Answer: Equatable {
        case addresses([String])
        /// The name exists but has no record of the asked type.
        case noData
        case nonexistent
        /// Not a cluster name: ask the machine's resolvers.
        case notInZone
    }

    /// Finds a service of a namespace.
    let lookup: @Sendable (_ service: String, _ namespace: String) -> Record?

    func answer(name: String, type: DNSQuery.RecordType) -> Answer {
        guard name == Self.domain || name.hasSuffix("." + Self.domain) else { return .notInZone }
        let labels = name.dropLast(Self.domain.count).split(separator: ".").map(String.init)
        let addresses: [String]
        switch (labels.last, labels.count) {
        case ("svc", 3):
            switch lookup(labels[0], labels[1]) {
            case .clusterIP(let ip): addresses = [ip]
            case .headless(let ips): addresses = ips
            case .externalName: return .noData
            case nil: return .nonexistent
            }
        case ("pod", 3):
            let ip = labels[0].replacingOccurrences(of: "-", with: ".")
            guard Self.octets(ip) != nil else { return .nonexistent }
            addresses = [ip]
        case ("svc", 2), ("pod", 2), ("svc", 1), ("pod", 1), (nil, _):
            // `NS.svc.cluster.local`, `svc.cluster.local`, the zone itself: names without records.
            return .noData
        default:
            return .nonexistent
        }
        guard type == .a else { return .noData }
        return addresses.isEmpty ? .nonexistent : .addresses(addresses)
    }

    /// The four bytes of a dotted IPv4 address.
    static func octets(_ address: String) -> [UInt8]? {
        let parts = address.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        return parts.count == 4 ? parts : nil
    }
}
