import BridgeTunnel
import Testing

/// The CLI and the agent read what the other wrote: each part of the contract round-trips.
@Suite struct AgentContractTests {
    @Test(arguments: [
        AgentContract.Arguments(),
        AgentContract.Arguments(controlPort: 7302, inboundPort: 7303, servicePorts: [8080, 9090]),
        AgentContract.Arguments(controlPort: 0, inboundPort: 0, servicePorts: [0]),
    ])
    func argumentsRoundTrip(_ arguments: AgentContract.Arguments) throws {
        #expect(try AgentContract.Arguments.parse(arguments.encoded) == arguments)
    }

    @Test func theArgumentsAreTheOnesTheTakeOverWrites() {
        let arguments = AgentContract.Arguments(controlPort: 7300, inboundPort: 7301, servicePorts: [8080, 9090])
        #expect(arguments.encoded == ["agent", "--control-port", "7300", "--inbound-port", "7301", "--ports", "8080,9090"])
    }

    @Test(arguments: [
        (["serve"], "usage: kbridge-agent agent"),
        (["agent", "--ports"], "--ports needs a value"),
        (["agent", "--control-port", "70000"], "--control-port: 70000 is not a port"),
        (["agent", "--ports", "80,x"], "--ports: x is not a port"),
        (["agent", "--verbose", "1"], "unknown option --verbose"),
    ])
    func badArgumentsAreNamed(_ arguments: [String], _ message: String) {
        #expect(throws: AgentContract.ArgumentError.self) { try AgentContract.Arguments.parse(arguments) }
        do {
            _ = try AgentContract.Arguments.parse(arguments)
        } catch {
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test(arguments: [
        AgentContract.Target.environment, .inbound(port: 8080), .cluster(host: "10.96.0.12", port: 80),
        .cluster(host: "::1", port: 8080), .cluster(host: "web.shop.svc.cluster.local", port: 443),
    ])
    func targetsRoundTrip(_ target: AgentContract.Target) {
        #expect(AgentContract.Target(encoded: target.encoded) == target)
    }

    @Test(arguments: ["no-port", "host:99999", ":80", "inbound:x", "inbound:70000", ""])
    func malformedTargetsAreRejected(_ encoded: String) {
        #expect(AgentContract.Target(encoded: encoded) == nil)
    }

    @Test func theEnvironmentReportRoundTripsAnyValue() throws {
        let environment = [
            "MULTILINE": "one\ntwo\r\nthree", "QUOTES": #"say "hi" \ back\slash"#, "EMPTY": "", "EQUALS": "a=b=c",
            "CONTROL": "\u{01}\u{1F}\t", "UNICODE": "café ☕️ 𝄞", "PATH": "/usr/bin:/bin",
        ]
        let report = AgentContract.EnvironmentReport.encode(environment)
        #expect(report.split(separator: "\n").count == environment.count, "one line per variable")
        #expect(try AgentContract.EnvironmentReport.decode(report) == environment)
    }

    @Test func theReportReadsEscapesAJSONEncoderMayWrite() throws {
        let report = #"A="\u00e9\/\b\f\ud834\udd1e""# + "\n"
        #expect(try AgentContract.EnvironmentReport.decode(report) == ["A": "é/\u{08}\u{0C}𝄞"])
    }

    @Test(arguments: ["A=not-json\n", "A=\"unterminated\n", "A=\"bad \\q escape\"\n", "NO_EQUALS\n", "A=\"\\ud834 lone surrogate\"\n"])
    func anUnreadableReportNamesTheVariable(_ report: String) {
        #expect(throws: AgentContract.ReportError.self) { try AgentContract.EnvironmentReport.decode(report) }
    }
}
