/// Where `Tools/fetch-model.sh` puts the default model, SmolLM2-135M-Instruct (GGUF, Q4_1).
enum DefaultModel {
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// `${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}`, as the script uses.
    static var cacheDirectory: String {
        let env = currentEnvironment()
        if let explicit = env["WATERMARK_CACHE"], !explicit.isEmpty { return explicit }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? "") + "/.cache")
        return base + "/swift-watermark"
    }

    static var path: String { cacheDirectory + "/models/" + fileName }

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
