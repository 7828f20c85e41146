import Foundation
import TestSupport
import Testing

@testable import Generation

struct SamplerTests {
    func sample(_ logits: [Float], _ parameters: SamplingParameters, history: [UInt32] = [], times: Int = 1) -> [UInt32] {
        var sampler = Sampler(parameters: parameters)
        return (0..<times).map { _ in
            var copy = logits
            return copy.withUnsafeMutableBufferPointer { sampler.sample($0, history: history) }
        }
    }

    @Test func greedyTakesTheFirstMaximum() {
        #expect(sample([0, 3, 1, 3], SamplingParameters(greedy: true)) == [1])
        #expect(sample([0, 3, 1, 2], SamplingParameters(temperature: 0)) == [1])
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() {
        var generator = SeededGenerator(seed: 1)
        let logits = (0..<1000).map { _ in Float.random(in: 0...3, using: &generator) }
        let p = SamplingParameters(temperature: 1, topP: 1, minP: 0, repetitionPenalty: 1, seed: 42)
        let a = sample(logits, p, times: 50)
        #expect(a == sample(logits, p, times: 50))
        var q = p
        q.seed = 43
        #expect(a != sample(logits, q, times: 50))
        var filtered = p
        filtered.topK = 40
        #expect(sample(logits, filtered, times: 50) == sample(logits, filtered, times: 50))
    }

    @Test func filtersKeepOnlyWhatTheyShould() {
        let logits: [Float] = [5, 4.9, 1, 0, -1, 4.8]
        // top-k 2: only ids 0 and 1.
        let k = Set(sample(logits, SamplingParameters(temperature: 1, topK: 2, topP: 1, minP: 0, repetitionPenalty: 1), times: 300))
        #expect(k == [0, 1])
        // top-p tiny: only the best.
        #expect(Set(sample(logits, SamplingParameters(temperature: 1, topP: 0.01, minP: 0, repetitionPenalty: 1), times: 100)) == [0])
        // min-p 0.5: tokens with p ≥ p_max/2, i.e. logit ≥ 5 − ln 2.
        let m = Set(sample(logits, SamplingParameters(temperature: 1, topP: 1, minP: 0.5, repetitionPenalty: 1), times: 300))
        #expect(m == [0, 1, 5])
    }

    @Test func temperatureAndFullDistributionFollowTheSoftmax() {
        let logits: [Float] = [0, log(3)]  // p = 1/4, 3/4
        let draws = sample(logits, SamplingParameters(temperature: 1, topP: 1, minP: 0, repetitionPenalty: 1, seed: 9), times: 4000)
        let share = Double(draws.filter { $0 == 1 }.count) / 4000
        #expect(abs(share - 0.75) < 0.03)
        let cold = sample(logits, SamplingParameters(temperature: 0.05, topP: 1, minP: 0, repetitionPenalty: 1, seed: 9), times: 200)
        #expect(cold.allSatisfy { $0 == 1 })
    }

    @Test func repetitionPenaltyLowersSeenTokens() {
        var logits: [Float] = [2, 2.1, -1]
        var sampler = Sampler(parameters: SamplingParameters(greedy: true, repetitionPenalty: 2))
        let token = logits.withUnsafeMutableBufferPointer { sampler.sample($0, history: [1, 2, 1]) }
        #expect(token == 0)
        #expect(logits == [2, 1.05, -2])
    }

    @Test func parameterProblemsAreReported() {
        #expect(SamplingParameters().problem == nil)
        #expect(SamplingParameters(temperature: -1).problem != nil)
        #expect(SamplingParameters(topP: 0).problem != nil)
        #expect(SamplingParameters(minP: 1).problem != nil)
        #expect(SamplingParameters(repetitionPenalty: 0).problem != nil)
    }
}

struct ChatTemplateTests {
    static let smolLM2 = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func recognisesChatMLAndItsDefaultSystemMessage() throws {
        let t = try #require(ChatTemplate(template: Self.smolLM2))
        #expect(t.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(t.render(user: "Hi <|im_end|>") == [
            .special("<|im_start|>"), .text("system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"),
            .special("<|im_end|>"), .text("\n"), .special("<|im_start|>"), .text("user\nHi <|im_end|>"),
            .special("<|im_end|>"), .text("\n"), .special("<|im_start|>"), .text("assistant\n"),
        ])
        #expect(t.render(user: "x", system: "").first == .special("<|im_start|>"))
        #expect(t.render(user: "x", system: "").count == 6)
        #expect(t.render(user: "x", system: "Be brief.")[1] == .text("system\nBe brief."))
    }

    @Test func escapedNewlinesAndTemplatesWithoutDefault() throws {
        let qwen = "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
        #expect(ChatTemplate(template: qwen)?.defaultSystemPrompt == "You are a helpful assistant.")
        let plain = "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}"
        #expect(try #require(ChatTemplate(template: plain)).defaultSystemPrompt == nil)
        #expect(ChatTemplate(template: "{{ bos_token }}[INST] {{ m }} [/INST]") == nil)
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func defaultModelHasAChatMLTemplate() throws {
        let model = try #require(try DefaultModel.load())
        let t = try #require(ChatTemplate(file: model.file))
        #expect(t.defaultSystemPrompt?.hasPrefix("You are a helpful AI assistant named SmolLM") == true)
    }
}

/// A processor that records what it saw and forces one token.
struct ForceToken: LogitsProcessor {
    let token: Int
    var calls = 0
    mutating func process(logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) throws {
        calls += 1
        logits[token] += 1000
    }
}

struct FailingProcessor: LogitsProcessor {
    struct Failure: Error {}
    mutating func process(logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) throws { throw Failure() }
}

struct GeneratorTests {
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func processorsRunBeforeSamplingAndStopTokensEnd() throws {
        let model = try #require(try DefaultModel.load())
        let session = model.makeSession()
        var generator = Generator(sampler: Sampler(parameters: SamplingParameters(greedy: true)),
                                  processors: [ForceToken(token: 42)], maxTokens: 5, stopTokens: [2])
        var streamed: [UInt32] = []
        let result = try generator.generate(in: session, prompt: [1, 100, 200]) { streamed.append($0); return true }
        #expect(result.tokens == [42, 42, 42, 42, 42])
        #expect(streamed == result.tokens)
        #expect(result.stopReason == .maxTokens)
        #expect(session.tokens == [1, 100, 200, 42, 42, 42, 42])  // the last token is not fed back

        session.reset()
        var stopping = Generator(sampler: Sampler(parameters: SamplingParameters()), processors: [ForceToken(token: 2)],
                                 maxTokens: 5, stopTokens: [2])
        let stopped = try stopping.generate(in: session, prompt: [1, 100])
        #expect(stopped.tokens.isEmpty && stopped.stopReason == .endOfGeneration && stopped.stopToken == 2)

        session.reset()
        var cancelled = Generator(sampler: Sampler(parameters: SamplingParameters()), maxTokens: 5, stopTokens: [])
        #expect(try cancelled.generate(in: session, prompt: [1]) { _ in false }.stopReason == .cancelled)

        session.reset()
        var failing = Generator(sampler: Sampler(parameters: SamplingParameters()), processors: [FailingProcessor()],
                                maxTokens: 5, stopTokens: [])
        #expect(throws: GenerationError(path: model.file.path, reason: .processorFailed("\(FailingProcessor.Failure())"))) {
            try failing.generate(in: session, prompt: [1])
        }
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func seededSamplingIsReproducible() throws {
        let model = try #require(try DefaultModel.load())
        func run(seed: UInt64) throws -> [UInt32] {
            var g = Generator(sampler: Sampler(parameters: SamplingParameters(temperature: 1, seed: seed)), maxTokens: 24,
                              stopTokens: [])
            return try g.generate(in: model.makeSession(), prompt: [1, 504, 2388]).tokens
        }
        let a = try run(seed: 5)
        #expect(a == (try run(seed: 5)))
        #expect(a != (try run(seed: 6)))
    }
}
