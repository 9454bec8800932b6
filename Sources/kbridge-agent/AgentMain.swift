import BridgeTunnel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `kbridge-agent`: what runs in the cluster. Lean on purpose (NIO and swift-crypto, no Foundation).
///
/// ```
/// kbridge-agent agent [--control-port 7300] [--inbound-port 7301] [--ports 8080,9090]
/// ```
/// The session secret comes from `AgentContract.secretVariable` (a Secret the pod spec
/// references); every carrier connection must prove it holds it. The agent listens on every
/// address of the pod, where a kubelet's port-forward (the pod's loopback) and the cluster's
/// callers (the pod IP) both reach it; a platform that gives each pod one address of a shared
/// network (the sandbox) names it in `AgentContract.listenAddressVariable`.
@main
struct AgentMain {
    static func main() async {
        let arguments: AgentContract.Arguments
        do {
            arguments = try AgentContract.Arguments.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail(error.message)
        }
        let environment = currentEnvironment()
        guard let secret = environment[AgentContract.secretVariable], !secret.isEmpty else {
            fail("\(AgentContract.secretVariable) is not set: the agent refuses to run without a session secret")
        }
        var reported = environment
        reported[AgentContract.secretVariable] = nil
        let agent = BridgeAgent(configuration: .init(
            secret: secret, host: environment[AgentContract.listenAddressVariable] ?? "0.0.0.0", arguments: arguments,
            environment: reported, log: { log($0) }
        ))
        do {
            try await agent.run { bound in log("listening: control \(bound[0]), inbound \(bound[1]), service ports \(bound.dropFirst(2).map(String.init).joined(separator: ","))") }
        } catch {
            fail("stopped: \(error)")
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

    /// One line into the container's log, written at once (stdout is a pipe there, so `print` would hold it).
    static func log(_ message: String) {
        let line = Array("kbridge-agent: \(message)\n".utf8)
        line.withUnsafeBytes { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
    }

    static func fail(_ message: String) -> Never {
        log(message)
        exit(2)
    }
}
