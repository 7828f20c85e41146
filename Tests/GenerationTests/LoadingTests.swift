import Foundation
import GGUF
import TestSupport
import Testing

@testable import Generation

/// Loading small hand-made GGUF files: a tiny random model in several tensor types, and broken ones.
struct LoadingTests {
    static let e = 64, f = 96, heads = 4, kvHeads = 2, layers = 2, vocab = 40

    /// A tiny Llama with random weights; `quantized` stores the matrices as that GGML type
    /// (values generated on its grid so the F32 twin holds exactly the same numbers).
    static func tinyModel(matrixType: UInt32, tied: Bool = true, architecture: String = "llama",
                          drop: String? = nil) -> GGUFBuilder {
        var rng = SeededGenerator(seed: 11)
        var b = GGUFBuilder()
        b.metadata = [
            ("general.architecture", .string(architecture)),
            ("\(architecture).context_length", .u32(64)), ("\(architecture).embedding_length", .u32(UInt32(e))),
            ("\(architecture).block_count", .u32(UInt32(layers))), ("\(architecture).feed_forward_length", .u32(UInt32(f))),
            ("\(architecture).attention.head_count", .u32(UInt32(heads))),
            ("\(architecture).attention.head_count_kv", .u32(UInt32(kvHeads))),
            ("\(architecture).rope.freq_base", .f32(10000)), ("\(architecture).attention.layer_norm_rms_epsilon", .f32(1e-5)),
        ]
        func matrix(_ name: String, _ cols: Int, _ rows: Int) {
            guard name != drop else { return }
            switch matrixType {
            case 8:  // Q8_0: d = 1/256, q in −127…127
                var data: [UInt8] = []
                for _ in 0..<(rows * cols / 32) {
                    withUnsafeBytes(of: Float16(1.0 / 256).bitPattern.littleEndian) { data += $0 }
                    for _ in 0..<32 { data.append(UInt8(bitPattern: Int8.random(in: -127...127, using: &rng))) }
                }
                b.tensors.append(.init(name: name, dimensions: [cols, rows], type: 8, data: data))
            case 2:  // Q4_0
                var data: [UInt8] = []
                for _ in 0..<(rows * cols / 32) {
                    withUnsafeBytes(of: Float16(1.0 / 16).bitPattern.littleEndian) { data += $0 }
                    for _ in 0..<16 { data.append(UInt8.random(in: 0...255, using: &rng)) }
                }
                b.tensors.append(.init(name: name, dimensions: [cols, rows], type: 2, data: data))
            case 1:  // F16
                let values = (0..<(rows * cols)).map { _ in Float16(Float.random(in: -0.5...0.5, using: &rng)) }
                b.tensors.append(.init(name: name, dimensions: [cols, rows], type: 1,
                                       data: values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }))
            default:
                let values = (0..<(rows * cols)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
                b.tensors.append(.init(name: name, dimensions: [cols, rows], type: matrixType, data: values.bytes))
            }
        }
        func norm(_ name: String) {
            guard name != drop else { return }
            let values = (0..<e).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
            b.tensors.append(.init(name: name, dimensions: [e], type: 0, data: values.bytes))
        }
        matrix("token_embd.weight", e, vocab)
        if !tied { matrix("output.weight", e, vocab) }
        norm("output_norm.weight")
        let d = e / heads
        for i in 0..<layers {
            norm("blk.\(i).attn_norm.weight")
            matrix("blk.\(i).attn_q.weight", e, e)
            matrix("blk.\(i).attn_k.weight", e, kvHeads * d)
            matrix("blk.\(i).attn_v.weight", e, kvHeads * d)
            matrix("blk.\(i).attn_output.weight", e, e)
            norm("blk.\(i).ffn_norm.weight")
            matrix("blk.\(i).ffn_gate.weight", e, f)
            matrix("blk.\(i).ffn_up.weight", e, f)
            matrix("blk.\(i).ffn_down.weight", f, e)
        }
        return b
    }

    /// The same model stored as F32 (values dequantised by our kernels) gives the same logits.
    @Test(arguments: [(UInt32(8), "Q8_0"), (2, "Q4_0"), (1, "F16")])
    func quantisedAndFloatTwinsAgree(_ type: UInt32, _ name: String) throws {
        let path = temporaryPath("tiny-\(name).gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.tinyModel(matrixType: type, tied: false).write(to: path)
        let quantised = try LlamaModel(path: path)
        #expect(!quantised.hasTiedOutput)
        // The twin: every matrix dequantised to F32.
        var twin = Self.tinyModel(matrixType: type, tied: false)
        let file = quantised.file
        twin.tensors = try twin.tensors.map { t in
            guard t.dimensions.count == 2, let info = file.tensor(named: t.name) else { return t }
            let data = try file.tensorData(for: info)
            let kind = Kernels.kind(for: info.type)!
            let w = WeightMatrix(name: t.name, kind: kind, rows: t.dimensions[1], columns: t.dimensions[0],
                                 base: data.baseAddress!, rowBytes: data.count / t.dimensions[1])
            var values = [Float](repeating: 0, count: t.dimensions[0] * t.dimensions[1])
            values.withUnsafeMutableBufferPointer { out in
                for r in 0..<t.dimensions[1] { Kernels.dequantizeRow(w, r, into: out.baseAddress! + r * t.dimensions[0]) }
            }
            return .init(name: t.name, dimensions: t.dimensions, type: 0, data: values.bytes)
        }
        let twinPath = temporaryPath("tiny-\(name)-f32.gguf")
        defer { try? FileManager.default.removeItem(atPath: twinPath) }
        try twin.write(to: twinPath)
        let float = try LlamaModel(path: twinPath)
        let tokens: [UInt32] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5, 0, 2, 8]
        var a: [[Float]] = [], b: [[Float]] = []
        try quantised.makeSession().evaluate(tokens) { _, l in a.append(Array(l)) }
        try float.makeSession().evaluate(tokens) { _, l in b.append(Array(l)) }
        #expect(a.count == tokens.count)
        let worst = zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
        let largest = b.map { $0.map(abs).max()! }.max()!
        // The quantised model multiplies 16-bit activations: measured ~3e-4 of the largest logit.
        #expect(worst <= 1e-3 * largest, "\(name) vs F32 twin: \(worst) (largest logit \(largest))")
    }

    @Test func brokenFilesGiveOneLineErrorsNamingTheProblem() throws {
        func error(_ builder: GGUFBuilder, _ tag: String) throws -> String {
            let path = temporaryPath("broken-\(tag).gguf")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try builder.write(to: path)
            do {
                _ = try LlamaModel(path: path)
                return "no error"
            } catch {
                #expect(!error.description.contains("\n"))
                #expect(error.description.hasPrefix(path))
                return error.description
            }
        }
        #expect(try error(Self.tinyModel(matrixType: 0, architecture: "gpt2"), "arch").contains("unsupported model architecture \"gpt2\""))
        #expect(try error(Self.tinyModel(matrixType: 0, drop: "blk.1.ffn_up.weight"), "missing").contains("\"blk.1.ffn_up.weight\" is missing"))
        var q5 = Self.tinyModel(matrixType: 0)
        q5.tensors[0] = .init(name: "token_embd.weight", dimensions: [Self.e, Self.vocab], type: 6,
                              data: [UInt8](repeating: 0, count: Self.e * Self.vocab / 32 * 22))
        #expect(try error(q5, "type").contains("\"token_embd.weight\" has type Q5_0"))
        var shape = Self.tinyModel(matrixType: 0)
        let i = shape.tensors.firstIndex { $0.name == "blk.0.attn_k.weight" }!
        shape.tensors[i] = .init(name: "blk.0.attn_k.weight", dimensions: [Self.e, 8], type: 0,
                                 data: [Float](repeating: 0, count: Self.e * 8).bytes)
        #expect(try error(shape, "shape").contains("\"blk.0.attn_k.weight\" has shape"))
        var noHeads = Self.tinyModel(matrixType: 0)
        noHeads.metadata.removeAll { $0.0 == "llama.attention.head_count" }
        #expect(try error(noHeads, "meta").contains("llama.attention.head_count"))

        let truncated = temporaryPath("truncated.gguf")
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        try Data(Self.tinyModel(matrixType: 0).bytes().prefix(300)).write(to: URL(fileURLWithPath: truncated))
        // Errors of the GGUF reader come wrapped, with the reader's one-line message. Cut at
        // 300 bytes, the header's 20 tensors no longer fit: the reader says so before any field
        // runs past the end.
        let cut = #expect(throws: GenerationError.self) { try LlamaModel(path: truncated) }
        #expect(cut?.path == truncated)
        if case .file(let message)? = cut?.reason {
            #expect(
                message.hasPrefix(truncated + ": GGUF header.tensor_count ")
                    && message.contains("count \(Self.tinyModel(matrixType: 0).tensors.count) cannot fit in the rest of the file"),
                "\(message)")
        } else {
            Issue.record("expected .file, got \(String(describing: cut?.reason))")
        }
        let missing = "/nonexistent/model.gguf"
        let absent = #expect(throws: GenerationError.self) { try LlamaModel(path: missing) }
        #expect(absent?.path == missing)
        if case .file(let message)? = absent?.reason {
            #expect(message.hasPrefix(missing + ": ") && message.contains("cannot open file"), "\(message)")
        } else {
            Issue.record("expected .file, got \(String(describing: absent?.reason))")
        }
    }
}
