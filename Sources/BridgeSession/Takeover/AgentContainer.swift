import BridgeTunnel
import KubernetesClient

/// The ports the agent listens on beside the container's own: control (CLI → agent streams)
/// and inbound (agent → CLI streams).
public struct AgentPorts: Sendable, Hashable, Codable {
    public var control: Int
    public var inbound: Int

    /// 7300 and 7301, or the next free pair when the container itself uses them.
    public static func avoiding(_ used: [Int]) -> AgentPorts {
        var port = AgentContract.defaultControlPort
        while used.contains(port) || used.contains(port + 1) { port += 2 }
        return AgentPorts(control: port, inbound: port + 1)
    }
}

/// Builds the agent container that stands in for the target container.
///
/// It keeps what the agent must see exactly as the app did (env, envFrom, volumeMounts, ports,
/// resources) and replaces what would start the app (image, command, args) and drops what the
/// agent cannot answer (the app's probes). The agent gets no probe of its own: a probe's first
/// try comes before the agent listens and the next a period later (a second at least), which
/// would be most of `connect`'s time; the pod is ready once the agent runs, and the CLI dials
/// again while the agent starts listening (`TunnelKeeper.openFirst`). It runs with `imagePullPolicy: IfNotPresent`, and gets the session secret
/// from the session's Secret.
///
/// It runs as the app's user when the app runs as a user other than root (the container's
/// `runAsUser`, else the pod's), so that it reads the mounted files the app reads; otherwise
/// (root, or the image's user, which is not known here) as the unprivileged 65532: the agent
/// listens on the cluster's network and never runs as root.
public enum AgentContainer {
    public static let unprivilegedUser = 65532

    /// What of the app's container the agent may keep, when asked (`enableFeatures`).
    public enum Kept: Sendable, Hashable {
        /// The probes: they reach the container's ports, which come to the local app.
        case probes
        /// The lifecycle hooks (run in the agent's container, which has no shell).
        case lifecycleHooks
    }

    static let probes = ["livenessProbe", "readinessProbe", "startupProbe"]

    /// The probes and hooks of `original` that `kept` asks for but the agent cannot keep (`exec` ones).
    public static func notKept(of original: JSONValue, keeping kept: Set<Kept>) -> [String] {
        let probes = kept.contains(.probes) ? Self.probes.filter { original[$0]?["exec"] != nil } : []
        let hooks = kept.contains(.lifecycleHooks) ? ["postStart", "preStop"].filter { original[path: "lifecycle", $0, "exec"] != nil } : []
        return probes + hooks
    }

    public static func build(
        from original: JSONValue, podSecurity: JSONValue? = nil, image: String, ports: AgentPorts, servicePorts: [Int], secretName: String,
        keeping kept: Set<Kept> = []
    ) -> JSONValue {
        var container = original
        container["image"] = .string(image)
        container["imagePullPolicy"] = "IfNotPresent"
        container["command"] = nil
        container["workingDir"] = nil
        // What is kept must run without the app's image: `exec` probes and hooks would run in
        // the agent's image, fail, and have the kubelet restart the agent.
        for hook in ["postStart", "preStop"] where !kept.contains(.lifecycleHooks) || original[path: "lifecycle", hook, "exec"] != nil {
            container["lifecycle"]?[hook] = nil
        }
        if container["lifecycle"]?.objectValue?.isEmpty ?? false { container["lifecycle"] = nil }
        for probe in probes where !kept.contains(.probes) || original[probe]?["exec"] != nil {
            container[probe] = nil
        }
        let arguments = AgentContract.Arguments(controlPort: ports.control, inboundPort: ports.inbound, servicePorts: servicePorts)
        container["args"] = .array(arguments.encoded.map { .string($0) })
        var env = original["env"]?.arrayValue ?? []
        env.removeAll { $0["name"]?.stringValue == AgentContract.secretVariable }
        env.append([
            "name": .string(AgentContract.secretVariable),
            "valueFrom": ["secretKeyRef": ["name": .string(secretName), "key": .string(ClusterNames.secretKey)]],
        ])
        container["env"] = .array(env)
        var security = original["securityContext"]?.objectValue ?? [:]
        security["runAsNonRoot"] = true
        let appUser = original[path: "securityContext", "runAsUser"]?.intValue ?? podSecurity?["runAsUser"]?.intValue
        security["runAsUser"] = .integer(Int64(appUser.flatMap { $0 > 0 ? $0 : nil } ?? unprivilegedUser))
        security["allowPrivilegeEscalation"] = false
        security["privileged"] = nil
        container["securityContext"] = .object(security)
        return container
    }
}
