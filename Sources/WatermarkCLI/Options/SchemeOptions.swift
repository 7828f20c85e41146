import ArgumentParser
import Watermark

/// The scheme's parameters, shared by every command that needs the partition.
struct SchemeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Green fraction γ, strictly between 0 and 1 (quantised to 1/65536).", valueName: "fraction"))
    var gamma: Double = SchemeParameters.defaultGamma

    @Option(name: .customLong("context-width"),
            help: ArgumentHelp("Context width h: how many preceding tokens seed the partition (1–8).", valueName: "tokens"))
    var contextWidth: Int = SchemeParameters.defaultContextWidth

    func parameters(delta: Double = SchemeParameters.defaultDelta) throws -> SchemeParameters {
        do { return try SchemeParameters(gamma: gamma, contextWidth: contextWidth, delta: delta) } catch {
            throw CLIFailure(error.description)
        }
    }

    func validate() throws {
        do { _ = try SchemeParameters(gamma: gamma, contextWidth: contextWidth) } catch {
            throw ValidationError(error.description)
        }
    }
}
