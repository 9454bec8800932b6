@testable import BridgeSession
import Testing

@Suite struct LocalEnvironmentTests {
    let rewrites = [("10.96.0.12:8080", "127.1.0.2:8080"), ("10.96.0.12", "127.1.0.2"), ("10.244.0.7", "127.0.0.1")]

    @Test func clusterAddressesInValuesPointAtLocalListeners() {
        #expect(LocalEnvironment.rewriteAddresses(in: "http://10.96.0.12:8080/stock", rewrites) == "http://127.1.0.2:8080/stock")
        #expect(LocalEnvironment.rewriteAddresses(in: "10.96.0.12", rewrites) == "127.1.0.2")
        #expect(LocalEnvironment.rewriteAddresses(in: "a=10.96.0.12,b=10.96.0.12:8080", rewrites) == "a=127.1.0.2,b=127.1.0.2:8080")
    }

    @Test func anAddressInsideALongerOneIsLeftAlone() {
        #expect(LocalEnvironment.rewriteAddresses(in: "10.96.0.123", rewrites) == "10.96.0.123")
        #expect(LocalEnvironment.rewriteAddresses(in: "110.96.0.12", rewrites) == "110.96.0.12")
        #expect(LocalEnvironment.rewriteAddresses(in: "10.96.0.12.5", rewrites) == "10.96.0.12.5")
    }

    @Test func thePodsOwnAddressBecomesLoopback() {
        #expect(LocalEnvironment.rewriteAddresses(in: "10.244.0.7", rewrites) == "127.0.0.1")
    }

    @Test func anotherPortOfAServiceAddressKeepsItsPortAndTheFirstListedRewriteWins() {
        #expect(LocalEnvironment.rewriteAddresses(in: "10.96.0.12:9090", rewrites) == "127.1.0.2:9090")
        #expect(LocalEnvironment.rewriteAddresses(in: "10.96.0.12:80801", rewrites) == "127.1.0.2:80801")
        #expect(LocalEnvironment.rewriteAddresses(in: "x", [("x", "first"), ("x", "second")]) == "first")
    }

    @Test func textAroundAnAddressMayBeAnyUnicodeAndAddressesMayBeIPv6() {
        #expect(LocalEnvironment.rewriteAddresses(in: "über 10.96.0.12 → ok", rewrites) == "über 127.1.0.2 → ok")
        #expect(LocalEnvironment.rewriteAddresses(in: "[fd00::a]:80", [("fd00::a", "127.1.0.9")]) == "[127.1.0.9]:80")
    }

    @Test func valuesWithoutAddressesAreUntouched() {
        #expect(LocalEnvironment.rewriteAddresses(in: "plain text: 1.2.3", rewrites) == "plain text: 1.2.3")
        #expect(LocalEnvironment.rewriteAddresses(in: "", rewrites) == "")
    }
}

@Suite struct DotenvFileTests {
    @Test func valuesAreQuotedSoThatSpacesQuotesAndNewlinesSurvive() {
        let text = DotenvFile.render(["B": "two words", "A": "say \"hi\"\nback\\slash", "C": ""])
        #expect(text == "A=\"say \\\"hi\\\"\\nback\\\\slash\"\nB=\"two words\"\nC=\"\"\n")
    }
}
