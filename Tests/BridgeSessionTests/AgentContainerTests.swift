@testable import BridgeSession
import KubernetesClient
import Testing

@Suite struct AgentContainerTests {
    let original: JSONValue = [
        "name": "api", "image": "shop/api:1", "command": ["python3"], "args": ["api.py"], "workingDir": "/app",
        "ports": [["containerPort": 8080, "name": "http"]],
        "env": [["name": "A", "value": "1"]], "envFrom": [["configMapRef": ["name": "api-config"]]],
        "volumeMounts": [["name": "config", "mountPath": "/etc/api"]],
        "readinessProbe": ["httpGet": ["path": "/healthz", "port": "http"]], "livenessProbe": ["tcpSocket": ["port": 8080]],
        "resources": ["limits": ["memory": "128Mi"]], "securityContext": ["runAsUser": 0, "readOnlyRootFilesystem": true],
    ]

    var agent: JSONValue {
        AgentContainer.build(from: original, image: "agent:1", ports: AgentPorts(control: 7300, inbound: 7301), servicePorts: [8080, 9090], secretName: "kbridge-session-x")
    }

    @Test func keepsWhatTheAgentMustSeeAsTheAppDid() {
        for field in ["name", "ports", "envFrom", "volumeMounts", "resources"] {
            #expect(agent[field] == original[field], "\(field)")
        }
        #expect(agent["env"]?[0] == original["env"]?[0])
    }

    @Test func replacesWhatWouldStartTheAppAndItsProbes() {
        #expect(agent["image"] == "agent:1")
        #expect(agent["imagePullPolicy"] == "IfNotPresent")
        #expect(agent["command"] == nil)
        #expect(agent["workingDir"] == nil)
        #expect(agent["livenessProbe"] == nil)
        #expect(agent["args"] == ["agent", "--control-port", "7300", "--inbound-port", "7301", "--ports", "8080,9090"])
        #expect(agent["readinessProbe"] == nil, "ready once it runs: a probe would hold connect for its period")
    }

    @Test func getsTheSecretFromTheSessionsSecretAndRunsAsNonRoot() {
        #expect(agent["env"]?[1] == ["name": "KBRIDGE_SESSION_TOKEN", "valueFrom": ["secretKeyRef": ["name": "kbridge-session-x", "key": "token"]]])
        #expect(agent[path: "securityContext", "runAsNonRoot"] == true)
        #expect(agent[path: "securityContext", "runAsUser"] == 65532)
        #expect(agent[path: "securityContext", "readOnlyRootFilesystem"] == true)
    }

    /// The agent reads the mounted files the app reads: it runs as the app's user, never as root.
    @Test(arguments: [
        (nil, nil, 65532), (0, nil, 65532), (1000, nil, 1000), (nil, 2000, 2000), (1000, 2000, 1000), (0, 2000, 65532), (nil, 0, 65532),
    ] as [(Int?, Int?, Int)])
    func runsAsTheAppsUserUnlessThatIsRoot(container: Int?, pod: Int?, expected: Int) {
        var original = original
        original["securityContext"] = container.map { ["runAsUser": .integer(Int64($0))] }
        let podSecurity: JSONValue? = pod.map { ["runAsUser": .integer(Int64($0))] }
        let agent = AgentContainer.build(from: original, podSecurity: podSecurity, image: "agent:1", ports: AgentPorts(control: 7300, inbound: 7301), servicePorts: [8080], secretName: "s")
        #expect(agent[path: "securityContext", "runAsUser"] == .integer(Int64(expected)))
        #expect(agent[path: "securityContext", "runAsNonRoot"] == true)
    }

    /// `enableFeatures: [Probes, LifecycleHooks]`: the agent keeps them (the probes reach the
    /// container's ports, which come to the local app).
    @Test func keepsTheProbesAndHooksWhenAsked() {
        var original = original
        original["lifecycle"] = ["preStop": ["httpGet": ["path": "/drain", "port": 8080]]]
        let agent = AgentContainer.build(
            from: original, image: "agent:1", ports: AgentPorts(control: 7300, inbound: 7301), servicePorts: [8080], secretName: "s", keeping: [.probes, .lifecycleHooks]
        )
        #expect(agent["readinessProbe"] == original["readinessProbe"] && agent["livenessProbe"] == original["livenessProbe"])
        #expect(agent["lifecycle"] == original["lifecycle"])
        let onlyProbes = AgentContainer.build(
            from: original, image: "agent:1", ports: AgentPorts(control: 7300, inbound: 7301), servicePorts: [8080], secretName: "s", keeping: [.probes]
        )
        #expect(onlyProbes["lifecycle"] == nil && onlyProbes["readinessProbe"] != nil)
        // An exec probe or hook would run in the agent's image: never kept, and named.
        original["startupProbe"] = ["exec": ["command": ["/app/ready"]]]
        original["lifecycle"] = ["preStop": ["exec": ["command": ["true"]]], "postStart": ["httpGet": ["port": 8080]]]
        let execs = AgentContainer.build(
            from: original, image: "agent:1", ports: AgentPorts(control: 7300, inbound: 7301), servicePorts: [8080], secretName: "s", keeping: [.probes, .lifecycleHooks]
        )
        #expect(execs["startupProbe"] == nil && execs["readinessProbe"] != nil)
        #expect(execs["lifecycle"] == ["postStart": ["httpGet": ["port": 8080]]])
        #expect(AgentContainer.notKept(of: original, keeping: [.probes, .lifecycleHooks]) == ["startupProbe", "preStop"])
    }

    @Test func agentPortsAvoidTheContainersOwn() {
        #expect(AgentPorts.avoiding([8080]) == AgentPorts(control: 7300, inbound: 7301))
        #expect(AgentPorts.avoiding([7301]) == AgentPorts(control: 7302, inbound: 7303))
    }

    @Test func sessionIdentitiesAreFreshEachTime() {
        let first = SessionIdentity.generate()
        let second = SessionIdentity.generate()
        #expect(first.id.count == 8 && first.secret.count == 64)
        #expect(first != second)
        #expect(first.secretName == "kbridge-session-\(first.id)")
    }
}
