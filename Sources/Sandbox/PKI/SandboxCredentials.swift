import Foundation
import LocalEndpoints

/// The sandbox's certificates and tokens, made on first start and kept in `DIR/pki/credentials.json`
/// so that a restarted sandbox keeps working with kubeconfigs written earlier.
struct SandboxCredentials: Codable, Sendable {
    var authority: IssuedCertificate
    /// The API server's serving certificate (127.0.0.1, localhost).
    var apiServer: IssuedCertificate
    /// The kubeconfig's certificate user, in `system:masters`.
    var admin: IssuedCertificate
    /// The kubeconfig's token user, also in `system:masters`.
    var adminToken: String
    /// The API server's certificate for calling kubelets.
    var kubeletClient: IssuedCertificate
    /// The kubelet's certificate for calling the API server (`system:node:sandbox-node`).
    var node: IssuedCertificate

    /// Reads the credentials of `directory`, or makes them. The API server's certificate names
    /// 127.0.0.1 and `serviceIP`, the `kubernetes` service's address that pods use.
    static func load(or directory: URL, serviceIP: String) throws -> SandboxCredentials {
        let folder = directory.appendingPathComponent("pki")
        let file = folder.appendingPathComponent("credentials.json")
        if let data = FileManager.default.contents(atPath: file.path), let existing = try? JSONDecoder().decode(SandboxCredentials.self, from: data) {
            return existing
        }
        let authority = try CertificateAuthority(commonName: "kbridge-sandbox-ca")
        var token = [UInt8](repeating: 0, count: 24)
        for index in token.indices { token[index] = UInt8.random(in: 0...255) }
        let credentials = SandboxCredentials(
            authority: try authority.pem,
            apiServer: try authority.issueServer(commonName: "kube-apiserver", dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"], ipAddresses: [[127, 0, 0, 1], serviceIP.split(separator: ".").compactMap { UInt8($0) }]),
            admin: try authority.issueClient(user: "sandbox-admin", groups: ["system:masters"]),
            adminToken: Data(token).base64EncodedString().replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-"),
            kubeletClient: try authority.issueClient(user: "kube-apiserver-kubelet-client", groups: ["system:masters"]),
            node: try authority.issueClient(user: "system:node:sandbox-node", groups: ["system:nodes"])
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(credentials).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        try Data(credentials.authority.certificatePEM.utf8).write(to: folder.appendingPathComponent("ca.crt"))
        let tokens = "\(credentials.adminToken),sandbox-token-admin,sandbox-token-admin,\"system:masters\"\n"
        let tokenFile = directory.appendingPathComponent("tokens.csv")
        if !FileManager.default.fileExists(atPath: tokenFile.path) {
            try Data(tokens.utf8).write(to: tokenFile)
        } else if let existing = try? String(contentsOf: tokenFile, encoding: .utf8) {
            try Data((tokens + existing).utf8).write(to: tokenFile)
        }
        return credentials
    }

    /// The two /16s of the loopback range this sandbox uses: service IPs and pod IPs.
    ///
    /// Chosen once per directory and claimed in a machine-wide registry (`AddressRangeRegistry`),
    /// so that sandboxes running side by side do not listen on the same addresses.
    static func addressRanges(in directory: URL, registry: AddressRangeRegistry = .machineWide) -> (services: String, pods: String) {
        let file = directory.appendingPathComponent("ranges.json")
        let owner = AddressRangeRegistry.Owner(directory: directory)
        let second = registry.withLock { claims in
            if let data = FileManager.default.contents(atPath: file.path), let saved = try? JSONDecoder().decode([String: Int].self, from: data),
                let second = saved["services"], claims.claim(second, for: owner)
            {
                return second
            }
            // A range where something still listens (processes of a sandbox that was killed) is
            // not free, whatever the registry says: its pods would answer for ours.
            let busy = listeningSecondOctets()
            let shuffled = Array(100..<178).shuffled()
            let isBusy = { (second: Int) in busy.contains(second) || busy.contains(second + 78) }
            var candidates = shuffled.filter { !isBusy($0) } + shuffled.filter(isBusy)
            var second = candidates.removeFirst()
            while !claims.claim(second, for: owner), !candidates.isEmpty { second = candidates.removeFirst() }
            try? JSONEncoder().encode(["services": second]).write(to: file)
            return second
        }
        return ("127.\(second)", "127.\(second + 78)")
    }

    /// The second octets of the 127.x.0.0/16 ranges with a listening TCP socket on this machine.
    static func listeningSecondOctets() -> Set<Int> {
        Set(ListeningSocket.all().compactMap { socket in
            let octets = socket.ipv4Address?.split(separator: ".") ?? []
            return octets.count == 4 && octets[0] == "127" ? Int(octets[1]) : nil
        })
    }
}
