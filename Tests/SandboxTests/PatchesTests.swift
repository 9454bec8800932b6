import Foundation
import KubernetesClient
import Testing

@testable import Sandbox

@Suite struct PatchesTests {
    let deployment: JSONValue = [
        "metadata": ["name": "web", "labels": ["app": "web"]],
        "spec": [
            "replicas": 2,
            "template": ["spec": ["containers": [
                ["name": "web", "image": "web:1", "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]]],
                ["name": "sidecar", "image": "proxy:1"],
            ]]],
        ],
    ]

    @Test func jsonPatchAppliesOperationsInOrder() throws {
        let patch: JSONValue = [
            ["op": "test", "path": "/spec/replicas", "value": 2],
            ["op": "replace", "path": "/spec/replicas", "value": 1],
            ["op": "add", "path": "/metadata/annotations", "value": ["kbridge.dev/original": "{}"]],
            ["op": "remove", "path": "/metadata/labels/app"],
            ["op": "add", "path": "/spec/template/spec/containers/-", "value": ["name": "agent"]],
        ]
        let result = try Patches.applyJSONPatch(patch, to: deployment)
        #expect(result[path: "spec", "replicas"] == 1)
        #expect(result[path: "metadata", "annotations", "kbridge.dev/original"] == "{}")
        #expect(result[path: "metadata", "labels"] == .object([:]))
        #expect(result[path: "spec", "template", "spec", "containers"]?.arrayValue?.count == 3)
    }

    @Test func jsonPatchWithAFailingTestChangesNothing() {
        let patch: JSONValue = [["op": "test", "path": "/spec/replicas", "value": 5], ["op": "replace", "path": "/spec/replicas", "value": 1]]
        #expect(throws: Patches.Failure.testFailed) { try Patches.applyJSONPatch(patch, to: deployment) }
    }

    @Test func jsonPatchEscapesSlashesInKeys() throws {
        let key = JSONPatchOperation.escape("kbridge.dev/original")
        let patch: JSONValue = [["op": "add", "path": .string("/metadata/labels/\(key)"), "value": "x"]]
        #expect(try Patches.applyJSONPatch(patch, to: deployment)[path: "metadata", "labels", "kbridge.dev/original"] == "x")
    }

    @Test func mergePatchReplacesListsAndDeletesNulls() {
        let patch: JSONValue = ["metadata": ["labels": ["app": .null, "tier": "front"]], "spec": ["template": ["spec": ["containers": [["name": "only"]]]]]]
        let result = Patches.applyMergePatch(patch, to: deployment)
        #expect(result[path: "metadata", "labels"] == ["tier": "front"])
        #expect(result[path: "spec", "template", "spec", "containers"] == [["name": "only"]])
        #expect(result[path: "spec", "replicas"] == 2)
    }

    @Test func strategicMergePatchMergesContainersAndEnvByName() throws {
        let patch: JSONValue = ["spec": ["template": ["spec": ["containers": [
            ["name": "web", "image": "web:2", "env": [["name": "B", "value": "changed"], ["name": "C", "value": "3"]]],
        ]]]]]
        let result = try Patches.applyStrategicMergePatch(patch, to: deployment)
        let containers = try #require(result[path: "spec", "template", "spec", "containers"]?.arrayValue)
        #expect(containers.count == 2)
        #expect(containers[0]["image"] == "web:2")
        #expect(containers[0]["env"] == [["name": "A", "value": "1"], ["name": "B", "value": "changed"], ["name": "C", "value": "3"]])
        #expect(containers[1] == ["name": "sidecar", "image": "proxy:1"])
    }

    @Test func strategicMergePatchHonoursDeleteAndReplaceDirectives() throws {
        let delete: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "sidecar", "$patch": "delete"]]]]]]
        let deleted = try Patches.applyStrategicMergePatch(delete, to: deployment)
        #expect(deleted[path: "spec", "template", "spec", "containers"]?.arrayValue?.map { $0["name"] } == ["web"])

        let replace: JSONValue = ["metadata": ["labels": ["$patch": "replace", "new": "yes"]]]
        #expect(try Patches.applyStrategicMergePatch(replace, to: deployment)[path: "metadata", "labels"] == ["new": "yes"])
    }

    @Test func strategicMergePatchFollowsTheElementOrder() throws {
        let patch: JSONValue = ["spec": ["template": ["spec": [
            "$setElementOrder/containers": [["name": "sidecar"], ["name": "web"]],
            "containers": [["name": "web", "image": "web:3"]],
        ]]]]
        let result = try Patches.applyStrategicMergePatch(patch, to: deployment)
        #expect(result[path: "spec", "template", "spec", "containers"]?.arrayValue?.map { $0["name"] } == ["sidecar", "web"])
    }

    /// The recorded strategic patch sets one container's image and must keep its ports and env.
    @Test func strategicMergePatchOfTheReferenceServerGivesItsAnswer() throws {
        let reference = try JSONValue.parse(Data(contentsOf: Bundle.module.url(forResource: "Fixtures/patch-strategic", withExtension: "json")!))
        let patch = try #require(reference["requestBody"])
        let answer = try #require(reference["response"])
        let changed = try Patches.applyJSONPatch([["op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "sample/web:9"]], to: answer)
        let result = try Patches.applyStrategicMergePatch(patch, to: changed)
        #expect(result["spec"] == answer["spec"])
    }
}

@Suite struct SelectorTests {
    let labels = ["app": "web", "tier": "front", "env": "dev"]

    @Test(arguments: [
        ("app=web", true), ("app==web", true), ("app!=web", false), ("app=web,tier=back", false),
        ("env in (dev,prod)", true), ("env notin (dev)", false), ("tier", true), ("!legacy", true), ("!app", false), ("", true),
    ])
    func labelSelectorMatchesAsKubernetesDoes(_ selector: String, _ matches: Bool) throws {
        #expect(try LabelSelector(parsing: selector).matches(labels) == matches)
    }

    @Test func matchExpressionsMatch() {
        let spec: JSONValue = ["matchLabels": ["app": "web"], "matchExpressions": [["key": "env", "operator": "In", "values": ["dev"]]]]
        #expect(LabelSelector(spec: spec).matches(labels))
        #expect(!LabelSelector(spec: spec).matches(["app": "web"]))
    }

    @Test func fieldSelectorsAreCheckedPerResource() throws {
        let pod: JSONValue = ["metadata": ["name": "p"], "spec": ["nodeName": "n1"], "status": ["phase": "Running"]]
        #expect(try FieldSelector(parsing: "spec.nodeName=n1,status.phase!=Pending", for: .pods).matches(pod))
        #expect(throws: APIError.self) { try FieldSelector(parsing: "spec.nodeName=n1", for: .configMaps) }
    }
}

@Suite struct AdmissionTests {
    private func reference(_ name: String) throws -> JSONValue {
        try JSONValue.parse(Data(contentsOf: Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json")!))
    }

    /// The defaults of a created object equal what the real API server answered, server-set metadata aside.
    @Test(arguments: [("create-deployment", ResourceType.deployments), ("create-service", ResourceType.services)])
    func defaultsMatchTheRealServer(_ file: String, _ type: ResourceType) throws {
        let recorded = try reference(file)
        var object = try #require(recorded["requestBody"])
        try Admission.validate(type, object)
        Admission.applyDefaults(type, &object)
        var expected = try #require(recorded["response"])
        expected["metadata"] = nil
        expected["kind"] = nil
        expected["apiVersion"] = nil
        object["metadata"] = nil
        object["kind"] = nil
        object["apiVersion"] = nil
        if type == .services {
            expected["spec"]?["clusterIP"] = nil
            expected["spec"]?["clusterIPs"] = nil
        }
        #expect(object == expected)
    }

    @Test func invalidNameIsRejectedLikeTheRealServer() {
        do {
            try Admission.validate(.configMaps, ["metadata": ["name": "Bad_Name"]])
            Issue.record("expected 422")
        } catch {
            #expect(error.status.code == 422)
            #expect(error.status.message?.hasPrefix("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain") == true)
        }
    }

    @Test func selectorMustMatchTheTemplate() {
        let deployment: JSONValue = [
            "metadata": ["name": "web"],
            "spec": ["selector": ["matchLabels": ["app": "web"]], "template": ["metadata": ["labels": ["app": "other"]], "spec": ["containers": [["name": "c", "image": "i"]]]]],
        ]
        #expect(throws: APIError.self) { try Admission.validate(.deployments, deployment) }
    }

    @Test func podsGetTheServiceAccountTokenVolume() {
        var pod: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "i"]]]]
        Admission.applyPodAdmission(&pod)
        #expect(pod[path: "spec", "serviceAccountName"] == "default")
        let mount = pod[path: "spec", "containers"]?[0]?["volumeMounts"]?[0]
        #expect(mount?["mountPath"] == .string(InClusterConfig.defaultDirectory))
        #expect(pod[path: "spec", "volumes"]?[0]?[path: "projected", "sources"]?.arrayValue?.count == 3)
    }
}
