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
            message) unless --raw is given. The prompt is --prompt TEXT, or each prompt of \
            --prompts FILE (JSON Lines {"prompt": ..., "id": ...} when the file ends in .jsonl or \
            its first line starts with '{'; otherwise one prompt per line), or else all of \
            standard input. Text streams to standard output as it is generated; --json prints one \
            object per prompt instead. Exit status: 0 on success, 2 on a usage or input error \
            (a bad prompt line is reported and the others are still generated).
            """)

    @OptionGroup var keys: KeyOptions
    @OptionGroup var scheme: SchemeOptions

    @Option(help: ArgumentHelp("Bias δ added to the logits of green tokens (larger: stronger watermark, more change to the text).", valueName: "logits"))
    var delta: Double = SchemeParameters.defaultDelta

    @Flag(name: .customLong("no-watermark"), help: "Generate without the watermark (a control run; no key needed).")
    var noWatermark = false

    @Option(name: .shortAndLong, help: ArgumentHelp("A Llama-family GGUF model (default: the default model in the cache; Tools/fetch-model.sh fetches it).", valueName: "path"))
    var model: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The prompt (default: standard input, read whole).", valueName: "text"))
    var prompt: String?

    @Option(help: ArgumentHelp("Prompts: JSON Lines with a \"prompt\" (and optional \"id\") per line, or plain text with one prompt per line ('-' reads standard input).", valueName: "file"))
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
        if prompt != nil && prompts != nil { throw ValidationError("give one of --prompt TEXT or --prompts FILE, not both") }
        if perplexity && !json { throw ValidationError("--perplexity adds a field to --json output; add --json") }
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
        if generation.seed == nil {
            Console.note("seed \(baseSeed), chosen at random; --seed \(baseSeed) repeats this run")
        }
        var batch = Batch(json: json)
        var progress = Progress("prompts", total: inputs.count)
        let prompts = inputs.filter { if case .prompt = $0 { return true } else { return false } }.count
        for entry in inputs {
            guard case .prompt(let input) = entry else {
                if case .bad(let source, let message) = entry { batch.fail(message, source: source) }
                continue
            }
            let index = batch.nextIndex
            let ids: [UInt32]
            do { ids = try Models.encode(input.text, source: input.source, with: runner) } catch let failure as CLIFailure {
                batch.fail(failure.message, source: input.source, id: input.id)
                continue
            }
            let sampling = generation.sampling(seed: baseSeed &+ UInt64(index))
            progress.willStream(toTerminal: !json && Console.stdoutIsTerminal)
            if !json && prompts > 1 { write((index > 0 ? "\n" : "") + "==> \(input.source) <==\n") }
            var decoder = StreamingTextDecoder(tokenizer: runner.tokenizer)
            let result: GenerationResult
            do {
                result = try runner.generate(after: ids, sampling: sampling, watermark: processor, maxTokens: generation.maxTokens,
                                             recordsLikelihood: perplexity) { if !json { write(decoder.append($0)) } }
            } catch { throw CLIFailure(error.description) }  // a broken model fails every prompt: stop
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
            batch.scored()
            fflush(nil)
            progress.advance()
        }
        progress.finish()
        try batch.finish(succeeded: true)
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
        let id: JSONValue?
    }

    /// A prompt, or a line that could not be one (reported in its place; the rest still run).
    enum PromptEntry {
        case prompt(PromptInput)
        case bad(source: String, message: String)
    }

    /// Every prompt, read before the model is loaded so that input mistakes show at once.
    private func readPrompts() throws -> [PromptEntry] {
        if let prompt {
            guard !prompt.isEmpty else { throw CLIFailure("--prompt: the prompt is empty") }
            return [.prompt(PromptInput(text: prompt, source: "--prompt", id: nil))]
        }
        do {
            guard let prompts else {
                if Console.stdinIsTerminal { throw CLIFailure("give --prompt TEXT, --prompts FILE, or a prompt on standard input") }
                let bytes = try ByteStream(path: "-").readAll(limit: 64 << 20)
                guard let text = String(validating: bytes, as: UTF8.self) else { throw CLIFailure("<stdin>: the prompt is not valid UTF-8 text") }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { throw CLIFailure("<stdin>: the prompt is empty") }
                return [.prompt(PromptInput(text: trimmed, source: "<stdin>", id: nil))]
            }
            let stream = try ByteStream(path: prompts)
            var lines = LineReader(stream: stream)
            var out: [PromptEntry] = []
            var jsonLines: Bool? = prompts.hasSuffix(".jsonl") ? true : nil
            while let line = try lines.nextLine() {
                let source = "\(stream.name):\(lines.lineNumber)"
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                // The first prompt line decides: JSON Lines if it opens an object.
                if jsonLines == nil { jsonLines = line.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{") }
                guard jsonLines == true else {
                    guard let text = String(validating: line, as: UTF8.self) else {
                        out.append(.bad(source: source, message: "\(source): not valid UTF-8 text"))
                        continue
                    }
                    out.append(.prompt(PromptInput(text: text, source: source, id: nil)))
                    continue
                }
                struct Line: Decodable {
                    let prompt: String
                    let id: JSONValue?
                }
                guard let parsed = try? JSONDecoder().decode(Line.self, from: Data(line)) else {
                    out.append(.bad(source: source, message: "\(source): not a JSON object with a string \"prompt\" field"))
                    continue
                }
                guard !parsed.prompt.isEmpty else {
                    out.append(.bad(source: source, message: "\(source): the prompt is empty"))
                    continue
                }
                out.append(.prompt(PromptInput(text: parsed.prompt, source: source, id: parsed.id)))
            }
            guard !out.isEmpty else { throw CLIFailure("\(stream.name): no prompts") }
            return out
        } catch let error as InputError {
            throw CLIFailure(error.description)
        }
    }
}
