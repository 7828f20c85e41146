import Detection
import GGUF
import Tokenizer

/// A tokenizer loaded for detection, with the file name that calibration and common-tuple
/// files record beside its fingerprint.
struct LoadedTokenizer {
    let detection: DetectionTokenizer
    let name: String

    /// Loads `path` (nil: the default model); one-line errors name the file.
    init(path: String?, normalize: Bool) throws {
        let path = try path ?? DefaultModel.requirePath(for: "tokenizer")
        do {
            detection = DetectionTokenizer(try BPETokenizer.load(path: path), normalize: normalize)
        } catch let error as TokenizerError {
            throw CLIFailure(error.description)
        } catch let error as GGUFError {
            throw CLIFailure(error.description)  // it names the file already
        } catch {
            throw CLIFailure("\(path): \(error)")
        }
        name = path.split(separator: "/").last.map(String.init) ?? ""
    }

    var descriptor: CalibrationFile.Tokenizer { .init(fingerprint: detection.fingerprint, name: name) }
}
