/// The agent image kbridge uses unless told otherwise: the one this repository's Containerfile
/// builds, holding `kbridge-agent` and `kbridge-guard` side by side.
public enum AgentImage {
    public static let version = "0.1.0"
    public static let `default` = "ghcr.io/kbridge-dev/kbridge-agent:\(version)"
}
