/// `s` on one line: control and line-separator characters escaped (paths, names and text come
/// from the user and from files, and may hold anything), and cut to `limit` characters. The
/// package's one formatting function for a message that quotes a path or a value from input.
package func oneLine(_ s: String, limit: Int = 4096) -> String {
    var out = ""
    var count = 0
    for scalar in s.unicodeScalars {
        if count >= limit {
            out += "…"
            break
        }
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator:
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default:
            out.unicodeScalars.append(scalar)
        }
        count += 1
    }
    return out
}
