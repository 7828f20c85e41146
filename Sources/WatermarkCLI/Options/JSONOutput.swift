import Detection
import Foundation

/// JSON for `--json` outputs: one compact object per line.
enum JSONOutput {
    enum Value: Encodable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let v): try c.encode(v)
            case .int(let v): try c.encode(v)
            case .double(let v): try c.encode(v)
            case .bool(let v): try c.encode(v)
            }
        }
    }

    static func line(_ object: [String: Value]) -> String { JSONLine.string(encoding: object) }

    static func line(encoding value: some Encodable) -> String { JSONLine.string(encoding: value) }
}
