import KubernetesClient

/// The resolver and hosts files a kubelet gives a pod, as a real kubelet writes them: cluster
/// DNS first with the pod's search path (`ClusterFirst`), the machine's resolver (`Default`), or
/// only the pod's `dnsConfig` (`None`); and a hosts file with localhost, the pod's own name and
/// its `hostAliases`.
struct PodNetworkFiles: Equatable {
    /// nil: the container sees the machine's `/etc/resolv.conf`.
    var resolvConf: String?
    var hosts: String

    init(pod: JSONValue, podIP: String, clusterDNS: String?) {
        let namespace = pod.namespace ?? "default"
        let spec = pod["spec"] ?? .null
        let policy = spec["dnsPolicy"]?.stringValue ?? "ClusterFirst"
        let config = spec["dnsConfig"] ?? .null
        var nameservers: [String] = []
        var searches: [String] = []
        var options: [String] = []
        switch policy {
        case "None":
            break
        case "Default":
            nameservers = []
        default:
            if let clusterDNS {
                nameservers = [clusterDNS]
                searches = ["\(namespace).svc.\(ClusterDNSZone.domain)", "svc.\(ClusterDNSZone.domain)", ClusterDNSZone.domain]
                options = ["ndots:5"]
            }
        }
        nameservers += config["nameservers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        searches += config["searches"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for option in config["options"]?.arrayValue ?? [] {
            guard let name = option["name"]?.stringValue else { continue }
            options.removeAll { $0 == name || $0.hasPrefix(name + ":") }
            options.append(option["value"]?.stringValue.map { "\(name):\($0)" } ?? name)
        }
        if nameservers.isEmpty && searches.isEmpty && options.isEmpty {
            resolvConf = nil
        } else {
            var text = ""
            if !searches.isEmpty { text += "search \(searches.joined(separator: " "))\n" }
            for server in nameservers { text += "nameserver \(server)\n" }
            if !options.isEmpty { text += "options \(options.joined(separator: " "))\n" }
            resolvConf = text
        }

        let hostname = spec["hostname"]?.stringValue ?? pod.name
        var ownNames = [hostname]
        if let subdomain = spec["subdomain"]?.stringValue, !subdomain.isEmpty {
            ownNames.insert("\(hostname).\(subdomain).\(namespace).svc.\(ClusterDNSZone.domain)", at: 0)
        }
        var hosts = """
            # Kubernetes-managed hosts file.
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            fe00::0\tip6-mcastprefix
            fe00::1\tip6-allnodes
            fe00::2\tip6-allrouters
            \(podIP)\t\(ownNames.joined(separator: "\t"))

            """
        for alias in spec["hostAliases"]?.arrayValue ?? [] {
            guard let ip = alias["ip"]?.stringValue, let names = alias["hostnames"]?.arrayValue?.compactMap(\.stringValue), !names.isEmpty else { continue }
            hosts += "\n# Entries added by HostAliases.\n\(ip)\t\(names.joined(separator: "\t"))\n"
        }
        self.hosts = hosts
    }
}
