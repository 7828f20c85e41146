import Foundation
import GGUF
import TestSupport
import Testing

@testable import Generation

/// The default model, loaded once for every test that needs it.
///
/// Those tests carry `.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason)`
/// and start with `let model = try #require(try DefaultModel.load())`.
enum DefaultModel {
    static var path: String { DefaultModelFixture.path }

    private static let loaded: Result<LlamaModel, any Error>? = {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return Result { try LlamaModel(path: path) }
    }()

    /// The model; `nil` when the file is missing (a failure at the caller's `#require`: the
    /// trait let the test run, so the model must be there), the loading error when it does not load.
    static func load() throws -> LlamaModel? {
        try loaded?.get()
    }
}

/// `Vectors/runtime/smollm2.json`, written by `Tools/gen_runtime_vectors.py`.
struct RuntimeVectors: Decodable {
    struct Position: Decodable {
        let index: Int
        let top: [[Double]]
    }
    struct Greedy: Decodable {
        let ids: [UInt32]
        let minMargin: Double
    }
    struct Prompt: Decodable, CustomTestStringConvertible {
        let id: Int
        let kind: String
        let text: String
        let ids: [UInt32]
        let positions: [Position]
        let greedy: Greedy?
        var testDescription: String { "prompt \(id) (\(kind))" }
    }
    struct Model: Decodable {
        let file: String
        let sha256: String
        let size: Int
    }
    let model: Model
    let tolerance: Double
    let prompts: [Prompt]

    static let smollm2: RuntimeVectors? = try? Repository.vectors("runtime/smollm2.json")
}

/// `Vectors/runtime/quant-blocks.json`.
struct QuantBlockVectors: Decodable {
    struct Case: Decodable, CustomTestStringConvertible {
        let type: String
        let bytes: String
        let values: [Float]
        var testDescription: String { type }
    }
    let cases: [Case]

    static let all: [Case] = (try? Repository.vectors("runtime/quant-blocks.json", as: QuantBlockVectors.self).cases) ?? []
}

/// A minimal GGUF (version 3) writer for building small models and broken files in tests.
struct GGUFBuilder {
    enum Value {
        case string(String)
        case u32(UInt32)
        case f32(Float)
        case bool(Bool)
    }

    struct Tensor {
        let name: String
        let dimensions: [Int]
        let type: UInt32
        let data: [UInt8]
    }

    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) {
            u64(UInt64(s.utf8.count))
            out += Array(s.utf8)
        }
        u32(0x4655_4747)
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case .string(let s):
                u32(8)
                string(s)
            case .u32(let v):
                u32(4)
                u32(v)
            case .f32(let f):
                u32(6)
                u32(f.bitPattern)
            case .bool(let b):
                u32(7)
                out.append(b ? 1 : 0)
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + 31) / 32 * 32
        }
        for (t, o) in zip(tensors, offsets) {
            string(t.name)
            u32(UInt32(t.dimensions.count))
            for d in t.dimensions { u64(UInt64(d)) }
            u32(t.type)
            u64(UInt64(o))
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    func write(to path: String) throws {
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
    }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("generation-tests-\(getpid())-\(name)").path
}

extension Array where Element == Float {
    var bytes: [UInt8] { flatMap { f in Swift.withUnsafeBytes(of: f.bitPattern.littleEndian) { [UInt8]($0) } } }
}
