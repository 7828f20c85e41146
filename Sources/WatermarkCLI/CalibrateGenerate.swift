import Detection
import Foundation
import Generation
import Watermark
import WatermarkedGeneration

extension Calibrate {
    /// Watermarked positives written by the model on the fly: each prompt is the opening (40
    /// words) of one of the human documents, so the model writes on the same subjects; the
    /// text is then detected exactly as a submitted text would be.
    func generatePositives(key: WatermarkKey, parameters: SchemeParameters,
                           pipeline: DetectionPipeline) throws -> (samples: [CalibrationSample], generation: CalibrationFile.Generation) {
        var openings: [String] = []
        do {
            try Documents.forEach(in: negatives, onError: { _, _ in }) { item in
                guard openings.count < generateCount, case .text(let text) = item.content else { return }
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(40)
                if words.count >= 10 { openings.append(words.joined(separator: " ")) }
            }
        } catch let error as InputError { throw CLIFailure(error.description) }
        guard openings.count == generateCount else {
            // Making fewer than asked would calibrate on less than the user believes.
            throw CLIFailure("--generate \(generateCount) takes each prompt from a different human text document of 10 words or more; "
                             + "--negatives \(openings.isEmpty ? "has none" : "has only \(openings.count)"): give more text or a smaller --generate")
        }
        let modelPath = try model ?? DefaultModel.requirePath(for: "model")
        let modelName = (modelPath as NSString).lastPathComponent
        let prompts = openings.map { "Continue this text in the same style:\n\n" + $0 }
        var kept = try generated.map {
            try KeptPositives(path: $0, keyID: key.keyID, parameters: parameters, model: modelName, prompts: prompts)
        }
        func sample(_ text: String, source: String) throws -> CalibrationSample {
            do { return CalibrationSample(result: try pipeline.detect(text: text), keepStatuses: true) } catch {
                throw Messages.document(error, source: source)
            }
        }
        var samples: [CalibrationSample] = []
        for record in (kept?.records ?? []).prefix(openings.count) where !record.text.isEmpty {
            samples.append(try sample(record.text, source: "\(generated!):\(record.index + 1)"))
        }
        let done = min(kept?.records.count ?? 0, openings.count)
        // A resumed run continues the seed sequence of the run it resumes.
        let baseSeed = generation.seed ?? kept?.baseSeed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let made = CalibrationFile.Generation(documents: openings.count, model: modelName, seed: baseSeed, delta: parameters.delta)
        guard done < openings.count else { return (samples, made) }
        let runner = try Models.load(modelPath, raw: false, system: nil, ignoreEndOfTurn: false, threads: generation.threads)
        let processor: WatermarkLogitsProcessor
        do { processor = try WatermarkLogitsProcessor(key: key, parameters: parameters) } catch { throw CLIFailure(error.description) }
        var progress = Progress("positives generated", total: openings.count)
        for _ in 0..<done { progress.advance() }
        for i in done..<openings.count {
            let prompt = prompts[i]
            let ids = try Models.encode(prompt, source: "--generate \(i + 1)", with: runner)
            let sampling = generation.sampling(seed: baseSeed &+ UInt64(i))
            let result: GenerationResult
            do { result = try runner.generate(after: ids, sampling: sampling, watermark: processor, maxTokens: generation.maxTokens) } catch {
                throw CLIFailure(error.description)
            }
            let text = runner.tokenizer.decode(result.tokens, skipSpecialTokens: true)
            try kept?.append(GenerationRecord(
                index: i, id: nil, prompt: prompt, chat: runner.chat != nil, text: text, ids: result.tokens, keyID: key.keyID,
                parameters: parameters, maxTokens: generation.maxTokens, sampling: sampling, model: modelName, result: result,
                promptTokens: ids.count, watermarkMillisecondsPerToken: nil, perplexity: nil))
            if !text.isEmpty { samples.append(try sample(text, source: "--generate \(i + 1)")) }
            progress.advance()
        }
        progress.finish()
        return (samples, made)
    }
}
