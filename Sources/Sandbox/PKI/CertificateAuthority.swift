import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate and its private key, both PEM.
struct IssuedCertificate: Sendable, Codable, Equatable {
    var certificatePEM: String
    var keyPEM: String
}

/// The sandbox's own CA: it signs the API server's serving certificate, the kubeconfig users'
/// client certificates and the kubelet's, as a cluster's CA does.
struct CertificateAuthority: Sendable {
    let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// A new CA, valid for ten years.
    init(commonName: String) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key)
        )
        self.key = key
    }

    /// Loads a CA written by `pem`.
    init(pem: IssuedCertificate) throws {
        certificate = try Certificate(pemEncoded: pem.certificatePEM)
        key = try P256.Signing.PrivateKey(pemRepresentation: pem.keyPEM)
    }

    var pem: IssuedCertificate {
        get throws { IssuedCertificate(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation) }
    }

    /// A serving certificate for these host names and IP addresses.
    func issueServer(commonName: String, dnsNames: [String], ipAddresses: [[UInt8]]) throws -> IssuedCertificate {
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        names += ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        return try issue(commonName: commonName, organizations: [], usage: [.serverAuth], alternativeNames: names)
    }

    /// A client certificate: Kubernetes reads the user from CN and the groups from O.
    func issueClient(user: String, groups: [String]) throws -> IssuedCertificate {
        try issue(commonName: user, organizations: groups, usage: [.clientAuth], alternativeNames: [])
    }

    private func issue(commonName: String, organizations: [String], usage: [ExtendedKeyUsage.Usage], alternativeNames: [GeneralName]) throws -> IssuedCertificate {
        let leafKey = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(5 * 365 * 86_400),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage(usage)
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: .init(key)
        )
        return IssuedCertificate(certificatePEM: try leaf.serializeAsPEM().pemString, keyPEM: leafKey.pemRepresentation)
    }
}
