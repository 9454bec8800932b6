// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "kbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kbridge", targets: ["kbridge"]),
        .executable(name: "kbridge-agent", targets: ["kbridge-agent"]),
        .executable(name: "kbridge-guard", targets: ["kbridge-guard"]),
        .library(name: "KubernetesClient", targets: ["KubernetesClient"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "SandboxTesting", targets: ["SandboxTesting"]),
        .library(name: "BridgeTunnel", targets: ["BridgeTunnel"]),
        .library(name: "LocalEndpoints", targets: ["LocalEndpoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    ],
    targets: [
        .target(
            name: "KubernetesClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "BridgeTunnel",
            dependencies: [
                "CFreedMemory",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "CParentDeath"),
        .target(name: "CFreedMemory"),
        // zlib with a preset dictionary, for the header blocks of SPDY/3 (the sandbox's kubectl port-forward).
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "ChildProcesses", dependencies: ["CParentDeath"]),
        .target(
            name: "LocalEndpoints",
            dependencies: [
                "BridgeTunnel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "BridgeSession",
            dependencies: [
                "KubernetesClient", "BridgeTunnel", "LocalEndpoints", "ChildProcesses", "Isolation", "Routing",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The agent links NIO only (no Foundation, no Kubernetes client): it runs in every redirected pod.
        // The header routers of isolation mode: NIO's HTTP codecs on top of the tunnel's relay.
        .target(
            name: "Routing",
            dependencies: [
                "BridgeTunnel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        // Isolation mode's cluster side: the routing manager, what it plans and writes, and its install.
        .target(
            name: "Isolation",
            dependencies: [
                "KubernetesClient", "Routing", "BridgeTunnel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "kbridge-agent", dependencies: ["BridgeTunnel", "Routing"]),
        // The servers and clients of the routing tests, and the program that runs those servers in a test cluster.
        .target(
            name: "RoutingTesting",
            dependencies: [
                "Routing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .executableTarget(name: "kbridge-testserver", dependencies: ["RoutingTesting", "BridgeTunnel"]),
        .executableTarget(name: "kbridge-guard", dependencies: ["BridgeSession"]),
        .executableTarget(
            name: "kbridge-bench",
            dependencies: [
                "BridgeTunnel", "ChildProcesses", "KubernetesClient",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                "KubernetesClient", "ChildProcesses", "LocalEndpoints", "BridgeTunnel", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "kbridge",
            dependencies: [
                "KubernetesClient", "BridgeSession", "BridgeTunnel", "LocalEndpoints", "ChildProcesses", "Routing", "Isolation",
                "Sandbox", "SandboxTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SandboxTesting",
            dependencies: [
                "Sandbox", "KubernetesClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .target(name: "TunnelTesting", dependencies: ["BridgeTunnel", .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(
            name: "BridgeTunnelTests",
            dependencies: [
                "BridgeTunnel", "TunnelTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(name: "LocalEndpointsTests", dependencies: ["LocalEndpoints"]),
        .testTarget(
            name: "IsolationTests",
            dependencies: ["Isolation", "Routing", "KubernetesClient"]
        ),
        .testTarget(
            name: "RoutingTests",
            dependencies: [
                "Routing", "RoutingTesting", "BridgeTunnel", "LocalEndpoints", "TunnelTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(name: "BridgeSessionTests", dependencies: ["BridgeSession", "BridgeTunnel", "KubernetesClient", "SandboxTesting"]),
        .testTarget(
            name: "KubernetesClientTests",
            dependencies: [
                "KubernetesClient", "SandboxTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "Sandbox", "SandboxTesting", "KubernetesClient", "BridgeTunnel", "BridgeSession", "ChildProcesses", "TunnelTesting", "Isolation", "RoutingTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
