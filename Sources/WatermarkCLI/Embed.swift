import ArgumentParser
import Detection
import Foundation
import GGUF
import Generation
import Tokenizer
import Watermark
import WatermarkedGeneration

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
        let path = try model ?? DefaultModel.requirePath(for: "model")
        let runner = try Models.load(path, raw: raw, system: system, ignoreEndOfTurn: ignoreEOS, threads: generation.threads)
        let baseSeed = generation.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var progress = Progress("prompts", total: inputs.count)
        for (index, input) in inputs.enumerated() {
            let ids = try Models.encode(input.text, source: input.source, with: runner)
            let sampling = generation.sampling(seed: baseSeed &+ UInt64(index))
            progress.willStream(toTerminal: !json && Console.stdoutIsTerminal)
            var decoder = StreamingTextDecoder(tokenizer: runner.tokenizer)
            let result: GenerationResult
            do {
                result = try runner.generate(after: ids, sampling: sampling, watermark: processor, maxTokens: generation.maxTokens,
                                             recordsLikelihood: perplexity) { if !json { write(decoder.append($0)) } }
            } catch { throw CLIFailure(error.description) }
            if !json {
                write(decoder.finish() + "\n")
            } else {
                let steps = Double(max(1, result.tokens.count + (result.stopToken == nil ? 0 : 1)))
                let record = GenerationRecord(
                    index: index, id: input.id, prompt: input.text, chat: runner.chat != nil,
                    text: runner.tokenizer.decode(result.tokens, skipSpecialTokens: true), ids: result.tokens, keyID: keyID,
                    parameters: parameters, maxTokens: generation.maxTokens, sampling: sampling,
                    model: (path as NSString).lastPathComponent, result: result, promptTokens: ids.count,
                    watermarkMillisecondsPerToken: keyID == nil ? nil : rounded(1000 * result.processorSeconds / steps),
                    perplexity: result.perplexity.map(rounded), rounding: rounded)
                print(JSONOutput.line(encoding: record))
            }
            fflush(nil)
            progress.advance()
        }
        progress.finish()
    }

    /// Streamed text goes to stdout as it is made.
    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        print(text, terminator: "")
        fflush(nil)
    }

    private func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    struct PromptInput {
        let text: String
        let source: String
        let id: RecordID?
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
                var id: RecordID? = nil
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
