import AsyncHTTPClient
import BridgeTunnel
import Foundation
import Isolation
import KubernetesClient
import NIOFoundationCompat
import SandboxTesting
import Testing

/// The routing manager as a real container of the agent image on a sandbox: copies of the
/// storefront's api (pods labelled and annotated as a session's copy) get requests naming them,
/// everything else keeps reaching the original, and when the copies go the api service gets its
/// own selector back and nothing the manager made is left.
@Suite(.serialized) struct RoutingManagerTests {
    static func copy(_ name: String) -> JSONValue {
        [
            "metadata": [
                "name": .string("api-copy-\(name)"),
                "labels": [RoutingNames.routeFromLabel: "api"],
                "annotations": [RoutingNames.routeOnHeaderAnnotation: .string(RoutingNames.routeOnHeader(name))],
            ],
            "spec": ["containers": [[
                "name": "api", "image": "storefront/api:1",
                "ports": [["name": "http", "containerPort": 8080]],
                "env": [["name": "API_VERSION", "value": .string("copy-\(name)")]],
                "readinessProbe": ["httpGet": ["path": "/healthz", "port": "http"], "periodSeconds": 1],
            ]]],
        ]
    }

    /// The api version the front's answer shows, asked with `header` as the route-as name.
    static func apiVersion(_ storefront: Storefront, routeAs name: String?) async -> String? {
        let headers = name.map { [(name: "kubernetes-route-as", value: $0)] } ?? []
        guard case .success(let answer) = await storefront.sample.ask(headers: headers) else { return nil }
        return answer.json[path: "api", "version"]?.stringValue
    }

    @Test(.timeLimit(.minutes(5))) func copiesGetTheirRequestsOthersTheOriginalAndEverythingIsGivenBack() async throws {
        try await withStorefront { storefront in
            let client = storefront.client
            let api = try await client.getRaw(.services, name: "api")
            let ingress: JSONValue = [
                "metadata": ["name": "shop"],
                "spec": ["rules": [["host": "shop.example.test", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["number": 8080]]]],
                ]]]]],
            ]
            let shop = try await client.createRaw(.ingresses, ingress)

            let created = try await RoutingManagerInstall(client: client, namespace: storefront.namespace).ensure(image: AgentImage.default)
            #expect(created.contains("deployment \(RoutingNames.managerDeployment)"))
            #expect(try await RoutingManagerInstall(client: client, namespace: storefront.namespace).ensure(image: AgentImage.default).isEmpty)
            let managerReady = await TestSandbox.eventually(timeout: .seconds(60)) {
                (try await client.getRaw(.deployments, name: RoutingNames.managerDeployment))[path: "status", "availableReplicas"]?.intValue == 1
            }
            let podsAfterManager = await storefront.sample.podSummary()
            #expect(managerReady, "the routing manager did not become ready: \(podsAfterManager)")

            for name in ["alice", "bob"] { _ = try await client.createRaw(.pods, Self.copy(name)) }
            let routed = await TestSandbox.eventually(timeout: .seconds(90)) {
                let alice = await Self.apiVersion(storefront, routeAs: "alice")
                let bob = await Self.apiVersion(storefront, routeAs: "bob")
                return alice == "copy-alice" && bob == "copy-bob"
            }
            let podsAfterCopies = await storefront.sample.podSummary()
            #expect(routed, "requests naming a copy did not reach it: \(podsAfterCopies)")
            for _ in 0..<5 {
                #expect(await Self.apiVersion(storefront, routeAs: nil) == "1")
                #expect(await Self.apiVersion(storefront, routeAs: "carol") == "1")
            }
            let pointed = try await client.getRaw(.services, name: "api")
            #expect(pointed[path: "spec", "selector"] == RoutePlan.routerSelector(of: "api"))
            #expect(pointed[path: "metadata", "annotations", RoutingNames.originalSelectorAnnotation]?.stringValue == api[path: "spec", "selector"]?.jsonString)

            // The ingress, once per name, through routers that stamp the name.
            let duplicate = try await client.getRaw(.ingresses, name: RoutingNames.duplicatedIngress("shop", for: "alice"))
            #expect(duplicate[path: "spec", "rules"]?[0]?["host"] == "alice.shop.example.test")
            let ingressRouters = try await client.get(Service.self, name: "alice-ingress-router")
            let viaIngressRouters = await TestSandbox.eventually(timeout: .seconds(60)) {
                guard let address = ingressRouters.spec.clusterIP, let port = ingressRouters.spec.ports?.first?.port else { return false }
                var request = HTTPClientRequest(url: "http://\(address):\(port)/")
                request.headers.add(name: "connection", value: "close")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (try JSONValue.parse(Data(buffer: body)))[path: "api", "version"] == "copy-alice"
            }
            #expect(viaIngressRouters)

            for name in ["alice", "bob"] { try await client.delete(.pods, name: "api-copy-\(name)") }
            let givenBack = await TestSandbox.eventually(timeout: .seconds(90)) {
                let service = try await client.getRaw(.services, name: "api")
                let left = try await client.listRaw(.deployments, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel) in (router,ingress-router)")).items
                    + (try await client.listRaw(.services, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel) in (clone-service,ingress-router)")).items)
                    + (try await client.listRaw(.ingresses, options: ListOptions(labelSelector: RoutingNames.componentLabel)).items)
                return service[path: "spec", "selector"] == api[path: "spec", "selector"]
                    && service[path: "metadata", "annotations"] == api[path: "metadata", "annotations"] && left.isEmpty
            }
            #expect(givenBack, "the api service was not given back, or routers are left")
            #expect(await Self.apiVersion(storefront, routeAs: "alice") == "1")
            #expect(try await client.getRaw(.ingresses, name: "shop") == shop)
            // The manager stays.
            #expect(try await client.getRaw(.deployments, name: RoutingNames.managerDeployment)[path: "metadata", "name"] == .string(RoutingNames.managerDeployment))
        }
    }
}

/// Isolation mode end to end with the CLI, on a sandbox.
@Suite(.serialized) struct IsolateCommandTests {
    @Test(.timeLimit(.minutes(8))) func twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing() async throws {
        try await withStorefront(IsolationScenarios.twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing)
    }

    @Test(.timeLimit(.minutes(8))) func h2cWebSocketsAndOtherBytesGoWhereTheyShould() async throws {
        try await withStorefront { try await IsolationScenarios.h2cWebSocketsAndOtherBytesGoWhereTheyShould($0, serversImage: Storefront.serversImage) }
    }
}
