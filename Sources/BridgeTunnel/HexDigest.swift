import Crypto

/// SHA-256 of a text, in lower-case hex: what kbridge writes into the cluster to recognise a
/// saved original or a generated object's wanted form.
public enum HexDigest {
    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
