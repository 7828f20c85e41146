import Foundation
import TestSupport
import Testing

@testable import Tokenizer

/// Paths shared by the tests.
enum TestPaths {
    /// The package root, found from this file's location.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}`, as the Tools scripts use.
    static var cacheDir: String { Repository.cacheDirectory.path }
}

/// The tokenizer definitions that `Tools/fetch-tokenizers.sh` puts in the cache (those whose
/// licence or size keeps them out of `Vectors/`): every vector set's definition that lives in
/// the cache and is not the default model.
///
/// Tests that need them carry `.enabled(if: FetchedTokenizersFixture.isAvailable, FetchedTokenizersFixture.skipReason)`.
enum FetchedTokenizersFixture {
    static var fixture: CacheFixture {
        CacheFixture(
            "the tokenizer-definition fixture", fetchCommand: "Tools/fetch-tokenizers.sh",
            relativePaths: VectorSets.names(needing: .fetchedTokenizers).compactMap { name in
                (try? VectorSets.meta(name)).map(\.definition.path)
            })
    }

    /// The condition of `.enabled(if:)` (see `CacheFixture.isAvailable`).
    static var isAvailable: Bool { fixture.isAvailable }

    /// The comment of that trait.
    static var skipReason: Comment { fixture.skipReason }
}

/// One parity case of `Vectors/tokenizer/<name>/cases.jsonl`.
struct TokenizerCase: Decodable {
    var id: Int
    var category: String
    var text: String
    var ids: [UInt32]
    var idsPlain: [UInt32]
}

/// `Vectors/tokenizer/<name>/meta.json` (the fields the tests use).
struct TokenizerVectorMeta: Decodable {
    struct Definition: Decodable {
        var kind: String
        var path: String
        var pathBase: String?
        var pattern: String?
        var specialTokens: [String: UInt32]?
        var tokenizerJson: String?
    }
    struct DecodeMismatch: Decodable {
        var id: Int
        var variant: String
    }
    var name: String
    var definition: Definition
    var specialTokens: [String: UInt32]?
    var decodeMismatches: [DecodeMismatch]?
}

enum VectorSets {
    static var directory: URL { TestPaths.repoRoot.appendingPathComponent("Vectors/tokenizer") }

    /// Where a vector set's tokenizer definition comes from, which decides what its tests need.
    enum DefinitionSource {
        /// Committed under `Vectors/`: always there.
        case repository
        /// The default model's GGUF (`Tools/fetch-model.sh`).
        case defaultModel
        /// Another file in the cache (`Tools/fetch-tokenizers.sh`).
        case fetchedTokenizers
    }

    static func source(_ meta: TokenizerVectorMeta) -> DefinitionSource {
        guard isInCache(meta) else { return .repository }
        return meta.definition.path == DefaultModelFixture.fixture.relativePaths.first ? .defaultModel : .fetchedTokenizers
    }

    /// The vector sets whose definition comes from `source`. A set whose meta file does not
    /// decode counts as `.repository`, so that the test without a condition fails on it.
    static func names(needing source: DefinitionSource) -> [String] {
        names.filter { name in ((try? meta(name)).map { Self.source($0) } ?? .repository) == source }
    }

    /// Names of the vector sets present in the repository.
    static var names: [String] {
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return dirs.filter {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("\($0)/meta.json").path)
        }.sorted()
    }

    static func meta(_ name: String) throws -> TokenizerVectorMeta {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(name)/meta.json"))
        return try JSONDecoder().decode(TokenizerVectorMeta.self, from: data)
    }

    static func cases(_ name: String) throws -> [TokenizerCase] {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(name)/cases.jsonl"))
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map {
            try decoder.decode(TokenizerCase.self, from: Data($0))
        }
    }

    /// The definition file's path (GGUF paths are relative to the cache, others to `pathBase`).
    static func definitionPath(_ meta: TokenizerVectorMeta) -> String {
        let base = isInCache(meta) ? TestPaths.cacheDir : TestPaths.repoRoot.path
        return base + "/" + meta.definition.path
    }

    static func isInCache(_ meta: TokenizerVectorMeta) -> Bool {
        (meta.definition.pathBase ?? (meta.definition.kind == "gguf" ? "cache" : "repo")) == "cache"
    }

    static func load(_ meta: TokenizerVectorMeta) throws -> BPETokenizer {
        let path = definitionPath(meta)
        switch meta.definition.kind {
        case "gguf":
            return try BPETokenizer(ggufPath: path)
        case "tokenizer.json":
            return try BPETokenizer(tokenizerJSONPath: path)
        case "tiktoken":
            guard let name = meta.definition.pattern, let pattern = BPETokenizer.TiktokenPattern(rawValue: name) else {
                throw TokenizerError(.unsupported, source: path, "unknown pattern \(meta.definition.pattern ?? "nil")")
            }
            return try BPETokenizer(
                tiktokenRanks: path, pattern: pattern,
                specialTokens: meta.definition.specialTokens ?? meta.specialTokens ?? [:])
        default:
            throw TokenizerError(.unsupported, source: path, "unknown definition kind \(meta.definition.kind)")
        }
    }
}
