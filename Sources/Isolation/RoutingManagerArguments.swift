import BridgeTunnel

/// The routing manager's command line, written by `RoutingManagerInstall` into its Deployment:
/// `routing-manager --image IMAGE`, the image its routers run (the agent image it runs itself).
/// The namespace is the manager pod's own.
public struct RoutingManagerArguments: Sendable, Equatable {
    public static let command = AgentContract.routingManagerCommand
    public var image: String

    public init(image: String) {
        self.image = image
    }

    public var encoded: [String] { [Self.command, "--image", image] }

    public struct Invalid: Error, Equatable {
        public var message: String
    }

    /// Parses the arguments after `routing-manager`.
    public static func parse(_ arguments: [String]) throws(Invalid) -> RoutingManagerArguments {
        guard arguments.count == 2, arguments[0] == "--image", !arguments[1].isEmpty else {
            throw Invalid(message: "usage: routing-manager --image IMAGE")
        }
        return RoutingManagerArguments(image: arguments[1])
    }
}
