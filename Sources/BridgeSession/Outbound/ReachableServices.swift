import KubernetesClient

/// The services this machine gives names to: the session's namespace's, and those of every other
/// namespace, as a pod reaches them by `svc.ns`. Without the right to list services across the
/// cluster, the other namespaces are those the pod's environment names (`http://rates.shared:9000`,
/// `db.data.svc.cluster.local`) and that the user may list.
struct ReachableServices: Sendable {
    var services: [Service]
    /// Why only some other namespaces were read (nil: every namespace).
    var limited: String?

    /// Namespaces tried at most when they must be guessed from the environment.
    static let guessedNamespacesLimit = 50

    /// `alsoNamed`: namespaces a config names, read too when the cluster-wide list is refused.
    static func read(client: KubernetesClient, namespace: String, environment: [String: String], alsoNamed: [String] = []) async throws(KubernetesError) -> ReachableServices {
        do {
            return ReachableServices(services: try await client.list(Service.self, allNamespaces: true))
        } catch let error where error.isForbidden {
            var services = try await client.list(Service.self, namespace: namespace)
            let named = Set(alsoNamed).union(namespacesNamed(in: environment.values).sorted().prefix(guessedNamespacesLimit)).subtracting([namespace]).sorted()
            var read: [String] = []
            for other in named {
                guard let found = try? await client.list(Service.self, namespace: other) else { continue }
                services += found
                read.append(other)
            }
            let reach = read.isEmpty ? "" : " and of \(read.joined(separator: ", ")), which the pod's environment or the config names"
            return ReachableServices(services: services, limited: "you may not list services across namespaces: names are given to the services of \(namespace)\(reach)")
        }
    }

    /// The namespaces named in `values` as `svc.ns` host names (`svc.ns`, `svc.ns.svc`,
    /// `svc.ns.svc.cluster.local`, with or without a scheme and port).
    static func namespacesNamed(in values: some Sequence<String>) -> Set<String> {
        var namespaces: Set<String> = []
        for value in values {
            for word in value.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) {
                let labels = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard labels.count >= 2, labels.allSatisfy(isDNSLabel) else { continue }
                let rest = labels.dropFirst(2)
                guard rest.isEmpty || rest.first == "svc" else { continue }
                namespaces.insert(labels[1])
            }
        }
        return namespaces
    }

    private static func isDNSLabel(_ text: String) -> Bool {
        guard (1...63).contains(text.count), let first = text.first, let last = text.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
