import WatermarkedGeneration

/// The CLI's wording around `LoadedModel`: what `embed` and `calibrate --generate` share.
enum Models {
    /// Loads the model at `path`; one-line errors name the file.
    static func load(_ path: String, raw: Bool, system: String?, ignoreEndOfTurn: Bool, threads: Int?) throws -> LoadedModel {
        do { return try LoadedModel(path: path, raw: raw, system: system, ignoreEndOfTurn: ignoreEndOfTurn, threads: threads) } catch {
            throw CLIFailure(error.description)
        }
    }

    /// The prompt's ids; `source` names the prompt in errors.
    static func encode(_ prompt: String, source: String, with model: LoadedModel) throws -> [UInt32] {
        do { return try model.encode(prompt) } catch {
            if case .chatTokenMissing = error { throw CLIFailure("\(source): \(error.description); use --raw") }
            throw CLIFailure("\(source): \(error.description)")
        }
    }
}
