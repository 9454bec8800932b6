/// Everything the CLI and the agent must agree on, in one place: how the agent is started, which
/// variables it reads, which stream targets it knows, and how it reports its environment. The
/// handshake that authenticates each carrier connection is `TunnelHandshake`.
public enum AgentContract {
    /// The variable that hands the agent the session secret (from the session's Secret).
    public static let secretVariable = "KBRIDGE_SESSION_TOKEN"
    /// The variable that names the one address to listen on, where a platform runs pods on a
    /// shared network; unset in a real pod, where the agent listens on every address.
    public static let listenAddressVariable = "KBRIDGE_LISTEN_ADDRESS"
    /// The variable that names where the container's files are, where a platform runs containers
    /// without a filesystem of their own (the sandbox: a file mounted at `/etc/app/x` is at
    /// `$CONTAINER_ROOT/etc/app/x`); unset in a real pod, where they are at their mount paths.
    /// It describes the agent's container, not the app: the agent does not report it.
    public static let containerRootVariable = "CONTAINER_ROOT"
    /// The agent's control port unless the container uses it; the inbound port is the next one.
    public static let defaultControlPort = 7300
    /// The first argument that makes the agent image run the session's guard.
    public static let guardCommand = "guard"
    /// The first argument that makes the agent image run isolation mode's routing manager.
    public static let routingManagerCommand = "routing-manager"
    /// The commands that talk to the API server: `kbridge-agent` hands them over to
    /// `kbridge-guard` beside it (they need the Kubernetes client and Foundation, which the
    /// agent, staying small, does not link).
    public static let clusterCommands = [guardCommand, routingManagerCommand]
    public static let clusterProgram = "kbridge-guard"

    /// The agent's command line: `agent --control-port N --inbound-port N --ports P,P,...`.
    public struct Arguments: Sendable, Equatable {
        public var controlPort: Int
        public var inboundPort: Int
        /// The container's ports: connections to them go to the developer's machine.
        public var servicePorts: [Int]

        public init(controlPort: Int = AgentContract.defaultControlPort, inboundPort: Int = AgentContract.defaultControlPort + 1, servicePorts: [Int] = []) {
            self.controlPort = controlPort
            self.inboundPort = inboundPort
            self.servicePorts = servicePorts
        }

        public static let usage = "usage: kbridge-agent agent [--control-port N] [--inbound-port N] [--ports P,P,...]"

        public var encoded: [String] {
            ["agent", "--control-port", String(controlPort), "--inbound-port", String(inboundPort), "--ports", servicePorts.map(String.init).joined(separator: ",")]
        }

        /// Reads what `encoded` wrote (the program name already dropped).
        public static func parse(_ arguments: [String]) throws(ArgumentError) -> Arguments {
            guard arguments.first == "agent" else { throw ArgumentError(message: usage) }
            var parsed = Arguments()
            var rest = arguments.dropFirst()
            while let flag = rest.popFirst() {
                guard let value = rest.popFirst() else { throw ArgumentError(message: "\(flag) needs a value") }
                switch flag {
                case "--control-port": parsed.controlPort = try port(value, flag: flag)
                case "--inbound-port": parsed.inboundPort = try port(value, flag: flag)
                case "--ports":
                    parsed.servicePorts = []
                    for text in value.split(separator: ",") { parsed.servicePorts.append(try port(String(text), flag: flag)) }
                default: throw ArgumentError(message: "unknown option \(flag); \(usage)")
                }
            }
            return parsed
        }

        private static func port(_ text: String, flag: String) throws(ArgumentError) -> Int {
            guard let port = Int(text), (0...65535).contains(port) else { throw ArgumentError(message: "\(flag): \(text) is not a port") }
            return port
        }
    }

    public struct ArgumentError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// What a stream on a carrier asks for.
    public enum Target: Sendable, Equatable {
        /// CLI → agent: the agent's environment report.
        case environment
        /// CLI → agent: the files under `path` (a mount path of the container), as a `FileArchive`.
        case files(path: String)
        /// CLI → agent: a connection to `host:port` dialled inside the cluster.
        case cluster(host: String, port: Int)
        /// Agent → CLI: a connection the agent accepted on the container's port.
        case inbound(port: Int)

        public var encoded: String {
            switch self {
            case .environment: return "kbridge-agent:environment"
            case .files(let path): return Self.filesPrefix + path
            case .cluster(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .inbound(let port): return "inbound:\(port)"
            }
        }

        private static let filesPrefix = "kbridge-agent:files:"

        public init?(encoded: String) {
            if encoded == Target.environment.encoded {
                self = .environment
            } else if encoded.hasPrefix(Self.filesPrefix) {
                let path = String(encoded.dropFirst(Self.filesPrefix.count))
                guard path.hasPrefix("/") else { return nil }
                self = .files(path: path)
            } else if encoded.hasPrefix("inbound:") {
                guard let port = Int(encoded.dropFirst("inbound:".count)), (0...65535).contains(port) else { return nil }
                self = .inbound(port: port)
            } else if let colon = encoded.lastIndex(of: ":"), let port = Int(encoded[encoded.index(after: colon)...]), (1...65535).contains(port) {
                var host = String(encoded[..<colon])
                if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                guard !host.isEmpty else { return nil }
                self = .cluster(host: host, port: port)
            } else {
                return nil
            }
        }
    }

    /// The agent's environment as it sends it: one `NAME="value"` per line, the value a JSON
    /// string so that newlines and quotes survive.
    public enum EnvironmentReport {
        public static func encode(_ environment: [String: String]) -> String {
            environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(JSONString.quote($0.value))\n" }.joined()
        }

        public static func decode(_ text: String) throws(ReportError) -> [String: String] {
            var variables: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { throw ReportError(variable: String(line)) }
                let name = String(line[..<equals])
                guard let value = JSONString.unquote(line[line.index(after: equals)...]) else { throw ReportError(variable: name) }
                variables[name] = value
            }
            return variables
        }
    }

    /// A line of the environment report that cannot be read.
    public struct ReportError: Error, Equatable {
        public var variable: String
    }
}

/// JSON string quoting without Foundation (the agent does not link it).
enum JSONString {
    static func quote(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// The string a JSON string literal stands for; nil when it is not one.
    static func unquote(_ literal: Substring) -> String? {
        var scalars = Array(literal.unicodeScalars)
        guard scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" else { return nil }
        scalars = Array(scalars.dropFirst().dropLast())
        var text = String.UnicodeScalarView()
        var index = 0
        func hexUnit() -> UInt32? {
            guard index + 4 <= scalars.count, let unit = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16) else { return nil }
            index += 4
            return unit
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "\\" else {
                guard scalar != "\"", scalar.value >= 0x20 else { return nil }
                text.append(scalar)
                continue
            }
            guard index < scalars.count else { return nil }
            let escape = scalars[index]
            index += 1
            switch escape {
            case "\"", "\\", "/": text.append(escape)
            case "n": text.append("\n")
            case "r": text.append("\r")
            case "t": text.append("\t")
            case "b": text.append("\u{08}")
            case "f": text.append("\u{0C}")
            case "u":
                guard var unit = hexUnit() else { return nil }
                if (0xD800..<0xDC00).contains(unit) {
                    guard index + 1 < scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" else { return nil }
                    index += 2
                    guard let low = hexUnit(), (0xDC00..<0xE000).contains(low) else { return nil }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let decoded = Unicode.Scalar(unit) else { return nil }
                text.append(decoded)
            default: return nil
            }
        }
        return String(text)
    }
}
