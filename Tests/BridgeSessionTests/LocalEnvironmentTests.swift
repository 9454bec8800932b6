@testable import BridgeSession
import Testing

@Suite struct LocalEnvironmentTests {
    let rewrites = [("10.96.0.12:8080", "127.1.0.2:8080"), ("10.96.0.12", "127.1.0.2"), ("10.244.0.7", "127.0.0.1")]

    @Test func clusterAddressesInValuesPointAtLocalListeners() {
        #expect(AddressRewrites(rewrites).apply(to: "http://10.96.0.12:8080/stock") == "http://127.1.0.2:8080/stock")
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12") == "127.1.0.2")
        #expect(AddressRewrites(rewrites).apply(to: "a=10.96.0.12,b=10.96.0.12:8080") == "a=127.1.0.2,b=127.1.0.2:8080")
    }

    @Test func anAddressInsideALongerOneIsLeftAlone() {
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.123") == "10.96.0.123")
        #expect(AddressRewrites(rewrites).apply(to: "110.96.0.12") == "110.96.0.12")
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12.5") == "10.96.0.12.5")
    }

    @Test func thePodsOwnAddressBecomesLoopback() {
        #expect(AddressRewrites(rewrites).apply(to: "10.244.0.7") == "127.0.0.1")
    }

    @Test func anotherPortOfAServiceAddressKeepsItsPortAndTheFirstListedRewriteWins() {
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12:9090") == "127.1.0.2:9090")
        #expect(AddressRewrites(rewrites).apply(to: "10.96.0.12:80801") == "127.1.0.2:80801")
        #expect(AddressRewrites([("x", "first"), ("x", "second")]).apply(to: "x") == "first")
    }

    @Test func textAroundAnAddressMayBeAnyUnicodeAndAddressesMayBeIPv6() {
        #expect(AddressRewrites(rewrites).apply(to: "über 10.96.0.12 → ok") == "über 127.1.0.2 → ok")
        #expect(AddressRewrites([("fd00::a", "127.1.0.9")]).apply(to: "[fd00::a]:80") == "[127.1.0.9]:80")
    }

    @Test func valuesWithoutAddressesAreUntouched() {
        #expect(AddressRewrites(rewrites).apply(to: "plain text: 1.2.3") == "plain text: 1.2.3")
        #expect(AddressRewrites(rewrites).apply(to: "") == "")
    }
}

@Suite struct DotenvFileTests {
    @Test func valuesAreQuotedSoThatSpacesQuotesAndNewlinesSurvive() {
        let text = DotenvFile.render(["B": "two words", "A": "say \"hi\"\nback\\slash", "C": ""])
        #expect(text == "A=\"say \\\"hi\\\"\\nback\\\\slash\"\nB=\"two words\"\nC=\"\"\n")
    }
}
