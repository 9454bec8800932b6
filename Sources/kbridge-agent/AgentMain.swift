import BridgeTunnel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `kbridge-agent`: what runs in the cluster. Lean on purpose (NIO only, no Foundation).
///
/// ```
/// kbridge-agent agent [--control-port 7300] [--inbound-port 7301] [--ports 8080,9090]
/// ```
/// The session token comes from `KBRIDGE_SESSION_TOKEN` (a Secret the pod spec references).
/// The agent listens on every address of the pod, where a kubelet's port-forward (the pod's
/// loopback) and the cluster's callers (the pod IP) both reach it; a platform that gives each
/// pod one address of a shared network (the sandbox) names it in `KBRIDGE_LISTEN_ADDRESS`.
@main
struct AgentMain {
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "agent" else {
            fail("usage: kbridge-agent agent [--control-port N] [--inbound-port N] [--ports P,P,...]")
        }
        arguments.removeFirst()
        var controlPort = 7300
        var inboundPort = 7301
        var ports: [Int] = []
        while !arguments.isEmpty {
            let flag = arguments.removeFirst()
            guard let value = arguments.first else { fail("\(flag) needs a value") }
            arguments.removeFirst()
            switch flag {
            case "--control-port": controlPort = Int(value) ?? controlPort
            case "--inbound-port": inboundPort = Int(value) ?? inboundPort
            case "--ports": ports = value.split(separator: ",").compactMap { Int($0) }
            default: fail("unknown option \(flag)")
            }
        }
        let environment = currentEnvironment()
        guard let token = environment["KBRIDGE_SESSION_TOKEN"], !token.isEmpty else {
            fail("KBRIDGE_SESSION_TOKEN is not set: the agent refuses to run without a session token")
        }
        var reported = environment
        reported["KBRIDGE_SESSION_TOKEN"] = nil
        let agent = BridgeAgent(configuration: .init(
            token: token, host: environment[BridgeAgent.listenAddressVariable] ?? "0.0.0.0", controlPort: controlPort, inboundPort: inboundPort,
            servicePorts: ports, environment: reported
        ))
        do {
            try await agent.run { bound in print("kbridge-agent listening: control \(bound[0]), inbound \(bound[1]), service ports \(bound.dropFirst(2).map(String.init).joined(separator: ","))") }
        } catch {
            fail("kbridge-agent stopped: \(error)")
        }
    }

    static func currentEnvironment() -> [String: String] {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return variables
    }

    static func fail(_ message: String) -> Never {
        print("kbridge-agent: \(message)")
        exit(2)
    }
}
