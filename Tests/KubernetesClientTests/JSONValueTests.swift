import Foundation
import KubernetesClient
import Testing

struct JSONValueTests {
    @Test func everyKindOfValueIsReadAsItself() throws {
        let text = #"{"s":"1","t":true,"f":false,"i":42,"n":-7,"d":1.5,"z":null,"a":[1,"x",[],{}],"o":{"k":{"deep":["v"]}}}"#
        let value = try JSONValue.parse(text)
        #expect(value["s"] == .string("1"))
        #expect(value["t"] == .bool(true))
        #expect(value["f"] == .bool(false))
        #expect(value["i"] == .integer(42))
        #expect(value["n"] == .integer(-7))
        #expect(value["d"] == .double(1.5))
        #expect(value["z"] == .null)
        #expect(value["a"] == .array([.integer(1), .string("x"), .array([]), .object([:])]))
        #expect(value[path: "o", "k", "deep"] == .array([.string("v")]))
    }

    @Test func aTreeWrittenAndReadAgainIsTheSame() throws {
        let value: JSONValue = ["name": "x", "count": .integer(3), "ratio": .double(0.25), "on": .bool(true), "none": .null, "list": [["a": "b"]]]
        #expect(try JSONValue.parse(value.jsonData()) == value)
    }
}
