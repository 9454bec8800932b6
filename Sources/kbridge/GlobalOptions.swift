import ArgumentParser
import KubernetesClient
import Logging

/// Options every command that talks to a cluster takes, named as in kubectl.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: the current context).")
    var context: String?

    @Option(name: [.short, .long], help: "The namespace (default: the context's namespace).")
    var namespace: String?

    @OptionGroup var format: OutputOptions
    var output: OutputFormat { format.output }

    /// A client for the chosen context.
    func client(logger: Logger) throws(KubernetesError) -> KubernetesClient {
        try KubernetesClient(kubeconfig: kubeconfig, context: context, namespace: namespace, logger: logger)
    }
}

/// How a command prints: every command takes it, once.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Output format: text, or json (one JSON event per line).")
    var output: OutputFormat = .text
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
