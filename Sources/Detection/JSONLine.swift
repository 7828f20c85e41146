import Foundation

/// The JSON every front end writes: one compact object per line, keys sorted, slashes as
/// they are, so the same result is the same bytes wherever it comes from.
public enum JSONLine {
    /// `value` as one line of JSON (without the newline).
    public static func string(encoding value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding the package's own value types cannot fail; an empty object is a safe fallback.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
