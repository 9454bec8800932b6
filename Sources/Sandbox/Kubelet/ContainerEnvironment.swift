import BridgeTunnel
import Foundation
import KubernetesClient

/// The environment a kubelet gives a container: service links, `envFrom`, `env` with
/// `$(VAR)` references and `valueFrom`, plus the sandbox's conventions (`KBRIDGE_LISTEN_ADDRESS`,
/// `POD_IP`, `CONTAINER_ROOT`).
struct ContainerEnvironment {
    /// Where a container must listen: its pod's own address on the shared loopback. Always set,
    /// whatever the pod defines, under a name no app defines by chance.

    enum Failure: Error, Equatable, CustomStringConvertible {
        /// A referenced ConfigMap, Secret or key is missing: `CreateContainerConfigError`.
        case missingReference(String)

        var description: String {
            switch self {
            case .missingReference(let message): return message
            }
        }
    }

    /// What the kubelet read from the API for this pod.
    struct Inputs {
        var pod: JSONValue
        var podIP: String
        var hostIP: String
        /// Services of the pod's namespace, and the `kubernetes` service of `default`.
        var services: [JSONValue]
        var configMaps: [String: JSONValue]
        var secrets: [String: JSONValue]
    }

    /// Builds the variables, in the order a kubelet defines them.
    static func variables(for container: JSONValue, inputs: Inputs, containerRoot: String) throws(Failure) -> [(String, String)] {
        var values: [String: String] = [:]
        var order: [String] = []
        func set(_ name: String, _ value: String) {
            if values[name] == nil { order.append(name) }
            values[name] = value
        }
        if inputs.pod[path: "spec", "enableServiceLinks"]?.boolValue != false {
            for (name, value) in serviceVariables(inputs.services) { set(name, value) }
        } else {
            for (name, value) in serviceVariables(inputs.services.filter { $0.name == "kubernetes" && $0.namespace == "default" }) { set(name, value) }
        }
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            if let reference = source["configMapRef"] {
                let name = reference["name"]?.stringValue ?? ""
                guard let configMap = inputs.configMaps[name] else {
                    if reference["optional"]?.boolValue == true { continue }
                    throw .missingReference("configmap \"\(name)\" not found")
                }
                for (key, value) in (configMap["data"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) { set(prefix + key, value.stringValue ?? "") }
            }
            if let reference = source["secretRef"] {
                let name = reference["name"]?.stringValue ?? ""
                guard let secret = inputs.secrets[name] else {
                    if reference["optional"]?.boolValue == true { continue }
                    throw .missingReference("secret \"\(name)\" not found")
                }
                for (key, value) in (secret["data"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) { set(prefix + key, decode(value)) }
            }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            if let value = variable["value"]?.stringValue {
                set(name, expand(value, with: values))
            } else if let source = variable["valueFrom"] {
                if let value = try resolve(source, inputs: inputs, container: container) { set(name, value) }
            } else {
                set(name, "")
            }
        }
        set(AgentContract.listenAddressVariable, inputs.podIP)
        if values["POD_IP"] == nil { set("POD_IP", inputs.podIP) }
        if values["HOSTNAME"] == nil { set("HOSTNAME", inputs.pod[path: "spec", "hostname"]?.stringValue ?? inputs.pod.name) }
        set("CONTAINER_ROOT", containerRoot)
        return order.map { ($0, values[$0] ?? "") }
    }

    /// `$(VAR)` expands to an earlier variable; `$$(VAR)` is a literal `$(VAR)`; unknown references stay as written.
    static func expand(_ text: String, with values: [String: String]) -> String {
        guard text.contains("$(") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("$$(") {
                result += "$("
                index = text.index(index, offsetBy: 3)
            } else if text[index...].hasPrefix("$("), let close = text[index...].firstIndex(of: ")") {
                let name = String(text[text.index(index, offsetBy: 2)..<close])
                result += values[name] ?? "$(\(name))"
                index = text.index(after: close)
            } else {
                result.append(text[index])
                index = text.index(after: index)
            }
        }
        return result
    }

    private static func resolve(_ source: JSONValue, inputs: Inputs, container: JSONValue) throws(Failure) -> String? {
        if let fieldPath = source[path: "fieldRef", "fieldPath"]?.stringValue {
            return fieldValue(fieldPath, pod: inputs.pod, podIP: inputs.podIP, hostIP: inputs.hostIP)
        }
        if let reference = source["configMapKeyRef"] {
            let name = reference["name"]?.stringValue ?? ""
            let key = reference["key"]?.stringValue ?? ""
            if let value = inputs.configMaps[name]?[path: "data", key]?.stringValue { return value }
            if reference["optional"]?.boolValue == true { return nil }
            throw .missingReference(inputs.configMaps[name] == nil ? "configmap \"\(name)\" not found" : "couldn't find key \(key) in ConfigMap \(inputs.pod.namespace ?? "")/\(name)")
        }
        if let reference = source["secretKeyRef"] {
            let name = reference["name"]?.stringValue ?? ""
            let key = reference["key"]?.stringValue ?? ""
            if let value = inputs.secrets[name]?[path: "data", key] { return decode(value) }
            if reference["optional"]?.boolValue == true { return nil }
            throw .missingReference(inputs.secrets[name] == nil ? "secret \"\(name)\" not found" : "couldn't find key \(key) in Secret \(inputs.pod.namespace ?? "")/\(name)")
        }
        if let resource = source[path: "resourceFieldRef", "resource"]?.stringValue {
            return resource.hasPrefix("limits.memory") || resource.hasPrefix("requests.memory") ? "0" : "1"
        }
        return nil
    }

    /// The downward API: `metadata.name`, `metadata.labels['app']`, `status.podIP` …
    static func fieldValue(_ fieldPath: String, pod: JSONValue, podIP: String, hostIP: String) -> String? {
        if let open = fieldPath.firstIndex(of: "["), fieldPath.hasSuffix("']") {
            let field = String(fieldPath[..<open])
            let key = String(fieldPath[fieldPath.index(open, offsetBy: 2)..<fieldPath.index(fieldPath.endIndex, offsetBy: -2)])
            return pod[path: "metadata", field == "metadata.labels" ? "labels" : "annotations", key]?.stringValue
        }
        switch fieldPath {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "metadata.labels", "metadata.annotations":
            let field = fieldPath == "metadata.labels" ? "labels" : "annotations"
            return (pod[path: "metadata", field]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value.stringValue ?? "")\"" }.joined(separator: "\n")
        case "spec.nodeName": return pod[path: "spec", "nodeName"]?.stringValue
        case "spec.serviceAccountName": return pod[path: "spec", "serviceAccountName"]?.stringValue
        case "status.podIP", "status.podIPs": return podIP
        case "status.hostIP", "status.hostIPs": return hostIP
        default: return nil
        }
    }

    /// `NAME_SERVICE_HOST`, `NAME_SERVICE_PORT`, `NAME_PORT_80_TCP_ADDR` … for every service with a cluster IP.
    static func serviceVariables(_ services: [JSONValue]) -> [(String, String)] {
        var variables: [(String, String)] = []
        for service in services.sorted(by: { $0.name < $1.name }) {
            guard let ip = service[path: "spec", "clusterIP"]?.stringValue, !ip.isEmpty, ip != "None",
                let ports = service[path: "spec", "ports"]?.arrayValue, let first = ports.first
            else { continue }
            let prefix = service.name.uppercased().replacingOccurrences(of: "-", with: "_")
            variables.append(("\(prefix)_SERVICE_HOST", ip))
            variables.append(("\(prefix)_SERVICE_PORT", String(first["port"]?.intValue ?? 0)))
            for port in ports {
                if let name = port["name"]?.stringValue, !name.isEmpty {
                    variables.append(("\(prefix)_SERVICE_PORT_\(name.uppercased().replacingOccurrences(of: "-", with: "_"))", String(port["port"]?.intValue ?? 0)))
                }
            }
            let firstProtocol = (first["protocol"]?.stringValue ?? "TCP").lowercased()
            variables.append(("\(prefix)_PORT", "\(firstProtocol)://\(ip):\(first["port"]?.intValue ?? 0)"))
            for port in ports {
                let number = port["port"]?.intValue ?? 0
                let proto = port["protocol"]?.stringValue ?? "TCP"
                let base = "\(prefix)_PORT_\(number)_\(proto.uppercased())"
                variables.append((base, "\(proto.lowercased())://\(ip):\(number)"))
                variables.append(("\(base)_PROTO", proto.lowercased()))
                variables.append(("\(base)_PORT", String(number)))
                variables.append(("\(base)_ADDR", ip))
            }
        }
        return variables
    }

    private static func decode(_ value: JSONValue) -> String {
        guard let text = value.stringValue, let data = Data(base64Encoded: text) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
