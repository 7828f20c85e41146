import Foundation
import Testing

@testable import Tokenizer

/// Paths shared by the tests.
enum TestPaths {
    /// The package root, found from this file's location.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}`, as the Tools scripts use.
    static var cacheDir: String {
        let env = ProcessInfo.processInfo.environment
        if let c = env["WATERMARK_CACHE"], !c.isEmpty { return c }
        let xdg = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return xdg + "/swift-watermark"
    }

    static var defaultModel: String { cacheDir + "/models/SmolLM2-135M-Instruct.Q4_1.gguf" }

    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether a needed external file exists. Missing in CI is a failure; locally a skip.
    static func require(_ path: String, hint: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return true }
        if isCI {
            Issue.record("missing \(path) (run \(hint))", sourceLocation: sourceLocation)
        } else {
            print("skipped: \(path) is missing (run \(hint))")
        }
        return false
    }
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
        let base =
            (meta.definition.pathBase ?? (meta.definition.kind == "gguf" ? "cache" : "repo")) == "cache"
            ? TestPaths.cacheDir : TestPaths.repoRoot.path
        return base + "/" + meta.definition.path
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
