import Foundation
import TestSupport
import Testing

@testable import Generation

/// Logits of the runtime against the independent NumPy reference (`Tools/gen_runtime_vectors.py`).
@Suite(.serialized)
struct ParityTests {
    @Test func vectorsArePresentAndLargeEnough() throws {
        let vectors = try #require(RuntimeVectors.smollm2, "Vectors/runtime/smollm2.json is missing or malformed")
        #expect(vectors.prompts.count >= 8)
        #expect(vectors.prompts.filter { ($0.greedy?.ids.count ?? 0) >= 32 }.count >= 2)
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason),
          arguments: RuntimeVectors.smollm2?.prompts ?? [])
    func topLogitsMatchTheReference(_ prompt: RuntimeVectors.Prompt) throws {
        let model = try #require(try DefaultModel.load())
        let vectors = try #require(RuntimeVectors.smollm2)
        let session = model.makeSession()
        var rows: [Int: [Float]] = [:]
        let wanted = Set(prompt.positions.map(\.index))
        try session.evaluate(prompt.ids) { i, logits in if wanted.contains(i) { rows[i] = Array(logits) } }
        var worst = 0.0
        for position in prompt.positions {
            let logits = try #require(rows[position.index])
            let best = logits.indices.max { logits[$0] < logits[$1] }!
            #expect(UInt32(best) == UInt32(position.top[0][0]), "top-1 after token \(position.index)")
            for pair in position.top {
                worst = max(worst, abs(Double(logits[Int(pair[0])]) - pair[1]))
            }
        }
        #expect(worst <= vectors.tolerance, "max abs logit error \(worst) over the top-20")
        print("prompt \(prompt.id): max abs logit error \(worst)")
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason),
          arguments: (RuntimeVectors.smollm2?.prompts ?? []).filter { $0.greedy != nil })
    func greedyContinuationMatchesTheReference(_ prompt: RuntimeVectors.Prompt) throws {
        let model = try #require(try DefaultModel.load())
        let expected = try #require(prompt.greedy).ids
        let session = model.makeSession()
        var generator = Generator(sampler: Sampler(parameters: SamplingParameters(greedy: true, repetitionPenalty: 1)),
                                  maxTokens: expected.count, stopTokens: [2])
        let result = try generator.generate(in: session, prompt: prompt.ids)
        // The reference includes the stop token when it ended on one.
        let produced = result.tokens + (result.stopToken.map { [$0] } ?? [])
        #expect(produced == expected)
    }

    /// Single steps and a batched prompt must give the same logits (the cache is exercised both ways).
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func steppingEqualsBatching() throws {
        let model = try #require(try DefaultModel.load())
        let prompt = try #require(RuntimeVectors.smollm2?.prompts.first).ids
        let batched = Array(try model.makeSession().evaluate(prompt))
        let session = model.makeSession(threads: 1)
        var stepped: [Float] = []
        for t in prompt { stepped = Array(try session.step(t)) }
        let worst = zip(batched, stepped).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-3)
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func sessionsRewindAndReport() throws {
        let model = try #require(try DefaultModel.load())
        #expect(model.hasTiedOutput)
        #expect(model.configuration.blockCount == 30)
        #expect(model.configuration.headCountKV == 3)
        #expect(model.vocabularySize == 49152)
        let session = model.makeSession(contextLimit: 8)
        let first = Array(try session.evaluate([1, 2, 3]))
        try session.evaluate([4, 5])
        session.truncate(to: 3)
        #expect(session.tokens == [1, 2, 3])
        let again = Array(try session.evaluate([4, 5]))
        session.reset()
        try session.evaluate([1, 2, 3, 4, 5])
        #expect(zip(Array(session.logits), again).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(first.count == 49152)
        #expect(throws: GenerationError(path: model.file.path, reason: .contextFull(capacity: 8))) {
            try session.evaluate([1, 2, 3, 4])  // 9 > 8
        }
        #expect(throws: GenerationError(path: model.file.path, reason: .tokenOutOfRange(token: 60000, vocabularySize: 49152))) {
            try session.step(60000)
        }
    }
}
