import Foundation
import KubernetesClient

/// What a real API server does to an object before storing it: validation of names and
/// required fields, and the defaults it fills in (see `k8s-reference/objects/create-*.json`).
enum Admission {
    // MARK: Validation

    private static let subdomainPattern = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
    private static let labelPattern = #"^[a-z]([-a-z0-9]*[a-z0-9])?$"#

    static func validateName(_ name: String, for type: ResourceType) throws(APIError) {
        if name.isEmpty { throw .required(type, name, field: "metadata.name") }
        switch type {
        case .services, .namespaces:
            guard name.count <= 63, name.range(of: labelPattern, options: .regularExpression) != nil else {
                throw .invalid(
                    type, name, field: "metadata.name",
                    detail: "\"\(name)\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                )
            }
        default:
            guard name.count <= 253, name.range(of: subdomainPattern, options: .regularExpression) != nil else {
                throw .invalid(
                    type, name, field: "metadata.name",
                    detail: "\"\(name)\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                )
            }
        }
    }

    static func validate(_ type: ResourceType, _ object: JSONValue) throws(APIError) {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        try validateName(name, for: type)
        switch type {
        case .pods:
            try validatePodSpec(object["spec"], type: type, name: name, field: "spec")
        case .deployments, .replicaSets, .statefulSets:
            guard let selector = object[path: "spec", "selector"], selector != .object([:]) else {
                throw .required(type, name, field: "spec.selector")
            }
            let templateLabels = LabelSelector.labels(of: object[path: "spec", "template"] ?? .null)
            guard LabelSelector(spec: selector).matches(templateLabels) else {
                throw .invalid(type, name, field: "spec.template.metadata.labels", detail: "\(templateLabels): `selector` does not match template `labels`")
            }
            try validatePodSpec(object[path: "spec", "template", "spec"], type: type, name: name, field: "spec.template.spec")
        case .jobs:
            try validatePodSpec(object[path: "spec", "template", "spec"], type: type, name: name, field: "spec.template.spec")
        case .services:
            for (index, port) in (object[path: "spec", "ports"]?.arrayValue ?? []).enumerated() {
                guard let number = port["port"]?.intValue, (1...65535).contains(number) else {
                    throw .invalid(type, name, field: "spec.ports[\(index)].port", detail: "\(port["port"]?.jsonString ?? "null"): must be between 1 and 65535, inclusive")
                }
            }
        case .endpoints:
            for (subsetIndex, subset) in (object["subsets"]?.arrayValue ?? []).enumerated() {
                for list in ["addresses", "notReadyAddresses"] {
                    for (index, address) in (subset[list]?.arrayValue ?? []).enumerated() {
                        let ip = address["ip"]?.stringValue ?? ""
                        if let problem = endpointAddressProblem(ip) {
                            throw .invalid(type, name, field: "subsets[\(subsetIndex)].\(list)[\(index)].ip", detail: "\"\(ip)\": \(problem)")
                        }
                    }
                }
            }
        default:
            break
        }
    }

    /// Why an Endpoints address is refused, as kube-apiserver's validation says it; nil when it is
    /// fine. Loopback, link-local and unspecified addresses cannot be reached from another node.
    static func endpointAddressProblem(_ ip: String) -> String? {
        let octets = ip.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else {
            return ip.contains(":") ? nil : "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
        }
        if octets == [0, 0, 0, 0] { return "may not be unspecified (0.0.0.0)" }
        if octets[0] == 127 { return "may not be in the loopback range (127.0.0.0/8)" }
        if octets[0] == 169 && octets[1] == 254 { return "may not be in the link-local range (169.254.0.0/16)" }
        if octets[0] == 224 && octets[1] == 0 && octets[2] == 0 { return "may not be in the link-local multicast range (224.0.0.0/24)" }
        return nil
    }

    private static func validatePodSpec(_ spec: JSONValue?, type: ResourceType, name: String, field: String) throws(APIError) {
        let containers = spec?["containers"]?.arrayValue ?? []
        if containers.isEmpty { throw .required(type, name, field: "\(field).containers") }
        for (index, container) in containers.enumerated() {
            if (container["name"]?.stringValue ?? "").isEmpty { throw .required(type, name, field: "\(field).containers[\(index)].name") }
            if (container["image"]?.stringValue ?? "").isEmpty { throw .required(type, name, field: "\(field).containers[\(index)].image") }
        }
    }

    // MARK: Defaults

    /// Fills in what a real server fills in on create.
    static func applyDefaults(_ type: ResourceType, _ object: inout JSONValue) {
        switch type {
        case .pods:
            defaultPodSpec(&object["spec"])
            if object["status"] == nil || object["status"] == .object([:]) {
                object["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
            }
        case .deployments:
            defaultWorkload(&object)
            // As Go defaults it field by field: `strategy: {}` (what kubectl create sends) is a rolling update too.
            let strategy = defaultedStrategy(object[path: "spec", "strategy"], rollingUpdate: ["maxUnavailable": "25%", "maxSurge": "25%"])
            object["spec"]?["strategy"] = strategy
            setIfMissing(&object["spec"], "revisionHistoryLimit", 10)
            setIfMissing(&object["spec"], "progressDeadlineSeconds", 600)
            if object["status"] == nil { object["status"] = .object([:]) }
        case .replicaSets:
            defaultWorkload(&object)
            if object["status"] == nil { object["status"] = ["replicas": 0] }
        case .statefulSets:
            defaultWorkload(&object)
            setIfMissing(&object["spec"], "podManagementPolicy", "OrderedReady")
            setIfMissing(&object["spec"], "revisionHistoryLimit", 10)
            let updateStrategy = defaultedStrategy(object[path: "spec", "updateStrategy"], rollingUpdate: ["partition": 0])
            object["spec"]?["updateStrategy"] = updateStrategy
            if object["status"] == nil { object["status"] = ["replicas": 0] }
        case .jobs:
            setIfMissing(&object["spec"], "backoffLimit", 6)
            setIfMissing(&object["spec"], "completions", 1)
            setIfMissing(&object["spec"], "parallelism", 1)
            if object[path: "spec", "selector"] == nil {
                let uid = UUID().uuidString.lowercased()
                object["spec"]?["selector"] = ["matchLabels": ["controller-uid": .string(uid)]]
                let metadata = mergedLabels(object[path: "spec", "template", "metadata"], ["controller-uid": uid, "job-name": object[path: "metadata", "name"]?.stringValue ?? ""])
                object["spec"]?["template"]?["metadata"] = metadata
            }
            defaultTemplateSpec(&object)
            if object[path: "spec", "template", "spec", "restartPolicy"]?.stringValue == "Always" {
                object["spec"]?["template"]?["spec"]?["restartPolicy"] = "Never"
            }
            if object["status"] == nil { object["status"] = .object([:]) }
        case .services:
            setIfMissing(&object["spec"], "type", "ClusterIP")
            setIfMissing(&object["spec"], "sessionAffinity", "None")
            if var ports = object[path: "spec", "ports"]?.arrayValue {
                for index in ports.indices {
                    setIfMissing(&ports[index], "protocol", "TCP")
                    if ports[index]["targetPort"] == nil { ports[index]["targetPort"] = ports[index]["port"] }
                }
                object["spec"]?["ports"] = .array(ports)
            }
            if object["status"] == nil { object["status"] = ["loadBalancer": .object([:])] }
        case .secrets:
            if let stringData = object["stringData"]?.objectValue {
                var data = object["data"]?.objectValue ?? [:]
                for (key, value) in stringData { data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString()) }
                object["data"] = .object(data)
                object["stringData"] = nil
            }
            setIfMissing(&object, "type", "Opaque")
        case .namespaces:
            object["spec"] = ["finalizers": ["kubernetes"]]
            object["status"] = ["phase": "Active"]
        default:
            break
        }
    }

    private static func defaultWorkload(_ object: inout JSONValue) {
        setIfMissing(&object["spec"], "replicas", 1)
        if object[path: "spec", "template", "metadata", "creationTimestamp"] == nil {
            object["spec"]?["template"]?["metadata"]?["creationTimestamp"] = .null
        }
        defaultTemplateSpec(&object)
    }

    private static func defaultTemplateSpec(_ object: inout JSONValue) {
        var templateSpec = object[path: "spec", "template", "spec"]
        defaultPodSpec(&templateSpec)
        object["spec"]?["template"]?["spec"] = templateSpec
    }

    static func defaultPodSpec(_ spec: inout JSONValue?) {
        guard var podSpec = spec else { return }
        setIfMissing(&podSpec, "restartPolicy", "Always")
        setIfMissing(&podSpec, "terminationGracePeriodSeconds", 30)
        setIfMissing(&podSpec, "dnsPolicy", "ClusterFirst")
        setIfMissing(&podSpec, "securityContext", .object([:]))
        setIfMissing(&podSpec, "schedulerName", "default-scheduler")
        for field in ["containers", "initContainers"] {
            guard var containers = podSpec[field]?.arrayValue else { continue }
            for index in containers.indices {
                setIfMissing(&containers[index], "terminationMessagePath", "/dev/termination-log")
                setIfMissing(&containers[index], "terminationMessagePolicy", "File")
                setIfMissing(&containers[index], "resources", .object([:]))
                let image = containers[index]["image"]?.stringValue ?? ""
                let tagged = image.split(separator: "/").last?.contains(":") ?? false
                setIfMissing(&containers[index], "imagePullPolicy", .string(!tagged || image.hasSuffix(":latest") ? "Always" : "IfNotPresent"))
                for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                    guard var defaulted = containers[index][probe] else { continue }
                    setIfMissing(&defaulted, "timeoutSeconds", 1)
                    setIfMissing(&defaulted, "periodSeconds", 10)
                    setIfMissing(&defaulted, "successThreshold", 1)
                    setIfMissing(&defaulted, "failureThreshold", 3)
                    if defaulted["httpGet"] != nil { setIfMissing(&defaulted["httpGet"], "scheme", "HTTP") }
                    containers[index][probe] = defaulted
                }
                if var ports = containers[index]["ports"]?.arrayValue {
                    for port in ports.indices { setIfMissing(&ports[port], "protocol", "TCP") }
                    containers[index]["ports"] = .array(ports)
                }
            }
            podSpec[field] = .array(containers)
        }
        spec = podSpec
    }

    /// Defaults only a pod gets (not a pod template): its service account and the token volume.
    /// `status.podIPs` follows `status.podIP` when only that is given, as kube-apiserver fills it in.
    static func defaultPodIPs(_ pod: inout JSONValue) {
        guard let ip = pod[path: "status", "podIP"]?.stringValue, !ip.isEmpty, pod[path: "status", "podIPs"] == nil else { return }
        pod["status"]?["podIPs"] = [["ip": .string(ip)]]
    }

    static func applyPodAdmission(_ pod: inout JSONValue) {
        let account = pod[path: "spec", "serviceAccountName"]?.stringValue ?? pod[path: "spec", "serviceAccount"]?.stringValue ?? "default"
        pod["spec"]?["serviceAccountName"] = .string(account)
        pod["spec"]?["serviceAccount"] = .string(account)
        setIfMissing(&pod["spec"], "enableServiceLinks", true)
        // The Priority and DefaultTolerationSeconds admission plugins, on by default.
        setIfMissing(&pod["spec"], "priority", 0)
        setIfMissing(&pod["spec"], "preemptionPolicy", "PreemptLowerPriority")
        var tolerations = pod[path: "spec", "tolerations"]?.arrayValue ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] where !tolerations.contains(where: { $0["key"]?.stringValue == key }) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300])
        }
        pod["spec"]?["tolerations"] = .array(tolerations)
        guard pod[path: "spec", "automountServiceAccountToken"]?.boolValue != false else { return }
        let mountPath = InClusterConfig.defaultDirectory
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        guard !containers.contains(where: { ($0["volumeMounts"]?.arrayValue ?? []).contains { $0["mountPath"]?.stringValue == mountPath } }) else { return }
        let volumeName = "kube-api-access-\(randomSuffix(5))"
        let volume: JSONValue = [
            "name": .string(volumeName),
            "projected": [
                "defaultMode": 420,
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
                    ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                ],
            ],
        ]
        let volumes = (pod[path: "spec", "volumes"]?.arrayValue ?? []) + [volume]
        pod["spec"]?["volumes"] = .array(volumes)
        pod["spec"]?["containers"] = .array(containers.map { container in
            var container = container
            let mount: JSONValue = ["name": .string(volumeName), "readOnly": true, "mountPath": .string(mountPath)]
            container["volumeMounts"] = .array((container["volumeMounts"]?.arrayValue ?? []) + [mount])
            return container
        })
    }

    /// A workload's update strategy as Go defaults it: a rolling update unless a type is given,
    /// and each missing field of its `rollingUpdate` from `rollingUpdate`.
    private static func defaultedStrategy(_ strategy: JSONValue?, rollingUpdate defaults: [String: JSONValue]) -> JSONValue {
        var strategy = strategy ?? .object([:])
        setIfMissing(&strategy, "type", "RollingUpdate")
        guard strategy["type"] == "RollingUpdate" else { return strategy }
        var rollingUpdate = strategy["rollingUpdate"] ?? .object([:])
        for (key, value) in defaults { setIfMissing(&rollingUpdate, key, value) }
        strategy["rollingUpdate"] = rollingUpdate
        return strategy
    }

    static func setIfMissing(_ object: inout JSONValue?, _ key: String, _ value: JSONValue) {
        guard var present = object else { return }
        setIfMissing(&present, key, value)
        object = present
    }

    static func setIfMissing(_ object: inout JSONValue, _ key: String, _ value: JSONValue) {
        if object[key] == nil { object[key] = value }
    }

    private static func mergedLabels(_ metadata: JSONValue?, _ labels: [String: String]) -> JSONValue {
        var metadata = metadata ?? .object([:])
        var existing = metadata["labels"]?.objectValue ?? [:]
        for (key, value) in labels { existing[key] = .string(value) }
        metadata["labels"] = .object(existing)
        return metadata
    }

    /// Five characters as a real server uses for `generateName` (no vowels, no look-alikes).
    static func randomSuffix(_ length: Int) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<length).map { _ in alphabet.randomElement()! })
    }
}
