// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-watermark",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "watermark", targets: ["WatermarkCLI"]),
        .library(name: "Watermark", targets: ["Watermark"]),
        .library(name: "Detection", targets: ["Detection"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Generation", targets: ["Generation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System OpenSSL libcrypto: HMAC-SHA256, AES-128-CTR, SHA-256, RAND_bytes.
        .systemLibrary(
            name: "CCryptoShim",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(name: "Watermark", dependencies: ["CCryptoShim"]),
        .target(name: "GGUF"),
        .target(name: "Tokenizer", dependencies: ["GGUF"]),
        .target(name: "Detection", dependencies: ["Watermark"]),
        // Text attacks for the robustness evaluation (pure string transforms, seeded).
        .target(name: "Evaluation"),
        // Llama-family CPU runtime over GGUF; knows nothing of watermarks (a LogitsProcessor hook).
        .target(name: "Generation", dependencies: ["GGUF"]),
        .executableTarget(
            name: "WatermarkCLI",
            dependencies: [
                "Watermark", "Detection", "Tokenizer", "GGUF", "Generation", "Evaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Release-build benchmark driver; see Tools/bench.sh and BENCHMARKS.md.
        .executableTarget(name: "WatermarkBench", dependencies: ["Watermark", "Detection", "Tokenizer", "Evaluation", "CCryptoShim"]),
        // Shared by the test targets only: repository paths, a seeded RNG, vector loading.
        .target(name: "TestSupport", dependencies: ["Evaluation"], path: "Tests/TestSupport"),
        .testTarget(name: "WatermarkTests", dependencies: ["Watermark", "TestSupport"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Watermark", "Evaluation", "TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF", "TestSupport"]),
        .testTarget(name: "GenerationTests", dependencies: ["Generation", "GGUF", "Tokenizer", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["WatermarkCLI", "TestSupport"]),
    ]
)
