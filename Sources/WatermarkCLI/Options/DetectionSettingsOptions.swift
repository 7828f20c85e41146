import ArgumentParser
import Detection

/// `--no-normalize`: every command that turns text into ids takes it, and they must agree.
struct NormalizationOption: ParsableArguments {
    @Flag(name: .customLong("no-normalize"), help: "Tokenize text exactly as given: no removal of zero-width characters and emoji, no folding of look-alike letters and exotic spaces (use the same setting to detect, calibrate and list common tuples).")
    var noNormalize = false

    var normalize: Bool { !noNormalize }
}

/// How detection counts, shared by `detect` and `calibrate` (a calibration file holds only
/// for the settings it was made with).
struct DetectionSettingsOptions: ParsableArguments {
    @OptionGroup var normalization: NormalizationOption

    @Flag(name: .customLong("no-dedup"), help: "Count repeated (context, token) tuples every time (inflates scores on repetitive text).")
    var noDedup = false

    @Option(name: .customLong("min-tokens"), help: ArgumentHelp("Fewest scored tuples for a verdict; fewer gives 'too-short'.", valueName: "n"))
    var minTokens = DetectionOptions.defaultMinimumScored

    func validate() throws {
        guard minTokens >= 1 else { throw ValidationError("--min-tokens must be at least 1 (got \(minTokens))") }
    }

    var normalize: Bool { normalization.normalize }

    /// Detection options with these settings (the rest at their defaults).
    var options: DetectionOptions {
        var options = DetectionOptions()
        options.deduplicate = !noDedup
        options.minimumScored = minTokens
        return options
    }
}

/// `--tokenizer PATH`, defaulting to the default model's own tokenizer.
struct TokenizerOption: ParsableArguments {
    @Option(help: ArgumentHelp("Tokenizer: a GGUF model, a tokenizer.json or a tiktoken rank file (default: the default model's).", valueName: "path"))
    var tokenizer: String?

    /// The tokenizer for detection, with the name files record for it.
    func load(normalize: Bool, model: String? = nil) throws -> LoadedTokenizer {
        try LoadedTokenizer(path: tokenizer ?? model, normalize: normalize)
    }
}
