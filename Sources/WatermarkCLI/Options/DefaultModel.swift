import SystemSupport

/// The default model (SystemSupport's `DefaultModelLocation`), required with a message that
/// says how to get it.
enum DefaultModel {
    static var path: String { DefaultModelLocation.path(environment: currentEnvironment()) }

    /// The default model's path, or a one-line failure that says how to fetch it.
    static func requirePath(for purpose: String) throws -> String {
        guard access(path, R_OK) == 0 else {
            let option = purpose == "tokenizer" ? "--tokenizer" : "--model"
            throw CLIFailure("\(path): the default model is missing; run Tools/fetch-model.sh, or name a \(purpose) with \(option)")
        }
        return path
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
