/// The type code of a GGUF metadata value, as stored in the file.
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// Size in bytes of a scalar of this type, or `nil` for strings and arrays.
    public var scalarSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one value of this type can occupy in a file (used to bound counts
    /// before allocating): a string is at least its 8-byte length, an array its 4-byte type
    /// plus 8-byte count.
    var minimumEncodedSize: Int {
        switch self {
        case .string: return 8
        case .array: return 12
        default: return scalarSize!
        }
    }

    public var description: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .uint16: return "u16"
        case .int16: return "i16"
        case .uint32: return "u32"
        case .int32: return "i32"
        case .float32: return "f32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "u64"
        case .int64: return "i64"
        case .float64: return "f64"
        }
    }
}

/// A GGUF metadata value.
///
/// Strings are decoded as UTF-8; an invalid sequence becomes U+FFFD (GGUF requires UTF-8, so
/// this only happens in malformed files).
public enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The type code this value is stored with.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The string, if this is a string value.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, if this is a bool value.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The array, if this is an array value.
    public var array: GGUFArray? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Any integer value converted to `Int`, or `nil` if this is not an integer or does not fit.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// Any float or integer value converted to `Double`, or `nil` for other types.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    /// The elements as strings, if this is an array of strings.
    public var stringArray: [String]? {
        guard case .array(let a) = self, a.elementType == .string else { return nil }
        return a.withUTF8Strings { s in (0..<s.count).map { s.string(at: $0) } }
    }

    /// The elements as `Int`, if this is an array of integers that all fit in `Int`.
    public var intArray: [Int]? {
        guard case .array(let a) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for e in a.elements {
            guard let v = e.int else { return nil }
            out.append(v)
        }
        return out
    }

    /// The elements as `Double`, if this is an array of numbers.
    public var doubleArray: [Double]? {
        guard case .array(let a) = self else { return nil }
        var out: [Double] = []
        out.reserveCapacity(a.count)
        for e in a.elements {
            guard let v = e.double else { return nil }
            out.append(v)
        }
        return out
    }
}

/// A GGUF array: a declared element type and the elements (all of that type; elements of an
/// array of arrays each carry their own element type).
///
/// An array of strings read from a file keeps its strings as UTF-8 in one buffer: a
/// tokenizer's vocabulary and merges are ~100 000 strings, and making each a `String` and a
/// ``GGUFValue`` was a fifth of loading a tokenizer. ``elements`` makes them on demand;
/// ``withUTF8Strings(_:)`` reads the bytes without.
public struct GGUFArray: Sendable, Hashable {
    public let elementType: GGUFValueType
    private let storage: Storage

    private enum Storage: Sendable {
        case values([GGUFValue])
        case strings(GGUFUTF8Strings)
    }

    /// Creates an array; every element must have type `elementType`.
    public init(elementType: GGUFValueType, elements: [GGUFValue]) {
        precondition(elements.allSatisfy { $0.type == elementType }, "GGUFArray elements must share one type")
        self.elementType = elementType
        storage = .values(elements)
    }

    init(unchecked elementType: GGUFValueType, _ elements: [GGUFValue]) {
        self.elementType = elementType
        storage = .values(elements)
    }

    init(strings: GGUFUTF8Strings) {
        elementType = .string
        storage = .strings(strings)
    }

    /// The elements.
    public var elements: [GGUFValue] {
        switch storage {
        case .values(let v): return v
        case .strings(let s): return (0..<s.count).map { .string(s.string(at: $0)) }
        }
    }

    /// The first `n` elements (no more made than that).
    func prefix(_ n: Int) -> [GGUFValue] {
        switch storage {
        case .values(let v): return Array(v.prefix(n))
        case .strings(let s): return (0..<min(n, s.count)).map { .string(s.string(at: $0)) }
        }
    }

    /// The number of elements.
    public var count: Int {
        switch storage {
        case .values(let v): return v.count
        case .strings(let s): return s.count
        }
    }

    /// The strings of an array of strings as UTF-8 (invalid sequences already replaced by
    /// U+FFFD, as ``GGUFValue/string`` has them), or `nil` for any other array.
    public func withUTF8Strings<R>(_ body: (GGUFUTF8Strings) throws -> R) rethrows -> R? {
        switch storage {
        case .strings(let s): return try body(s)
        case .values(let v):
            guard elementType == .string else { return nil }
            var strings = GGUFUTF8Strings(reservingCapacity: v.count, bytes: 0)
            for e in v {
                var text = e.string ?? ""
                text.withUTF8 { strings.append(validUTF8: UnsafeRawBufferPointer($0)) }
            }
            return try body(strings)
        }
    }

    // Equal as their elements are, whichever way they are stored.
    public static func == (a: GGUFArray, b: GGUFArray) -> Bool {
        a.elementType == b.elementType && a.count == b.count && a.elements == b.elements
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(elementType)
        hasher.combine(elements)
    }
}

/// The strings of a GGUF string array, as UTF-8 in one buffer: string `i` is
/// `bytes[ends[i - 1]..<ends[i]]`.
public struct GGUFUTF8Strings: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    init(reservingCapacity count: Int, bytes byteCount: Int) {
        ends.reserveCapacity(count)
        bytes.reserveCapacity(byteCount)
    }

    private init(bytes: [UInt8], ends: [Int]) {
        self.bytes = bytes
        self.ends = ends
    }

    /// The number of strings.
    public var count: Int { ends.count }

    /// Calls `body` with the UTF-8 of string `index` (valid for the call).
    @inlinable
    public func withBytes<R, E: Error>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try withAllBytes { (all, ends) throws(E) in
            let start = index == 0 ? 0 : ends[index - 1]
            return try body(UnsafeBufferPointer(rebasing: all[start..<ends[index]]))
        }
    }

    /// Calls `body` with every string's bytes at once and where each ends (string `i` is
    /// `bytes[ends[i - 1]..<ends[i]]`), for reading all of them without a call per string.
    @inlinable
    public func withAllBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Int>) throws(E) -> R) throws(E) -> R {
        try _bytes.withUnsafeBufferPointer { (b) throws(E) in try _ends.withUnsafeBufferPointer { (e) throws(E) in try body(b, e) } }
    }

    @usableFromInline var _bytes: [UInt8] { bytes }
    @usableFromInline var _ends: [Int] { ends }

    /// String `index`.
    public func string(at index: Int) -> String {
        withBytes(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends bytes already known to be valid UTF-8.
    mutating func append(validUTF8 p: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: p.assumingMemoryBound(to: UInt8.self))
        ends.append(bytes.count)
    }

    /// Strings read from a file, `bytes` cut at `ends`: kept as they are when every one is
    /// valid UTF-8, else each invalid one replaced by `String(decoding:)`'s repair of it
    /// (U+FFFD for each invalid sequence), as ``GGUFValue/string`` would have it.
    init(fileBytes: [UInt8], ends: [Int]) {
        // Every string is valid exactly when the whole buffer is and no string starts with a
        // continuation byte (a sequence cut at a string's end would then be cut in the buffer).
        let valid = fileBytes.withUnsafeBytes(isValidUTF8) && fileBytes.withUnsafeBufferPointer { b in
            var start = 0
            for end in ends {
                if end > start && b[start] & 0xC0 == 0x80 { return false }
                start = end
            }
            return true
        }
        if valid {
            self.init(bytes: fileBytes, ends: ends)
            return
        }
        var repaired = GGUFUTF8Strings(reservingCapacity: ends.count, bytes: fileBytes.count)
        fileBytes.withUnsafeBytes { all in
            var start = 0
            for end in ends {
                repaired.append(fileBytes: UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        self = repaired
    }

    /// Appends a string read from a file: its bytes if they are valid UTF-8, else the bytes of
    /// `String(decoding:)`'s repair of them (U+FFFD for each invalid sequence).
    mutating func append(fileBytes p: UnsafeRawBufferPointer) {
        if isValidUTF8(p) {
            append(validUTF8: p)
        } else {
            var repaired = String(decoding: p, as: UTF8.self)
            repaired.withUTF8 { append(validUTF8: UnsafeRawBufferPointer($0)) }
        }
    }
}

/// Whether `p` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF), the test `String(decoding:)` applies before replacing anything.
func isValidUTF8(_ raw: UnsafeRawBufferPointer) -> Bool {
    guard let base = raw.baseAddress else { return true }
    let p = base.assumingMemoryBound(to: UInt8.self)
    let n = raw.count
    var i = 0
    while i < n {
        // Eight ASCII bytes at a time: most of a vocabulary is ASCII.
        if i + 8 <= n && base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
            continue
        }
        let b0 = p[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        // Two-byte characters first: GPT-2's byte alphabet spells a space as U+0120.
        if b0 &- 0xC2 < 0x1E {
            guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return false }
            i += 2
            continue
        }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the second byte's range
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0  // not overlong
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F  // not a surrogate
        case 0xF0: length = 4; low = 0x90  // not overlong
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F  // not above U+10FFFF
        default: return false
        }
        guard i + length <= n, p[i + 1] >= low, p[i + 1] <= high else { return false }
        var k = 2
        while k < length {
            guard p[i + k] & 0xC0 == 0x80 else { return false }
            k += 1
        }
        i += length
    }
    return true
}

extension GGUFValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .uint8(let v): return "\(v)"
        case .int8(let v): return "\(v)"
        case .uint16(let v): return "\(v)"
        case .int16(let v): return "\(v)"
        case .uint32(let v): return "\(v)"
        case .int32(let v): return "\(v)"
        case .float32(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let s): return "\"\(s)\""
        case .uint64(let v): return "\(v)"
        case .int64(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .array(let a):
            let head = a.prefix(8).map(\.description).joined(separator: ", ")
            return "[\(a.elementType) × \(a.count)]" + (a.count == 0 ? "" : " [\(head)\(a.count > 8 ? ", …" : "")]")
        }
    }
}
