import Foundation
import KubernetesClient
import NIOSSL
import X509

/// Who made a request.
struct UserInfo: Sendable, Equatable {
    var name: String
    var groups: [String]

    static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])

    static func serviceAccount(namespace: String, name: String) -> UserInfo {
        UserInfo(name: "system:serviceaccount:\(namespace):\(name)", groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"])
    }
}

/// Authenticates requests the ways the sandbox's kubeconfig users do: a client certificate
/// signed by the sandbox CA (user = CN, groups = O), a static token (`tokens.csv`, the format
/// of kube-apiserver's `--token-auth-file`), or a service-account token it issued itself.
actor Authenticator {
    private var staticTokens: [String: UserInfo]
    private var serviceAccountTokens: [String: UserInfo] = [:]

    init(staticTokens: [String: UserInfo]) {
        self.staticTokens = staticTokens
    }

    /// Reads a token file: `token,user,uid,"group1,group2"` per line.
    static func readTokenFile(_ path: String) -> [String: UserInfo] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var tokens: [String: UserInfo] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = splitCSV(String(line))
            guard fields.count >= 2, !fields[0].isEmpty else { continue }
            let groups = fields.count >= 4 ? fields[3].split(separator: ",").map(String.init) : []
            tokens[fields[0]] = UserInfo(name: fields[1], groups: groups + ["system:authenticated"])
        }
        return tokens
    }

    /// The user behind a bearer token, or nil if the token is unknown.
    func user(forToken token: String) -> UserInfo? {
        staticTokens[token] ?? serviceAccountTokens[token]
    }

    /// Issues a token for a service account (the `serviceaccounts/token` subresource).
    func issueToken(namespace: String, serviceAccount: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let token = "sandbox-sa." + Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-")
        serviceAccountTokens[token] = .serviceAccount(namespace: namespace, name: serviceAccount)
        return token
    }

    /// The user named by a verified client certificate.
    static func user(forCertificate certificate: NIOSSLCertificate) -> UserInfo? {
        guard let parsed = try? Certificate(derEncoded: certificate.toDERBytes()) else { return nil }
        var name: String?
        var groups: [String] = []
        for relativeName in parsed.subject {
            for attribute in relativeName {
                if attribute.type == .RDNAttributeType.commonName { name = String(describing: attribute.value) }
                if attribute.type == .RDNAttributeType.organizationName { groups.append(String(describing: attribute.value)) }
            }
        }
        guard let name else { return nil }
        return UserInfo(name: name, groups: groups + ["system:authenticated"])
    }

    private static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            switch character {
            case "\"": quoted.toggle()
            case "," where !quoted: fields.append(current); current = ""
            default: current.append(character)
            }
        }
        fields.append(current)
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
