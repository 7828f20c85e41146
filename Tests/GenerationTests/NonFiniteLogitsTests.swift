import Foundation
import GGUF
import Testing

@testable import Generation

/// A model whose weights produce NaN must stop generation with an error naming the model,
/// never return an empty success (the hardening issue found `embed` exiting 0 with no text).
@Suite("non-finite logits")
struct NonFiniteLogitsTests {
    @Test func aModelThatGivesNaNStopsWithAnErrorNamingIt() throws {
        var builder = LoadingTests.tinyModel(matrixType: 0)
        let norm = try #require(builder.tensors.firstIndex { $0.name == "output_norm.weight" })
        let width = builder.tensors[norm].dimensions[0]
        builder.tensors[norm] = .init(name: "output_norm.weight", dimensions: [width], type: 0,
                                      data: [Float](repeating: .nan, count: width).bytes)
        let path = temporaryPath("nan-logits.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try builder.write(to: path)
        let model = try LlamaModel(path: path)
        var generator = Generator(sampler: Sampler(parameters: SamplingParameters(seed: 1)), maxTokens: 8, stopTokens: [])
        let error = #expect(throws: GenerationError.self) {
            try generator.generate(in: model.makeSession(threads: 1), prompt: [1, 2, 3])
        }
        #expect(error?.reason == .nonFiniteLogits(position: 0))
        #expect(error?.path == path)
        #expect(error?.description.hasPrefix(path + ": the model gave non-finite logits") == true)
    }

    @Test func maskedLogitsAreStillUsable() {
        var row: [Float] = [1, -.infinity, 3, -.infinity]
        #expect(row.withUnsafeMutableBufferPointer { Generator.areUsable($0) })
        row = [1, .nan, 3]
        #expect(!row.withUnsafeMutableBufferPointer { Generator.areUsable($0) })
        row = [1, .infinity]
        #expect(!row.withUnsafeMutableBufferPointer { Generator.areUsable($0) })
        row = [-.infinity, -.infinity]
        #expect(!row.withUnsafeMutableBufferPointer { Generator.areUsable($0) })
        row = [Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude]  // the sum overflows; each is fine
        #expect(row.withUnsafeMutableBufferPointer { Generator.areUsable($0) })
    }
}
