/// Validates UTF-8 incrementally, so that a stream read in chunks is checked without holding it.
///
/// Follows the Unicode standard's table of well-formed byte sequences (no overlongs, no
/// surrogates, nothing above U+10FFFF); a sequence may straddle two chunks.
public struct UTF8Validator {
    private var remaining = 0          // continuation bytes still expected
    private var low: UInt8 = 0x80      // allowed range of the next continuation byte
    private var high: UInt8 = 0xBF
    /// Bytes accepted so far; on failure, the offset of the offending byte.
    public private(set) var offset = 0

    public init() {}

    /// Checks the next chunk; returns false at the first ill-formed byte (see `offset`).
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> Bool {
        for b in bytes {
            if remaining > 0 {
                guard b >= low && b <= high else { return false }
                remaining -= 1
                low = 0x80; high = 0xBF
            } else {
                switch b {
                case 0x00...0x7F: break
                case 0xC2...0xDF: remaining = 1
                case 0xE0: remaining = 2; low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: remaining = 2
                case 0xED: remaining = 2; high = 0x9F
                case 0xF0: remaining = 3; low = 0x90
                case 0xF1...0xF3: remaining = 3
                case 0xF4: remaining = 3; high = 0x8F
                default: return false
                }
            }
            offset += 1
        }
        return true
    }

    /// True when the input ended on a character boundary.
    public var isComplete: Bool { remaining == 0 }
}
