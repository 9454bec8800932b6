import Foundation

/// A value of `KubernetesLocalProcessConfig.yaml`'s `env`: literal text with tokens mixed in, as
/// Bridge to Kubernetes wrote them:
///
/// - `$(volumeMounts:NAME)`: the local folder where the volume NAME (`*` wildcards allowed) was
///   downloaded;
/// - `$(services:NAME)`, `$(services:NAME.NAMESPACE)`, optionally `:PORT[,PORT]`: the local address
///   given to that service (only those ports, when named);
/// - `$(externalEndpoints:HOST:PORT[,PORT])`: HOST, which gets a local address whose ports are
///   dialled from the pod;
/// - `$$`: a literal `$` (any other `$` is literal too).
public struct ConfigValue: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        case volumeMount(name: String, place: ConfigPlace)
        case service(name: String, namespace: String?, ports: [Int], place: ConfigPlace)
        case externalEndpoint(host: String, ports: [Int], place: ConfigPlace)
    }

    public var parts: [Part]

    /// Why a token cannot be read: what, and how many characters into the value.
    struct TokenError: Error {
        var message: String
        var offset: Int
    }

    static let kinds = ["volumeMounts", "services", "externalEndpoints"]

    /// Reads `text`; `place(offset)` says where the character at `offset` is in the file.
    static func parse(_ text: String, place: (Int) -> ConfigPlace) throws(TokenError) -> ConfigValue {
        var parts: [Part] = []
        var literal = ""
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count, characters[index + 1] == "$" || characters[index + 1] == "(" else {
                literal.append(character)
                index += 1
                continue
            }
            if characters[index + 1] == "$" {
                literal.append("$")
                index += 2
                continue
            }
            guard let close = characters[(index + 2)...].firstIndex(of: ")") else {
                throw TokenError(message: "\"$(\" opens a token that never closes with \")\" (write $$ for a literal $)", offset: index)
            }
            if !literal.isEmpty { parts.append(.text(literal)) }
            literal = ""
            parts.append(try token(String(characters[(index + 2)..<close]), at: index, place: place(index)))
            index = close + 1
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return ConfigValue(parts: parts)
    }

    private static func token(_ body: String, at offset: Int, place: ConfigPlace) throws(TokenError) -> Part {
        let shown = "$(\(body))"
        guard let colon = body.firstIndex(of: ":") else {
            throw TokenError(message: "\(shown) is not a token: write $(volumeMounts:NAME), $(services:NAME) or $(externalEndpoints:HOST:PORT) (or $$ for a literal $)", offset: offset)
        }
        let kind = String(body[..<colon])
        let argument = String(body[body.index(after: colon)...])
        switch kind {
        case "volumeMounts":
            guard isVolumePattern(argument) else {
                throw TokenError(message: "\(shown): \"\(argument)\" is not a volume name (lowercase letters, digits, '-', '.', and * as a wildcard)", offset: offset)
            }
            return .volumeMount(name: argument, place: place)
        case "services":
            let fields = argument.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let names = fields[0].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(names.count), names.allSatisfy(isDNSLabel) else {
                throw TokenError(message: "\(shown): \"\(fields[0])\" is not a service name (NAME or NAME.NAMESPACE, each a DNS label)", offset: offset)
            }
            let ports = fields.count == 2 ? try self.ports(fields[1], in: shown, at: offset) : []
            return .service(name: names[0], namespace: names.count == 2 ? names[1] : nil, ports: ports, place: place)
        case "externalEndpoints":
            guard let portColon = argument.lastIndex(of: ":") else {
                throw TokenError(message: "\(shown): an external endpoint needs its ports (HOST:PORT[,PORT])", offset: offset)
            }
            let host = String(argument[..<portColon])
            let labels = host.split(separator: ".", omittingEmptySubsequences: false).map { $0.lowercased() }
            guard labels.allSatisfy(isDNSLabel), !labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
                throw TokenError(message: "\(shown): \"\(host)\" is not a host name (an address needs no name on this machine: use it directly)", offset: offset)
            }
            return .externalEndpoint(host: host.lowercased(), ports: try ports(String(argument[argument.index(after: portColon)...]), in: shown, at: offset), place: place)
        default:
            throw TokenError(message: "\(shown): unknown token kind \"\(kind)\" (known: \(kinds.joined(separator: ", ")))", offset: offset)
        }
    }

    private static func ports(_ text: String, in shown: String, at offset: Int) throws(TokenError) -> [Int] {
        var ports: [Int] = []
        for field in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let port = Int(field), (1...65535).contains(port) else {
                throw TokenError(message: "\(shown): \"\(field)\" is not a port (1 to 65535)", offset: offset)
            }
            ports.append(port)
        }
        return ports
    }

    static func isDNSLabel(_ text: String) -> Bool {
        guard (1...63).contains(text.count), text.first != "-", text.last != "-" else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// A volume name, `*` wildcards allowed.
    static func isVolumePattern(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || "-.*".contains($0) }
    }

    /// Whether the volume `name` matches `pattern`, whose `*` stands for any run of characters.
    public static func matches(_ name: String, pattern: String) -> Bool {
        let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard pieces.count > 1 else { return name == pattern }
        guard name.hasPrefix(pieces[0]), name.count >= pieces[0].count + pieces[pieces.count - 1].count else { return false }
        var rest = Substring(name.dropFirst(pieces[0].count))
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let found = rest.range(of: piece) else { return false }
            rest = rest[found.upperBound...]
        }
        return rest.hasSuffix(pieces[pieces.count - 1])
    }
}

/// Where something is in a config file: `FILE:LINE:COLUMN`, as compilers say it (IDEs link it).
public struct ConfigPlace: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public var description: String { "\(file):\(line):\(column)" }
}
