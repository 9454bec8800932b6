import BridgeTunnel
import RoutingTesting

/// `kbridge-testserver --name NAME --http-port P --h2c-port Q --tcp-port R`: the servers of the
/// routing tests, run where a test cluster runs them (as an image's program): HTTP/1.1 with
/// WebSocket upgrades on P and HTTP/2 with prior knowledge (h2c) on Q, each answer saying NAME,
/// and a byte echo on R. It listens on the
/// address a platform names (`KBRIDGE_LISTEN_ADDRESS`), else on every address, until killed.
/// A tool of the tests, not of kbridge.
@main
struct TestServerMain {
    static func main() async {
        var values: [String: String] = [:]
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst(), let value = arguments.popFirst() { values[flag] = value }
        guard let name = values["--name"], let http = values["--http-port"].flatMap(Int.init), let h2c = values["--h2c-port"].flatMap(Int.init),
              let tcp = values["--tcp-port"].flatMap(Int.init) else {
            ContainerProcess.fail("usage: kbridge-testserver --name NAME --http-port P --h2c-port Q --tcp-port R", from: "kbridge-testserver")
        }
        let host = ContainerProcess.environment()[AgentContract.listenAddressVariable] ?? "0.0.0.0"
        do {
            let servers = [
                try await TestServers.http(named: name, host: host, port: http), try await HTTP2TestPeers.server(named: name, host: host, port: h2c),
                try await TestServers.echo(host: host, port: tcp),
            ]
            ContainerProcess.log("\(name) listening on \(host): HTTP/1.1 and WebSocket on \(http), h2c on \(h2c), byte echo on \(tcp)", from: "kbridge-testserver")
            try await servers[0].closeFuture.get()
        } catch {
            ContainerProcess.fail("cannot serve: \(error)", from: "kbridge-testserver")
        }
    }
}
