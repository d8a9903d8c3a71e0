// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tribute",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tribute", targets: ["tribute"]),
        .library(name: "TributeCore", targets: ["TributeCore"]),
        .library(name: "TributeClient", targets: ["TributeClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "TributeCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "TributeStore",
            dependencies: [
                "TributeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TributePayments",
            dependencies: [
                "TributeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TributeServer",
            dependencies: [
                "TributeCore", "TributeStore", "TributePayments",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Dashboard/Assets")]
        ),
        // The Swift client: only the core's exact amounts and JSON, and the HTTP client.
        .target(
            name: "TributeClient",
            dependencies: [
                "TributeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // An example agent on TributeClient; a target, not a product, so `swift run tribute` stays unambiguous.
        .executableTarget(name: "agent-loop", dependencies: ["TributeClient", "TributeCore"], path: "Examples/AgentLoop"),
        .executableTarget(
            name: "tribute",
            dependencies: [
                "TributeCore", "TributeStore", "TributeServer", "TributePayments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "TributeCoreTests", dependencies: ["TributeCore", .product(name: "PropertyBased", package: "swift-property-based")]),
        // Shared by the test targets: the backends every suite runs on.
        .target(name: "TributeTestSupport", dependencies: ["TributeCore", "TributeStore"], path: "Tests/TributeTestSupport"),
        .testTarget(
            name: "TributeStoreTests",
            dependencies: ["TributeCore", "TributeStore", "TributeTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "TributePaymentsTests", dependencies: ["TributeCore", "TributePayments"]),
        .testTarget(
            name: "TributeServerTests",
            dependencies: [
                "TributeCore", "TributeStore", "TributeServer", "TributeTestSupport", "TributePayments",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "TributeClientTests",
            dependencies: [
                "TributeClient", "TributeCore", "TributeTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
