/// Gives each pod on the node its own loopback address from the node's pod range, and takes
/// it back when the pod is gone.
actor PodIPAllocator {
    enum Failure: Error {
        case exhausted
    }

    private var prefix: String
    private var byPod: [String: String] = [:]
    private var next = 2

    /// - Parameter podCIDR: a /16 of the loopback range, e.g. `127.178.0.0/16`.
    init(podCIDR: String) {
        prefix = Self.prefix(of: podCIDR)
    }

    func use(podCIDR: String) {
        prefix = Self.prefix(of: podCIDR)
    }

    /// The first address of the range, which pods never get: the node's cluster DNS listens there.
    var nodeAddress: String { "\(prefix).0.1" }

    func allocate(uid: String) throws(Failure) -> String {
        if let address = byPod[uid] { return address }
        let taken = Set(byPod.values)
        for _ in 0..<65_000 {
            let candidate = "\(prefix).\(next / 256).\(next % 256)"
            next = next >= 65_534 ? 2 : next + 1
            if !taken.contains(candidate) {
                byPod[uid] = candidate
                return candidate
            }
        }
        throw .exhausted
    }

    func release(uid: String) {
        byPod[uid] = nil
    }

    private static func prefix(of cidr: String) -> String {
        cidr.split(separator: "/").first.map { $0.split(separator: ".").prefix(2).joined(separator: ".") } ?? "127.200"
    }
}
