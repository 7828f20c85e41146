import Evaluation
import Foundation

/// Paths inside the repository, found from this file's location so tests run from any directory.
public enum Repository {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Decodes a JSON vector file under `Vectors/`.
    public static func vectors<T: Decodable>(_ relative: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: url("Vectors/" + relative))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// The cache folder the set-up script fills (`Tools/fetch-model.sh`).
    public static var cacheDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["WATERMARK_CACHE"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return URL(fileURLWithPath: base).appendingPathComponent("swift-watermark")
    }

    /// True under CI, where every fixture (the default model included) must be present.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}

/// The seeded generator every statistical test uses, so that they are deterministic.
public typealias SeededGenerator = SplitMix64

public extension Array where Element == UInt8 {
    init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let v = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
            i += 2
        }
        self = out
    }

    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

import Testing

/// Files that set-up scripts put in the cache folder (`Repository.cacheDirectory`), not in
/// the repository: the default model, fetched tokenizer definitions, the corpus.
///
/// A test that needs one is enabled only when it is there, so a missing file shows as a
/// skip with the reason, not as a pass:
///
///     @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
///
/// and inside loads it with `try #require(...)`, so a file the condition allowed but that is
/// missing or cannot be loaded is a failure.
public struct CacheFixture: Sendable {
    /// What the files are, for messages ("the default model").
    public let name: String
    /// The command that fetches them ("Tools/fetch-model.sh").
    public let fetchCommand: String
    /// The files, relative to the cache folder.
    public let relativePaths: [String]

    public init(_ name: String, fetchCommand: String, relativePaths: [String]) {
        self.name = name
        self.fetchCommand = fetchCommand
        self.relativePaths = relativePaths
    }

    /// Absolute paths of the files.
    public var paths: [String] { relativePaths.map { Repository.cacheDirectory.appendingPathComponent($0).path } }

    /// True when every file is there.
    public var isPresent: Bool { paths.allSatisfy { FileManager.default.fileExists(atPath: $0) } }

    /// Whether the tests that need the files run: when they are there, and always under CI
    /// (`CI=true`), which must fetch every fixture; there a missing file fails the test (at
    /// its `try #require`) instead of skipping it.
    public var isAvailable: Bool { isPresent || Repository.isCI }

    /// Why a test that needs the files was skipped.
    public var skipReason: Comment {
        Comment(rawValue: "\(name) is not in the cache (\(Repository.cacheDirectory.path)); run \(fetchCommand)")
    }

    /// The path of the first file; a recorded failure (thrown) when it is missing.
    public func requirePath(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = try #require(paths.first, "\(name): no file", sourceLocation: sourceLocation)
        try #require(
            FileManager.default.fileExists(atPath: path), "\(name) is missing at \(path); run \(fetchCommand)",
            sourceLocation: sourceLocation)
        return path
    }
}

/// The default model, which `Tools/fetch-model.sh` puts in the cache folder.
public enum DefaultModelFixture {
    public static let fixture = CacheFixture(
        "the default model", fetchCommand: "Tools/fetch-model.sh",
        relativePaths: ["models/SmolLM2-135M-Instruct.Q4_1.gguf"])

    public static var path: String { fixture.paths[0] }

    /// The condition of `.enabled(if:)` for tests that need the model (see ``CacheFixture/isAvailable``).
    public static var isAvailable: Bool { fixture.isAvailable }

    /// The comment of that trait.
    public static var skipReason: Comment { fixture.skipReason }

    /// The model's path; a failure (thrown) when the file is missing.
    public static func requirePath(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try fixture.requirePath(sourceLocation: sourceLocation)
    }
}

/// The small corpus of human documents, which `Tools/fetch-corpus.sh --small` puts in the cache folder.
public enum SmallCorpusFixture {
    public static let fixture = CacheFixture(
        "the small corpus", fetchCommand: "Tools/fetch-corpus.sh --small",
        relativePaths: ["corpus/en-small/train.jsonl"])

    /// `train.jsonl`, the training documents.
    public static var trainPath: String { fixture.paths[0] }

    /// The condition of `.enabled(if:)` for tests that need the corpus (see ``CacheFixture/isAvailable``).
    public static var isAvailable: Bool { fixture.isAvailable }

    /// The comment of that trait.
    public static var skipReason: Comment { fixture.skipReason }

    /// `train.jsonl`'s path; a failure (thrown) when the file is missing.
    public static func requireTrainPath(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try fixture.requirePath(sourceLocation: sourceLocation)
    }
}
