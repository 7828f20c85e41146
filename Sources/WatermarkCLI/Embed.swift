import ArgumentParser
import Detection
import Foundation
import GGUF
import Generation
import Tokenizer
import Watermark

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a language model, putting the watermark into it as it is written.",
        discussion: """
            Instruct models get their chat format (ChatML, with the template's default system \
            message) unless --raw is given. Text streams to standard output as it is generated; \
            --json prints one object per prompt instead. Exit status: 0 on success, 2 on a usage \
            or input error.
            """)

    @OptionGroup var keys: KeyOptions
    @OptionGroup var scheme: SchemeOptions

    @Option(help: ArgumentHelp("Bias δ added to the logits of green tokens (larger: stronger watermark, more change to the text).", valueName: "logits"))
    var delta: Double = SchemeParameters.defaultDelta

    @Flag(name: .customLong("no-watermark"), help: "Generate without the watermark (a control run; no key needed).")
    var noWatermark = false

    @Option(help: ArgumentHelp("A Llama-family GGUF model (default: the default model in the cache; Tools/fetch-model.sh fetches it).", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("The prompt.", valueName: "text"))
    var prompt: String?

    @Option(help: ArgumentHelp("JSON Lines of prompts, one object with a \"prompt\" field per line ('-' reads standard input).", valueName: "file"))
    var prompts: String?

    @Flag(help: "Send the prompt as is, without the model's chat format.")
    var raw = false

    @Option(help: ArgumentHelp("System message for the chat format (default: the template's own, if it has one; \"\" for none).", valueName: "text"))
    var system: String?

    @OptionGroup var generation: GenerationOptions

    @Flag(name: .customLong("ignore-eos"), help: "Keep generating past end-of-turn tokens up to --max-tokens (for benchmarks).")
    var ignoreEOS = false

    @Flag(help: "Print one JSON object per prompt (JSON Lines) with the text, ids, keyID, parameters and speed.")
    var json = false

    @Flag(help: "With --json, add the text's perplexity under the model itself (unwatermarked, temperature 1); costs a few percent of speed.")
    var perplexity = false

    func validate() throws {
        if (prompt == nil) == (prompts == nil) { throw ValidationError("give exactly one of --prompt TEXT or --prompts FILE") }
        if raw && system != nil { throw ValidationError("--system is part of the chat format; it cannot be combined with --raw") }
        if noWatermark && !keys.keyFiles.isEmpty { throw ValidationError("--no-watermark makes a control run; drop --key-file") }
        guard delta.isFinite, delta >= 0 else { throw ValidationError("--delta must be a finite number ≥ 0 (got \(delta))") }
    }

    func run() throws {
        // Everything that can fail on input is checked before the model is loaded.
        var processor: WatermarkLogitsProcessor? = nil
        var keyID: String? = nil
        let parameters = try scheme.parameters(delta: delta)
        if !noWatermark {
            let loaded = try keys.loadKeys()
            guard loaded.count == 1 else { throw CLIFailure("embed takes one key; \(loaded.count) were given") }
            do { processor = try WatermarkLogitsProcessor(key: loaded[0], parameters: parameters) } catch {
                throw CLIFailure(error.description)
            }
            keyID = loaded[0].keyID
        }
        let inputs = try readPrompts()

        let runner = try ModelRunner(modelPath: model, raw: raw, system: system, ignoreEOS: ignoreEOS,
                                     threads: generation.threads)
        let tokenizer = runner.tokenizer, chat = runner.chat, path = runner.path
        let baseSeed = generation.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var progress = Progress("prompts", total: inputs.count)
        for (index, input) in inputs.enumerated() {
            let ids = try runner.encode(input.text, source: input.source)
            let sampling = generation.sampling(seed: baseSeed &+ UInt64(index))
            progress.willStream(toTerminal: !json && Console.stdoutIsTerminal)
            var stream = TextStream(tokenizer: tokenizer, enabled: !json)
            let result = try runner.generate(after: ids, sampling: sampling, processor: processor,
                                             maxTokens: generation.maxTokens, recordsLikelihood: perplexity) { stream.append($0) }
            stream.finish()
            if json {
                let record = EmbedRecord(
                    index: index, id: input.id, prompt: input.text, chat: chat != nil,
                    text: tokenizer.decode(result.tokens, skipSpecialTokens: true), ids: result.tokens,
                    keyID: keyID, watermark: keyID != nil, scheme: SchemeParameters.scheme,
                    gamma: parameters.gamma, contextWidth: parameters.contextWidth, delta: parameters.delta,
                    maxTokens: generation.maxTokens, sampling: sampling, model: (path as NSString).lastPathComponent,
                    promptTokens: ids.count, generatedTokens: result.tokens.count, stopReason: result.stopReason.rawValue,
                    tokensPerSecond: rounded(result.tokensPerSecond), promptTokensPerSecond: rounded(result.promptTokensPerSecond),
                    watermarkMillisecondsPerToken: keyID == nil ? nil
                        : rounded(1000 * result.processorSeconds / Double(max(1, result.tokens.count + (result.stopToken == nil ? 0 : 1)))),
                    perplexity: result.perplexity.map(rounded))
                print(JSONOutput.line(encoding: record))
            }
            fflush(nil)
            progress.advance()
        }
        progress.finish()
    }

    private func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    struct PromptInput {
        let text: String
        let source: String
        let id: JSONID?
    }

    private func readPrompts() throws -> [PromptInput] {
        if let prompt {
            guard !prompt.isEmpty else { throw CLIFailure("--prompt: the prompt is empty") }
            return [PromptInput(text: prompt, source: "--prompt", id: nil)]
        }
        var out: [PromptInput] = []
        do {
            let stream = try ByteStream(path: prompts!)
            var lines = LineReader(stream: stream)
            while let line = try lines.nextLine() {
                let source = "\(stream.name):\(lines.lineNumber)"
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let object: Any
                do { object = try JSONSerialization.jsonObject(with: Data(line), options: []) } catch {
                    throw CLIFailure("\(source): not a JSON object")
                }
                guard let dictionary = object as? [String: Any] else { throw CLIFailure("\(source): not a JSON object") }
                guard let text = dictionary["prompt"] as? String else {
                    throw CLIFailure("\(source): needs a string \"prompt\" field")
                }
                guard !text.isEmpty else { throw CLIFailure("\(source): the prompt is empty") }
                var id: JSONID? = nil
                if let s = dictionary["id"] as? String { id = .string(s) } else if let n = dictionary["id"] as? Int { id = .int(n) }
                out.append(PromptInput(text: text, source: source, id: id))
            }
            guard !out.isEmpty else { throw CLIFailure("\(stream.name): no prompts") }
        } catch let error as InputError {
            throw CLIFailure(error.description)
        }
        return out
    }
}

/// The watermark's processor as the runtime's hook.
struct WatermarkBias: LogitsProcessor {
    let processor: WatermarkLogitsProcessor

    mutating func process(logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) throws {
        try processor.process(logits, history: history)
    }
}

/// Turns a prompt into ids: the chat format's control tokens by id, the text between them
/// as plain text (so a prompt cannot inject control tokens).
struct PromptEncoder {
    let tokenizer: BPETokenizer
    let chat: ChatTemplate?
    let system: String?
    let addBOS: Bool

    func encode(_ prompt: String, source: String) throws -> [UInt32] {
        var ids: [UInt32] = []
        if addBOS, let bos = tokenizer.bosTokenID { ids.append(bos) }
        guard let chat else { return ids + tokenizer.encode(prompt, specialTokens: .plainText) }
        for piece in chat.render(user: prompt, system: system) {
            switch piece {
            case .text(let text): ids += tokenizer.encode(text, specialTokens: .plainText)
            case .special(let spelling):
                guard let id = tokenizer.id(for: spelling) else {
                    throw CLIFailure("\(source): the model's chat template uses \(spelling), which its vocabulary lacks; use --raw")
                }
                ids.append(id)
            }
        }
        return ids
    }
}

/// Writes generated text to stdout as tokens arrive, holding back the bytes of a UTF-8
/// character split across tokens until it is complete.
struct TextStream {
    let tokenizer: BPETokenizer
    let enabled: Bool
    private var pending: [UInt8] = []

    init(tokenizer: BPETokenizer, enabled: Bool) {
        self.tokenizer = tokenizer
        self.enabled = enabled
    }

    mutating func append(_ token: UInt32) {
        guard enabled, !tokenizer.isSpecial(token), let bytes = tokenizer.tokenBytes(for: token) else { return }
        pending += bytes
        let complete = Self.completePrefix(pending)
        guard complete > 0 else { return }
        writeOut(pending[..<complete])
        pending.removeFirst(complete)
    }

    mutating func finish() {
        guard enabled else { return }
        writeOut(pending[...])
        pending.removeAll()
        writeOut(Array("\n".utf8)[...])
    }

    private func writeOut(_ bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        // Invalid sequences (which cannot become valid) print as U+FFFD.
        print(String(decoding: bytes, as: UTF8.self), terminator: "")
        fflush(nil)
    }

    /// Length of `bytes` without a trailing, still incomplete UTF-8 sequence.
    static func completePrefix(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var i = n - 1
        var back = 0
        while i >= 0 && back < 3 && bytes[i] & 0xC0 == 0x80 {
            i -= 1
            back += 1
        }
        guard i >= 0 else { return n }
        let lead = bytes[i]
        let needed = lead >= 0xF0 && lead < 0xF8 ? 4 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xC0 && lead < 0xE0 ? 2 : 1
        return needed > n - i ? i : n
    }
}

enum JSONID: Encodable {
    case string(String)
    case int(Int)

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let n): try c.encode(n)
        }
    }
}

/// One `--json` line.
struct EmbedRecord: Encodable {
    let index: Int
    let id: JSONID?
    let prompt: String
    let chat: Bool
    let text: String
    let ids: [UInt32]
    let keyID: String?
    let watermark: Bool
    let scheme: String
    let gamma: Double
    let contextWidth: Int
    let delta: Double
    let maxTokens: Int
    let sampling: SamplingParameters
    let model: String
    let promptTokens: Int
    let generatedTokens: Int
    let stopReason: String
    let tokensPerSecond: Double
    let promptTokensPerSecond: Double
    let watermarkMillisecondsPerToken: Double?
    let perplexity: Double?

    private enum Keys: String, CodingKey {
        case index, id, prompt, chat, text, ids, keyID, watermark, scheme, gamma, contextWidth, delta, maxTokens
        case temperature, topK, topP, minP, repetitionPenalty, seed, greedy
        case model, promptTokens, generatedTokens, stopReason, tokensPerSecond, promptTokensPerSecond
        case watermarkMillisecondsPerToken, perplexity
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(chat, forKey: .chat)
        try c.encode(text, forKey: .text)
        try c.encode(ids, forKey: .ids)
        if let keyID { try c.encode(keyID, forKey: .keyID) } else { try c.encodeNil(forKey: .keyID) }
        try c.encode(watermark, forKey: .watermark)
        try c.encode(scheme, forKey: .scheme)
        try c.encode(gamma, forKey: .gamma)
        try c.encode(contextWidth, forKey: .contextWidth)
        try c.encode(delta, forKey: .delta)
        try c.encode(maxTokens, forKey: .maxTokens)
        try c.encode(sampling.greedy, forKey: .greedy)
        try c.encode(sampling.temperature, forKey: .temperature)
        try c.encode(sampling.topK, forKey: .topK)
        try c.encode(sampling.topP, forKey: .topP)
        try c.encode(sampling.minP, forKey: .minP)
        try c.encode(sampling.repetitionPenalty, forKey: .repetitionPenalty)
        try c.encode(sampling.seed, forKey: .seed)
        try c.encode(model, forKey: .model)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(generatedTokens, forKey: .generatedTokens)
        try c.encode(stopReason, forKey: .stopReason)
        try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
        try c.encode(promptTokensPerSecond, forKey: .promptTokensPerSecond)
        try c.encodeIfPresent(watermarkMillisecondsPerToken, forKey: .watermarkMillisecondsPerToken)
        try c.encodeIfPresent(perplexity, forKey: .perplexity)
    }
}
