import Testing

@testable import BridgeSession

/// KubernetesLocalProcessConfig.yaml and azds-local.env, read as Bridge to Kubernetes wrote them,
/// every mistake named with its line and column.
@Suite struct LocalProcessConfigTests {
    static let everyKind = """
        version: 0.1
        volumeMounts:
          - name: kube-api-access-*
            localPath: /tmp/kbridge-token
        env:
          - name: CONFIG_DIR
            value: $(volumeMounts:config)/app
          - name: RATES
            value: "http://$(services:rates.shared:9000):9000/"
          - name: WEB
            value: $(services:web)
          - name: DB
            value: $(externalEndpoints:db.example.com:5432,5433)
          - name: PASSWORD
            value: pa$$word$
        enableFeatures: [probes, LifecycleHooks, ManagedIdentity, Teleport]
        """

    @Test func everyTokenKindIsRead() throws {
        let config = try LocalProcessConfig.parse(Self.everyKind, file: "c.yaml")
        let place = { (line: Int, column: Int) in ConfigPlace(file: "c.yaml", line: line, column: column) }
        #expect(config.volumeMounts == [.init(name: "kube-api-access-*", localPath: "/tmp/kbridge-token", place: place(3, 11))])
        #expect(config.env.map(\.name) == ["CONFIG_DIR", "RATES", "WEB", "DB", "PASSWORD"])
        #expect(config.env[0].value.parts == [.volumeMount(name: "config", place: place(7, 12)), .text("/app")])
        #expect(config.env[1].value.parts == [.text("http://"), .service(name: "rates", namespace: "shared", ports: [9000], place: place(9, 20)), .text(":9000/")])
        #expect(config.env[2].value.parts == [.service(name: "web", namespace: nil, ports: [], place: place(11, 12))])
        #expect(config.env[3].value.parts == [.externalEndpoint(host: "db.example.com", ports: [5432, 5433], place: place(13, 12))])
        #expect(config.env[4].value.parts == [.text("pa$word$")], "$$ is a literal $, and so is a $ that starts nothing")
        #expect(config.features == [.probes, .lifecycleHooks], "feature names match without regard to case")
        #expect(config.warnings.count == 2 && config.warnings[0].contains("ManagedIdentity is Azure's") && config.warnings[1].contains("unknown feature \"Teleport\""))
        #expect(config.portLimits(namespace: "shop") == ["rates.shared": [9000]])
        #expect(config.volumePatterns.map(\.pattern) == ["kube-api-access-*", "config"])
    }

    @Test(arguments: [
        ("kube-api-access-*", "kube-api-access-x7k2p", true), ("default-token-*", "default-token-1234-5678", true), ("*-token-*", "default-token-ab", true),
        ("config", "config", true), ("config", "config-2", false), ("a*b", "ab", true), ("a*b*c", "abc", true), ("a*b*c", "acb", false), ("*", "anything", true),
    ])
    func volumePatternsMatchLikeShellWildcards(pattern: String, name: String, matches: Bool) {
        #expect(ConfigValue.matches(name, pattern: pattern) == matches)
    }

    /// Each malformed file, the place and the message kbridge gives.
    static let malformed: [(String, String, String)] = [
        ("", "c.yaml:1:1", "the file is empty"),
        ("env: []\n", "c.yaml:1:1", "the required key \"version\" is missing"),
        ("version: 0.2\n", "c.yaml:1:10", "version 0.2 is newer than this kbridge reads (0.1)"),
        ("version: one\n", "c.yaml:1:10", "version must be a number"),
        ("version: 0.1\nenvs: []\n", "c.yaml:2:1", "unknown key \"envs\" (known: version, env, volumeMounts, enableFeatures)"),
        ("version: 0.1\nenv:\n  - name: A\n    valu: x\n", "c.yaml:4:5", "unknown key \"valu\" in a env entry"),
        ("version: 0.1\nenv:\n  - name: A\n", "c.yaml:3:5", "this env entry has no \"value\""),
        ("version: 0.1\nenv:\n  - name: A\n    value: $(volume:x)\n", "c.yaml:4:12", "$(volume:x): unknown token kind \"volume\""),
        ("version: 0.1\nenv:\n  - name: A\n    value: \"x $(services:web\"\n", "c.yaml:4:15", "\"$(\" opens a token that never closes"),
        ("version: 0.1\nenv:\n  - name: A\n    value: $(services:Web_1)\n", "c.yaml:4:12", "\"Web_1\" is not a service name"),
        ("version: 0.1\nenv:\n  - name: A\n    value: $(services:web:http)\n", "c.yaml:4:12", "\"http\" is not a port"),
        ("version: 0.1\nenv:\n  - name: A\n    value: $(externalEndpoints:db.example.com)\n", "c.yaml:4:12", "an external endpoint needs its ports"),
        ("version: 0.1\nenv:\n  - name: 1A\n    value: x\n", "c.yaml:3:11", "\"1A\" is not a variable name"),
        ("version: 0.1\nenv:\n  - name: A\n    value: x\n  - name: A\n    value: y\n", "c.yaml:5:11", "the variable A is set twice (first at line 3)"),
        ("version: 0.1\nenv: {A: x}\n", "c.yaml:2:6", "env must be a list"),
        ("version: 0.1\nvolumeMounts:\n  - name: config\n    localPath: relative/dir\n", "c.yaml:4:16", "localPath \"relative/dir\" must be an absolute path"),
        ("version: 0.1\nenv:\n  - name: A\n    value: [x]\n", "c.yaml:4:12", "env value must be text"),
        ("version: 0.1\nenv:\n  - name: A\n   value: x\n", "c.yaml:4:4", "not valid YAML: did not find expected '-' indicator"),
        ("version: 0.1\nversion: 0.1\n", "c.yaml:", "the key version appears twice"),
        ("version: 0.1\nvolumeMounts:\n  - name: a\n    localPath: ~/.config/git\n", "c.yaml:4:16", "is inside a hidden folder of your home"),
        ("version: 0.1\nvolumeMounts:\n  - name: a\n    localPath: /tmp/x\n  - name: b\n    localPath: /tmp/x/y/\n", "c.yaml:6:16", "is, or is inside or around, the localPath of line 3"),
        ("version: 0.1\nenv:\n  - name: A\n    value: \"é $(nope:x)\"\n", "c.yaml:4:15", "unknown token kind \"nope\""),
    ]

    @Test(arguments: malformed)
    func aMalformedFileIsNamedWithItsLineAndColumn(text: String, place: String, message: String) {
        do {
            let config = try LocalProcessConfig.parse(text, file: "c.yaml")
            Issue.record("read without error: \(config)")
        } catch {
            #expect(error.description.hasPrefix(place) && error.description.contains(message), "\(error)")
        }
    }

    @Test func theOlderAzdsLocalEnvFormIsReadOntoTheSameTokens() throws {
        let config = try LegacyEnvFile.parse("""
            # Azure Dev Spaces
            WHITELIST_PATH=${volumes.whitelist}/whitelist
            TOKEN_DIR=${volumes.default-token-*|/var/run/secrets/kubernetes.io/serviceaccount}

            MYAPP1=${services.myapp1}
            MYAPP2=${services.mynamespace.myapp2}
            """, file: "azds-local.env")
        let place = { (line: Int, column: Int) in ConfigPlace(file: "azds-local.env", line: line, column: column) }
        #expect(config.env.map(\.name) == ["WHITELIST_PATH", "TOKEN_DIR", "MYAPP1", "MYAPP2"])
        #expect(config.env[0].value.parts == [.volumeMount(name: "whitelist", place: place(2, 16)), .text("/whitelist")])
        #expect(config.volumeMounts == [.init(name: "default-token-*", localPath: "/var/run/secrets/kubernetes.io/serviceaccount", place: place(3, 11))])
        #expect(config.env[3].value.parts == [.service(name: "myapp2", namespace: "mynamespace", ports: [], place: place(6, 8))])
        #expect {
            _ = try LegacyEnvFile.parse("A=1\nB=${secrets.x}\n", file: "azds-local.env")
        } throws: { "\($0)".hasPrefix("azds-local.env:2:3: ${secrets.x} is not a token") }
        let windows = try LegacyEnvFile.parse("# saved on Windows\r\nA=${services.web}\r\nB=2\r\n", file: "azds-local.env")
        #expect(windows.env.map(\.name) == ["A", "B"] && windows.env[1].value.parts == [.text("2")], "\\r\\n ends a line too")
    }
}
