// swift-tools-version: 6.1
import PackageDescription

// Built and tested on Linux (Debian 12, Swift 6.3). Platform calls are behind
// `#if canImport(...)` so that an Apple port is a small step, but none has been built there;
// the macOS line only records the oldest system whose Synchronization (Atomic, Mutex) we use.
let package = Package(
    name: "swift-watermark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "watermark", targets: ["WatermarkCLI"]),
        // The detection service (Hummingbird); kept out of the `watermark` CLI's dependencies.
        .executable(name: "watermark-server", targets: ["WatermarkServer"]),
        .library(name: "Watermark", targets: ["Watermark"]),
        .library(name: "Detection", targets: ["Detection"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Generation", targets: ["Generation"]),
        .library(name: "WatermarkedGeneration", targets: ["WatermarkedGeneration"]),
        // The C ABI (Sources/CSwiftWatermark/include/swift_watermark.h) as libSwiftWatermark.so,
        // for engines in other languages; Tools/python wraps it.
        .library(name: "SwiftWatermark", type: .dynamic, targets: ["SwiftWatermarkABI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // The server's stack only (WatermarkServerCore): HTTP, lifecycle, logs, metrics, SQLite.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // System OpenSSL libcrypto: HMAC-SHA256, AES-128-CTR, SHA-256, RAND_bytes.
        .systemLibrary(
            name: "CCryptoShim",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // The package's one wrapper of OpenSSL (`package` access): Watermark's primitives and
        // the SHA-256 of tokenizer fingerprints.
        .target(name: "CryptoSupport", dependencies: ["CCryptoShim", "CBlockCipher"]),
        // One AES-128 block with the CPU's AES instructions, for single-token tests (OpenSSL's
        // per-call dispatch costs more than the block); OpenSSL is the fallback and the reference.
        .target(name: "CBlockCipher"),
        // The package's one place for file system calls: EINTR and errno handled once.
        .target(name: "SystemSupport", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "Watermark", dependencies: [
            "CryptoSupport", "SystemSupport", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "GGUF", dependencies: ["SystemSupport", .product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "Tokenizer", dependencies: ["GGUF", "CryptoSupport", "SystemSupport"]),
        // The one detection pipeline: text → normalised → tokens → scored → calibrated verdict.
        .target(name: "Detection", dependencies: [
            "Watermark", "Tokenizer", "CryptoSupport", "CBlockCipher", "SystemSupport", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Text attacks for the robustness evaluation (pure string transforms, seeded).
        .target(name: "Evaluation"),
        // Llama-family CPU runtime over GGUF; knows nothing of watermarks (a LogitsProcessor hook).
        .target(name: "Generation", dependencies: ["GGUF", "SystemSupport"]),
        // Watermarked generation: the watermark's processor on the runtime's hook, prompt
        // encoding; so that neither Watermark nor Generation learns of the other.
        .target(name: "WatermarkedGeneration", dependencies: ["Watermark", "Detection", "Generation", "Tokenizer", "GGUF"]),
        .executableTarget(
            name: "WatermarkCLI",
            dependencies: [
                "Watermark", "Detection", "Tokenizer", "GGUF", "Generation", "WatermarkedGeneration", "Evaluation",
                "SystemSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The C ABI: the header and its layout checks (C), and the Swift functions behind it,
        // each a thin shell over Watermark and Detection.
        .target(name: "CSwiftWatermark"),
        .target(name: "SwiftWatermarkABI", dependencies: ["CSwiftWatermark", "Watermark", "Detection", "Tokenizer", "SystemSupport"]),
        // The detection service: configuration, API tokens and quotas (SQLite), the worker pool
        // of DetectionPipelines, routes and metrics; the executable is only its entry point.
        .target(name: "WatermarkServerCore", dependencies: [
            "Watermark", "Detection", "Tokenizer", "GGUF", "CryptoSupport", "SystemSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .executableTarget(name: "WatermarkServer", dependencies: [
            "WatermarkServerCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Release-build benchmark driver; see Tools/bench.sh and docs/BENCHMARKS.md.
        .executableTarget(name: "WatermarkBench", dependencies: ["Watermark", "Detection", "Tokenizer", "GGUF", "Evaluation", "CCryptoShim"]),
        // Shared by the test targets only: repository paths, a seeded RNG, vector loading.
        .target(name: "TestSupport", dependencies: ["Evaluation"], path: "Tests/TestSupport"),
        .testTarget(name: "WatermarkTests", dependencies: ["Watermark", "CryptoSupport", "TestSupport"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Watermark", "Tokenizer", "Evaluation", "SystemSupport", "TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF", "CryptoSupport", "TestSupport"]),
        .testTarget(name: "GenerationTests", dependencies: ["Generation", "GGUF", "Tokenizer", "TestSupport"]),
        .testTarget(name: "LibraryTests", dependencies: [
            "Watermark", "Detection", "Tokenizer", "WatermarkedGeneration", "Generation", "TestSupport",
        ]),
        .testTarget(name: "ServerTests", dependencies: ["WatermarkServerCore", "Watermark", "Detection", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["WatermarkCLI", "TestSupport"]),
        // Fuzzing (docs/FUZZING.md, Tools/fuzz.sh): the entry functions, one executable that is
        // libFuzzer's driver when built with -sanitize=fuzzer -DFUZZING and a replay driver
        // otherwise, and the test that replays the seed and regression corpora through it.
        .target(name: "FuzzTargets", dependencies: ["GGUF", "Tokenizer", "Watermark", "Detection"], path: "Tests/Fuzz/FuzzTargets"),
        .systemLibrary(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
        .executableTarget(name: "WatermarkFuzz", dependencies: ["FuzzTargets", "CLibFuzzer"], path: "Tests/Fuzz/WatermarkFuzz"),
        .testTarget(name: "FuzzReplayTests", dependencies: ["WatermarkFuzz", "TestSupport"]),
    ]
)
