import Foundation
import TestSupport
import Testing

@testable import Generation

@Suite("log-likelihood of generated text")
struct LikelihoodTests {
    /// The log-likelihood recorded while sampling equals the one from re-reading prompt and
    /// output in one teacher-forced pass, and ignores the processors (it is the unbiased model's).
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func recordedLikelihoodMatchesATeacherForcedPass() throws {
        let model = try #require(try DefaultModel.load())
        let prompt: [UInt32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 2]  // an arbitrary id sequence
        struct Boost: LogitsProcessor {
            mutating func process(logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) throws {
                for i in stride(from: 0, to: logits.count, by: 3) { logits[i] += 2 }
            }
        }
        var generator = Generator(sampler: Sampler(parameters: SamplingParameters(temperature: 1, topP: 1, minP: 0, repetitionPenalty: 1, seed: 5)),
                                  processors: [Boost()], maxTokens: 24, stopTokens: [])
        generator.recordsLikelihood = true
        let session = model.makeSession()
        let result = try generator.generate(in: session, prompt: prompt)
        let recorded = try #require(result.logLikelihood)
        #expect(result.tokens.count == 24)

        let check = model.makeSession()
        let all = prompt + result.tokens
        var teacherForced = 0.0
        try check.evaluate(all) { position, logits in
            // Logits at position i predict token i + 1; score only the generated ones.
            guard position >= prompt.count - 1, position + 1 < all.count else { return }
            let maximum = logits.max()!
            let normaliser = Double(maximum) + log(logits.reduce(0.0) { $0 + Double(exp($1 - maximum)) })
            teacherForced += Double(logits[Int(all[position + 1])]) - normaliser
        }
        #expect(abs(recorded - teacherForced) < 1e-2 * max(1, abs(teacherForced)), "\(recorded) vs \(teacherForced)")
        #expect(result.perplexity! >= 1)
    }
}
