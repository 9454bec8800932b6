import Foundation
import Testing

@testable import KubernetesClient

@Suite struct ManifestTests {
    @Test func readsEveryDocumentWithYAMLTypesResolved() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("b.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, annotations: {port: "8080"}}
            data: {enabled: "true"}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec: {replicas: 2, paused: false, template: {spec: {terminationGracePeriodSeconds: 1.5}}}
            """)
        try folder.write("a.json", #"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}"#)
        try folder.write("notes.txt", "not a manifest")
        let objects = try Manifest.objects(at: folder.url.path)
        #expect(objects.map(\.type) == [.services, .configMaps, .deployments])
        #expect(objects[1].body[path: "metadata", "annotations", "port"] == "8080")
        #expect(objects[1].body[path: "data", "enabled"] == "true")
        #expect(objects[2].body[path: "spec", "replicas"] == 2)
        #expect(objects[2].body[path: "spec", "paused"] == false)
        #expect(objects[2].body[path: "spec", "template", "spec", "terminationGracePeriodSeconds"] == .double(1.5))
    }

    @Test func unknownKindsAreNamed() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("crd.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
        #expect(throws: Manifest.Failure.self) { try Manifest.objects(at: path) }
    }
}
