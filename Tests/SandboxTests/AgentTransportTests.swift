import BridgeSession
import BridgeTunnel
import Foundation
import KubernetesClient
import NIOCore
import SandboxTesting
import Testing

/// The transport of `kbridge connect`, end to end: the real `kbridge-agent` in a sandbox pod,
/// reached through the API server's port-forward, with the HTTP/2 tunnel running directly on it.
@Suite struct AgentTransportTests {
    @Test func theTunnelThroughAPortForwardReachesClusterServicesAndTheAgentsEnvironment() async throws {
        try await withTestSandbox(imageFiles: [Tools.storefrontImages, try Storefront.agentImageFile()]) { sandbox in
            let client = try sandbox.client()
            for object in try Manifest.objects(at: Tools.storefrontManifests) { try await client.createRaw(object.type, object.body) }
            try await client.createRaw(.secrets, ["metadata": ["name": "kbridge-session"], "stringData": ["token": "t0ken"]])
            try await client.createRaw(.pods, [
                "metadata": ["name": "agent"],
                "spec": ["containers": [[
                    "name": "agent", "image": .string(AgentImage.default), "args": ["agent", "--ports", "8080"],
                    "env": [["name": "KBRIDGE_SESSION_TOKEN", "valueFrom": ["secretKeyRef": ["name": "kbridge-session", "key": "token"]]]],
                    "readinessProbe": ["tcpSocket": ["port": 7300], "periodSeconds": 1],
                ]]],
            ])
            #expect(await TestSandbox.eventually { try await client.get(Pod.self, name: "agent").isReady })
            let inventoryReady = await TestSandbox.eventually(timeout: .seconds(90)) { try await StorefrontSample(client: client).hasReadyEndpoint(service: "inventory") }
            #expect(inventoryReady, "the inventory service has a ready endpoint")
            let inventory = try #require(try await client.get(Service.self, name: "inventory").spec.clusterIP)

            let dialer = try await client.portForwardChannel(pod: "agent", port: 7300) { channel in
                PendingCarrier.begin(channel, side: .cli, purpose: .control, configuration: TunnelConfiguration(secret: "t0ken"))
            }.dialer()
            let answer = try await dialer.open(AgentContract.Target.cluster(host: inventory, port: 8080).encoded).executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.0\r\nHost: inventory\r\n\r\n"))
                var text = ""
                for try await bytes in inbound { text += String(buffer: bytes) }
                return text
            }
            #expect(answer.hasPrefix("HTTP/1.0 200"), "\(answer)")
            #expect(answer.contains(#"{"status": "ok"}"#))

            let environment = try await dialer.open(AgentContract.Target.environment.encoded).executeThenClose { inbound, outbound in
                outbound.finish()
                var text = ""
                for try await bytes in inbound { text += String(buffer: bytes) }
                return text
            }
            #expect(environment.contains("INVENTORY_SERVICE_HOST=\"\(inventory)\""), "the agent reports the service variables the app would see")
            #expect(!environment.contains("t0ken"), "the session secret is not reported")
        }
    }
}
