import ArgumentParser
import Generation

/// Sampling flags for `embed`: how each next token is chosen.
struct GenerationOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .customLong("max-tokens")], help: ArgumentHelp("Most tokens to generate per prompt (stops earlier at the model's end-of-turn token).", valueName: "n"))
    var maxTokens = 96

    @Option(name: [.customLong("temperature"), .customLong("temp")], help: ArgumentHelp("Softmax temperature; 0 is the same as --greedy.", valueName: "t"))
    var temperature: Float = SamplingParameters.defaultTemperature

    @Option(name: .customLong("top-k"), help: ArgumentHelp("Sample only among the k most likely tokens (0: off).", valueName: "k"))
    var topK = 0

    @Option(name: .customLong("top-p"), help: ArgumentHelp("Sample only among the most likely tokens whose probabilities add up to p (1: off).", valueName: "p"))
    var topP: Float = SamplingParameters.defaultTopP

    @Option(name: .customLong("min-p"), help: ArgumentHelp("Drop tokens less likely than p times the most likely one (0: off).", valueName: "p"))
    var minP: Float = SamplingParameters.defaultMinP

    @Option(name: .customLong("repetition-penalty"), help: ArgumentHelp("Divide the logits of tokens among the last 64 by this (1: off).", valueName: "r"))
    var repetitionPenalty: Float = SamplingParameters.defaultRepetitionPenalty

    @Option(name: .shortAndLong, help: ArgumentHelp("Random seed, for reproducible output; prompt i of a batch uses seed + i (default: a random seed, reported with --json).", valueName: "n"))
    var seed: UInt64?

    @Flag(help: "Always take the most likely token (after the watermark's bias): deterministic output.")
    var greedy = false

    @Option(help: ArgumentHelp("Threads for the model, and in 'calibrate' for scoring (default: the processors this process may use).", valueName: "n"))
    var threads: Int?

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1 (got \(maxTokens))") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if let problem = sampling(seed: 0).problem { throw ValidationError(problem) }
    }

    func sampling(seed: UInt64) -> SamplingParameters {
        SamplingParameters(greedy: greedy || temperature == 0, temperature: temperature, topK: topK, topP: topP, minP: minP,
                           repetitionPenalty: repetitionPenalty, seed: seed)
    }
}
