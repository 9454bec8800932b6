import Foundation
import KubernetesClient
import Testing

@testable import Sandbox

/// Protobuf bodies as kubectl's typed creates send them, read into the JSON the API server reads.
@Suite struct KubernetesProtobufDecoderTests {
    let decoder: KubernetesProtobufDecoder

    init() throws {
        decoder = try KubernetesProtobufDecoder.kubernetes.get()
    }

    @Test func theSchemaDefinesEveryTypeItNamesAndEveryKindTheSandboxServes() {
        #expect(decoder.schema.undefinedMessages.isEmpty, "\(decoder.schema.undefinedMessages)")
        for served in ServedResources.all {
            let name = KubernetesProtobufDecoder.messageName(apiVersion: served.type.apiVersion, kind: served.type.kind)
            #expect(decoder.schema.messages[name] != nil, "\(served.type.kind) (\(served.type.apiVersion)) → \(name)")
        }
    }

    /// The shape of `kubectl create deployment web --image=nginx --replicas=0 --port=80`: every
    /// non-pointer field written, zero or not, as Go's generated code does.
    @Test func aDeploymentReadsAsGoWritesItsJSON() throws {
        let emptyMeta = Proto.message(
            Proto.string(1, "web"), Proto.string(2, ""), Proto.string(3, ""), Proto.string(5, ""), Proto.string(6, ""),
            Proto.varint(7, 0), Proto.bytes(8, []), Proto.map(11, ["app": "web"])
        )
        let container = Proto.message(
            Proto.string(1, "nginx"), Proto.string(2, "nginx"), Proto.string(5, ""),
            Proto.bytes(6, Proto.message(Proto.string(1, ""), Proto.varint(3, 80), Proto.string(4, "TCP"))),
            Proto.bytes(8, []), Proto.string(13, ""), Proto.varint(16, 0)
        )
        let spec = Proto.message(
            Proto.varint(1, 0),
            Proto.bytes(2, Proto.map(1, ["app": "web"])),
            Proto.bytes(3, Proto.message(Proto.bytes(1, Proto.message(Proto.bytes(8, []), Proto.map(11, ["app": "web"]))), Proto.bytes(2, Proto.message(Proto.bytes(2, container))))),
            Proto.bytes(4, []), Proto.varint(5, 0), Proto.varint(7, 0)
        )
        let body = Proto.envelope(apiVersion: "apps/v1", kind: "Deployment", Proto.message(Proto.bytes(1, emptyMeta), Proto.bytes(2, spec), Proto.bytes(3, [])))

        let object = try decoder.decodeObject(body)
        #expect(object["apiVersion"] == "apps/v1" && object["kind"] == "Deployment")
        #expect(object["metadata"] == ["name": "web", "creationTimestamp": nil, "labels": ["app": "web"]])
        #expect(object[path: "spec", "replicas"] == 0, "a pointer's zero is meant")
        #expect(object[path: "spec", "paused"] == nil, "a non-pointer's zero with omitempty is left out")
        #expect(object[path: "spec", "strategy"] == .object([:]) && object["status"] == .object([:]), "a struct is never left out")
        #expect(object[path: "spec", "selector"] == ["matchLabels": ["app": "web"]])
        let decoded = try #require(object[path: "spec", "template", "spec", "containers"]?.arrayValue?.first)
        #expect(decoded == ["name": "nginx", "image": "nginx", "ports": [["containerPort": 80, "protocol": "TCP"]], "resources": .object([:])])
        #expect(object[path: "spec", "template", "metadata", "creationTimestamp"] == .null)
    }

    /// client-go's typed deletes (`kubectl drain`) send DeleteOptions in the client's group version.
    @Test func deleteOptionsReadWhicheverGroupVersionSendsThem() throws {
        let options = try decoder.decodeObject(Proto.envelope(apiVersion: "v1", kind: "DeleteOptions", Proto.message(
            Proto.varint(1, 0), Proto.bytes(2, Proto.message(Proto.string(1, "uid-1"))), Proto.string(4, "Foreground")
        )))
        #expect(options == ["apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "preconditions": ["uid": "uid-1"], "propagationPolicy": "Foreground"])
    }

    @Test func specialTypesReadAsTheirJSONForms() throws {
        let time = Proto.message(Proto.varint(1, 1_764_988_800), Proto.varint(2, 0))
        let micro = Proto.message(Proto.varint(1, 1_764_988_800), Proto.varint(2, 1_500_000))
        let lease = Proto.envelope(apiVersion: "coordination.k8s.io/v1", kind: "Lease", Proto.message(
            Proto.bytes(1, Proto.message(Proto.string(1, "l"), Proto.bytes(8, time))),
            Proto.bytes(2, Proto.message(Proto.string(1, "me"), Proto.bytes(3, micro)))
        ))
        let object = try decoder.decodeObject(lease)
        #expect(object[path: "metadata", "creationTimestamp"] == "2025-12-06T02:40:00Z")
        #expect(object[path: "spec", "acquireTime"] == "2025-12-06T02:40:00.001500Z")
        // Only an empty Time is the zero time; one at 0 s is the epoch. A MicroTime's surplus
        // nanoseconds carry over as Go's time.Unix carries them.
        let epoch = try decoder.decodeObject(Proto.envelope(apiVersion: "coordination.k8s.io/v1", kind: "Lease", Proto.message(
            Proto.bytes(1, Proto.message(Proto.bytes(8, Proto.message(Proto.varint(1, 0), Proto.varint(2, 0))))),
            Proto.bytes(2, Proto.message(Proto.bytes(3, Proto.message(Proto.varint(1, 10), Proto.varint(2, -1_000)))))
        )))
        #expect(epoch[path: "metadata", "creationTimestamp"] == "1970-01-01T00:00:00Z")
        #expect(epoch[path: "spec", "acquireTime"] == "1970-01-01T00:00:09.999999Z")

        // A Secret's bytes as base64; a Service's IntOrString both ways; a Quantity as its text;
        // a Volume's embedded source as the Volume's own field.
        let secret = try decoder.decodeObject(Proto.envelope(apiVersion: "v1", kind: "Secret", Proto.message(
            Proto.bytes(1, Proto.message(Proto.string(1, "s"))), Proto.bytes(2, Proto.mapEntry(Proto.string(1, "p"), Proto.bytes(2, Array("pa$$".utf8))))
        )))
        #expect(secret["data"] == ["p": "cGEkJA=="])
        let ports = [Proto.message(Proto.varint(3, 80), Proto.bytes(4, Proto.message(Proto.varint(1, 0), Proto.varint(2, 8080)))),
                     Proto.message(Proto.varint(3, 81), Proto.bytes(4, Proto.message(Proto.varint(1, 1), Proto.string(3, "http"))))]
        let service = try decoder.decodeObject(Proto.envelope(apiVersion: "v1", kind: "Service", Proto.message(
            Proto.bytes(2, Proto.message(Proto.bytes(1, ports[0]), Proto.bytes(1, ports[1])))
        )))
        #expect(service[path: "spec", "ports"] == [["port": 80, "targetPort": 8080], ["port": 81, "targetPort": "http"]])
        let resources = Proto.message(Proto.bytes(1, Proto.mapEntry(Proto.string(1, "cpu"), Proto.bytes(2, Proto.message(Proto.string(1, "500m"))))))
        let volume = Proto.message(Proto.string(1, "config"), Proto.bytes(2, Proto.message(Proto.bytes(19, Proto.message(Proto.bytes(1, Proto.message(Proto.string(1, "settings"))))))))
        let pod = try decoder.decodeObject(Proto.envelope(apiVersion: "v1", kind: "Pod", Proto.message(Proto.bytes(2, Proto.message(
            Proto.bytes(1, volume), Proto.bytes(2, Proto.message(Proto.string(1, "app"), Proto.bytes(8, resources)))
        )))))
        #expect(pod[path: "spec", "volumes"] == [["name": "config", "configMap": ["name": "settings"]]])
        #expect(pod[path: "spec", "containers"]?.arrayValue?.first?["resources"] == ["limits": ["cpu": "500m"]])
    }

    @Test func whatCannotBeReadIsRefusedSayingWhyAndUnknownFieldsAreSkipped() throws {
        let deployment = { (object: [UInt8]) in Proto.envelope(apiVersion: "apps/v1", kind: "Deployment", object) }
        #expect(throws: KubernetesProtobufDecoder.Failure.notAnEnvelope) { try decoder.decodeObject(Array("{\"kind\":\"Pod\"}".utf8)) }
        #expect(throws: KubernetesProtobufDecoder.Failure.unknownKind(apiVersion: "example.com/v1", kind: "Widget")) {
            try decoder.decodeObject(Proto.envelope(apiVersion: "example.com/v1", kind: "Widget", []))
        }
        // A field the schema does not know (a newer client's) is skipped, as Go's generated code does.
        let skipped = try decoder.decodeObject(deployment(Proto.varint(99, 1) + Proto.bytes(1, Proto.string(1, "web"))))
        #expect(skipped == [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
        ])
        #expect(throws: KubernetesProtobufDecoder.Failure.mismatchedWireType(field: "metadata", message: "k8s.io.api.apps.v1.Deployment")) {
            try decoder.decodeObject(deployment(Proto.varint(1, 1)))
        }
        #expect(throws: KubernetesProtobufDecoder.Failure.malformed("the message ends inside a field")) {
            try decoder.decodeObject(Array(deployment(Proto.bytes(1, Proto.string(1, "web"))).dropLast()))
        }
        var encoded = Proto.envelope(apiVersion: "apps/v1", kind: "Deployment", [])
        encoded += Proto.string(3, "gzip")
        #expect(throws: KubernetesProtobufDecoder.Failure.encoded("gzip")) { try decoder.decodeObject(encoded) }
    }
}

/// Protocol buffers' wire format, written by hand for the tests.
enum Proto {
    static func varintBytes(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = [], rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }

    static func varint(_ number: Int, _ value: Int64) -> [UInt8] {
        varintBytes(UInt64(number) << 3) + varintBytes(UInt64(bitPattern: value))
    }

    static func bytes(_ number: Int, _ value: [UInt8]) -> [UInt8] {
        varintBytes(UInt64(number) << 3 | 2) + varintBytes(UInt64(value.count)) + value
    }

    static func string(_ number: Int, _ value: String) -> [UInt8] { bytes(number, Array(value.utf8)) }

    static func message(_ fields: [UInt8]...) -> [UInt8] { fields.flatMap { $0 } }

    static func mapEntry(_ key: [UInt8], _ value: [UInt8]) -> [UInt8] { key + value }

    /// A map field of strings: one entry message per key.
    static func map(_ number: Int, _ entries: [String: String]) -> [UInt8] {
        entries.sorted { $0.key < $1.key }.flatMap { bytes(number, string(1, $0.key) + string(2, $0.value)) }
    }

    /// `k8s\0` and a runtime.Unknown holding `object`.
    static func envelope(apiVersion: String, kind: String, _ object: [UInt8]) -> [UInt8] {
        KubernetesProtobufDecoder.magic + bytes(1, string(1, apiVersion) + string(2, kind)) + bytes(2, object) + string(4, "")
    }
}
