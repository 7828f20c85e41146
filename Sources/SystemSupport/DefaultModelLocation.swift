/// Where `Tools/fetch-model.sh` puts the default model, SmolLM2-135M-Instruct (GGUF, Q4_1):
/// shared by the `watermark` CLI and `watermark-server`, which default to its tokenizer.
package enum DefaultModelLocation {
    package static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// `${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}`, as the script uses.
    package static func cacheDirectory(environment: [String: String]) -> String {
        if let explicit = environment["WATERMARK_CACHE"], !explicit.isEmpty { return explicit }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? "") + "/.cache")
        return base + "/swift-watermark"
    }

    package static func path(environment: [String: String]) -> String {
        cacheDirectory(environment: environment) + "/models/" + fileName
    }
}
