import Foundation
import GGUF
import TestSupport
import Testing

@testable import Generation

struct KernelTests {
    static func matrix(type: String, bytes: [UInt8], columns: Int, rows: Int) -> (WeightMatrix, [UInt8]) {
        let kind: Kernels.Kind
        let layout: (Int, Int)
        switch type {
        case "F16": (kind, layout) = (.f16, (1, 2))
        case "BF16": (kind, layout) = (.bf16, (1, 2))
        case "Q4_0": (kind, layout) = (.q4_0, (32, 18))
        case "Q4_1": (kind, layout) = (.q4_1, (32, 20))
        case "Q8_0": (kind, layout) = (.q8_0, (32, 34))
        case "Q4_K": (kind, layout) = (.q4_K, (256, 144))
        case "Q6_K": (kind, layout) = (.q6_K, (256, 210))
        default: (kind, layout) = (.f32, (1, 4))
        }
        let rowBytes = columns / layout.0 * layout.1
        return (WeightMatrix(name: type, kind: kind, rows: rows, columns: columns, base: UnsafeRawPointer(bitPattern: 1)!,
                             rowBytes: rowBytes), bytes)
    }

    /// Dequantisation of every supported block type equals `gguf.quants.dequantize`.
    @Test(arguments: QuantBlockVectors.all)
    func dequantisationMatchesGGUFPackage(_ c: QuantBlockVectors.Case) throws {
        let bytes = try #require([UInt8](hex: c.bytes))
        let n = c.values.count
        let (template, _) = Self.matrix(type: c.type, bytes: bytes, columns: n, rows: 1)
        var out = [Float](repeating: .nan, count: n)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(name: c.type, kind: template.kind, rows: 1, columns: n, base: raw.baseAddress!,
                                 rowBytes: raw.count)
            out.withUnsafeMutableBufferPointer { Kernels.dequantizeRow(w, 0, into: $0.baseAddress!) }
        }
        for i in 0..<n where out[i] != c.values[i] {
            Issue.record("\(c.type) element \(i): \(out[i]) != \(c.values[i])")
            break
        }
    }

    @Test func vectorsCoverEveryKernelType() {
        #expect(Set(QuantBlockVectors.all.map(\.type)) == ["F16", "BF16", "Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q6_K"])
    }

    /// The integer kernels (16-bit activations, 1 and 4 tokens at a time) agree with a float
    /// dot product over the dequantised rows.
    @Test(arguments: ["Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q6_K", "F16"])
    func matrixKernelsAgreeWithFloat(_ type: String) throws {
        let c = try #require(QuantBlockVectors.all.first { $0.type == type })
        let bytes = try #require([UInt8](hex: c.bytes))
        let columns = type.hasSuffix("_K") ? 256 : 64
        let rows = c.values.count / columns
        var generator = SeededGenerator(seed: 7)
        let tokens = 6  // one tile of four and two singles
        var x = (0..<(tokens * columns)).map { _ in Float.random(in: -2...2, using: &generator) }
        x[3] = 40  // an outlier channel
        let batch = ActivationBatch(tokens: tokens, columns: columns)
        var out = [Float](repeating: 0, count: tokens * rows)
        try bytes.withUnsafeBytes { raw in
            let (template, _) = Self.matrix(type: type, bytes: bytes, columns: columns, rows: rows)
            let w = WeightMatrix(name: type, kind: template.kind, rows: rows, columns: columns, base: raw.baseAddress!,
                                 rowBytes: template.rowBytes)
            try #require(raw.count == rows * template.rowBytes)
            x.withUnsafeBufferPointer { xb in
                batch.prepare(xb.baseAddress!, tokens: tokens, columns: columns)
                out.withUnsafeMutableBufferPointer { Kernels.multiply(w, rows: 0..<rows, batch, out: $0.baseAddress!, stride: rows) }
            }
        }
        var worstRelative = 0.0
        for t in 0..<tokens {
            for r in 0..<rows {
                var expected = 0.0
                for i in 0..<columns { expected += Double(c.values[r * columns + i]) * Double(x[t * columns + i]) }
                let scale = (0..<columns).map { abs(Double(c.values[r * columns + $0])) }.reduce(0, +) * 40
                worstRelative = max(worstRelative, abs(Double(out[t * rows + r]) - expected) / scale * 40)
                #expect(abs(Double(out[t * rows + r]) - expected) <= 1e-4 * scale + 1e-4,
                        "\(type) token \(t) row \(r): \(out[t * rows + r]) vs \(expected)")
            }
        }
        print("\(type): worst error / (Σ|w|·max|x|) = \(worstRelative)")
    }

    @Test func halfConversionMatchesFloat16() {
        for bits in stride(from: 0, through: 0xFFFF, by: 1) where (bits & 0x7C00) != 0x7C00 {
            let h = UInt16(bits)
            #if arch(x86_64) || arch(arm64)
            let expected = Float(Float16(bitPattern: h))
            if halfToFloat(h) != expected && !(halfToFloat(h) == 0 && expected == 0) {
                Issue.record("half \(String(h, radix: 16)): \(halfToFloat(h)) != \(expected)")
                return
            }
            #endif
        }
        let lanes = SIMD8<UInt16>(0x3C00, 0xC000, 0x0001, 0x8400, 0x7BFF, 0, 0x3555, 0x0400)
        let v = halfToFloat(lanes)
        for i in 0..<8 { #expect(v[i] == halfToFloat(lanes[i])) }
    }

    @Test func vectorExpIsAccurate() {
        var worst: Float = 0
        var x: Float = -80
        while x < 80 {
            let e = VectorMath.exp(SIMD8<Float>(repeating: x))[0]
            worst = max(worst, abs(e - Foundation.exp(x)) / Foundation.exp(x))
            x += 0.01
        }
        #expect(worst < 1e-6)
        #expect(VectorMath.exp(SIMD8<Float>(repeating: -200))[0] == 0)
    }

    @Test func threadPoolRunsEveryTaskOnce() {
        let pool = ThreadPool(threads: 3)
        for round in 0..<200 {
            let tasks = round % 17 + 1
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: tasks)
            counts.initialize(repeating: 0, count: tasks)
            pool.run(tasks: tasks) { task, thread in
                precondition(thread < 3)
                counts[task] += 1  // each task index is handed out once, so no race
            }
            #expect((0..<tasks).allSatisfy { counts[$0] == 1 })
            counts.deallocate()
        }
    }
}
