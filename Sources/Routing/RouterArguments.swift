/// The command line of `kbridge-agent router`, written by the routing manager and read by the
/// router: one `--listen` per port the router serves, and optionally the name it stamps on every
/// request (the router behind a duplicated ingress).
///
/// ```
/// router --listen 8080=api-cloned-routing-svc:80,alice=10.1.2.3:8080,bob=10.1.2.4:8080
/// router --listen 8080=web:80 --route-as alice
/// ```
public struct RouterArguments: Sendable, Equatable {
    /// A host and port the router dials.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// One port the router listens on: what it serves there and where requests go.
    public struct Listener: Sendable, Equatable {
        public var port: Int
        /// Where everything goes that no route claims: the original pods.
        public var original: Endpoint
        /// Routing name → the endpoint of that session's copy.
        public var routes: [String: Endpoint]

        public init(port: Int, original: Endpoint, routes: [String: Endpoint] = [:]) {
            self.port = port
            self.original = original
            self.routes = routes
        }

        /// Where a request carrying `name` in the route-as header goes (nil: no header).
        public func destination(for name: String?) -> Endpoint {
            name.flatMap { routes[$0] } ?? original
        }
    }

    public var listeners: [Listener]
    /// Set on every HTTP request that passes, replacing what the request carried.
    public var routeAs: String?

    public init(listeners: [Listener], routeAs: String? = nil) {
        self.listeners = listeners
        self.routeAs = routeAs
    }

    public static let command = "router"
    public static let usage = "usage: kbridge-agent router --listen PORT=HOST:PORT[,NAME=HOST:PORT...] ... [--route-as NAME]"

    public var encoded: [String] {
        var arguments = [Self.command]
        for listener in listeners {
            let routes = listener.routes.sorted { $0.key < $1.key }.map { ",\($0.key)=\($0.value)" }.joined()
            arguments += ["--listen", "\(listener.port)=\(listener.original)\(routes)"]
        }
        if let routeAs { arguments += ["--route-as", routeAs] }
        return arguments
    }

    /// Reads what `encoded` wrote (the program name already dropped).
    public static func parse(_ arguments: [String]) throws(RouterArgumentError) -> RouterArguments {
        guard arguments.first == command else { throw RouterArgumentError(message: usage) }
        var parsed = RouterArguments(listeners: [])
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw RouterArgumentError(message: "\(flag) needs a value; \(usage)") }
            switch flag {
            case "--listen": parsed.listeners.append(try listener(value))
            case "--route-as":
                if let problem = RouteAs.problem(with: value) { throw RouterArgumentError(message: "--route-as: \(problem)") }
                parsed.routeAs = value
            default: throw RouterArgumentError(message: "unknown option \(flag); \(usage)")
            }
        }
        guard !parsed.listeners.isEmpty else { throw RouterArgumentError(message: "no --listen given; \(usage)") }
        let ports = parsed.listeners.map(\.port)
        guard Set(ports).count == ports.count else { throw RouterArgumentError(message: "a port is given to --listen twice: \(ports)") }
        return parsed
    }

    private static func listener(_ text: String) throws(RouterArgumentError) -> Listener {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let (portText, originalText) = pair(parts[0]), let port = port(portText), port > 0 else {
            throw RouterArgumentError(message: "--listen \(text): expected PORT=HOST:PORT first")
        }
        var listener = Listener(port: port, original: try endpoint(originalText, in: text))
        for route in parts.dropFirst() {
            guard let (name, target) = pair(route) else { throw RouterArgumentError(message: "--listen \(text): expected NAME=HOST:PORT, not \(route)") }
            if let problem = RouteAs.problem(with: name) { throw RouterArgumentError(message: "--listen \(text): \(problem)") }
            guard listener.routes[name] == nil else { throw RouterArgumentError(message: "--listen \(text): \(name) is routed twice") }
            listener.routes[name] = try endpoint(target, in: text)
        }
        return listener
    }

    private static func pair(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    private static func endpoint(_ text: String, in listener: String) throws(RouterArgumentError) -> Endpoint {
        guard let colon = text.lastIndex(of: ":"), let port = port(String(text[text.index(after: colon)...])), port > 0 else {
            throw RouterArgumentError(message: "--listen \(listener): \(text) is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw RouterArgumentError(message: "--listen \(listener): \(text) has no host") }
        return Endpoint(host: host, port: port)
    }

    private static func port(_ text: String) -> Int? {
        guard let port = Int(text), (0...65535).contains(port) else { return nil }
        return port
    }
}

public struct RouterArgumentError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
