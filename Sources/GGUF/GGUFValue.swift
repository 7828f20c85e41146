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
        return a.elements.map { $0.string! }
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
public struct GGUFArray: Sendable, Hashable {
    public let elementType: GGUFValueType
    public let elements: [GGUFValue]

    /// Creates an array; every element must have type `elementType`.
    public init(elementType: GGUFValueType, elements: [GGUFValue]) {
        precondition(elements.allSatisfy { $0.type == elementType }, "GGUFArray elements must share one type")
        self.elementType = elementType
        self.elements = elements
    }

    init(unchecked elementType: GGUFValueType, _ elements: [GGUFValue]) {
        self.elementType = elementType
        self.elements = elements
    }

    public var count: Int { elements.count }
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
            let head = a.elements.prefix(8).map(\.description).joined(separator: ", ")
            return "[\(a.elementType) × \(a.count)]" + (a.count == 0 ? "" : " [\(head)\(a.count > 8 ? ", …" : "")]")
        }
    }
}
