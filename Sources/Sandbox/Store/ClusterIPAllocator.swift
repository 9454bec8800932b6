/// Hands out service cluster IPs from the sandbox's /16 of the loopback range, never twice
/// while a service holds one. `.0.1` is kept for the `kubernetes` service, as on a real cluster.
actor ClusterIPAllocator {
    let prefix: String
    private var used: Set<String> = []
    private var next = 2

    /// - Parameter prefix: the first two octets, e.g. `127.77`.
    init(prefix: String) {
        self.prefix = prefix
    }

    /// The IP of the `kubernetes` service.
    nonisolated var apiServerServiceIP: String { "\(prefix).0.1" }

    func allocate(requested: String?) throws(APIError) -> String {
        if let requested {
            guard requested.hasPrefix(prefix + "."), !used.contains(requested) || requested == apiServerServiceIP else {
                throw APIError(code: 422, reason: "Invalid", message: "Service is invalid: spec.clusterIP: Invalid value: \"\(requested)\": provided IP is already allocated or not in the valid range \(prefix).0.0/16")
            }
            used.insert(requested)
            return requested
        }
        for _ in 0..<65_000 {
            let candidate = "\(prefix).\(next / 256).\(next % 256)"
            next = next >= 65_534 ? 2 : next + 1
            if !used.contains(candidate) {
                used.insert(candidate)
                return candidate
            }
        }
        throw .internal("the service IP range \(prefix).0.0/16 is full")
    }

    func release(_ address: String) {
        used.remove(address)
    }
}
