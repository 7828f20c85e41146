/// A GGML tensor element type, as stored in a GGUF tensor info.
///
/// A struct rather than an enum so that a file naming a type this reader does not know can
/// still be opened (its metadata read); only that tensor's data is then unavailable.
public struct GGMLType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2)
    public static let q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6)
    public static let q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let q8_1 = GGMLType(rawValue: 9)
    public static let q2_K = GGMLType(rawValue: 10)
    public static let q3_K = GGMLType(rawValue: 11)
    public static let q4_K = GGMLType(rawValue: 12)
    public static let q5_K = GGMLType(rawValue: 13)
    public static let q6_K = GGMLType(rawValue: 14)
    public static let q8_K = GGMLType(rawValue: 15)
    public static let iq4_nl = GGMLType(rawValue: 20)
    public static let iq4_xs = GGMLType(rawValue: 23)
    public static let i8 = GGMLType(rawValue: 24)
    public static let i16 = GGMLType(rawValue: 25)
    public static let i32 = GGMLType(rawValue: 26)
    public static let i64 = GGMLType(rawValue: 27)
    public static let f64 = GGMLType(rawValue: 28)
    public static let bf16 = GGMLType(rawValue: 30)

    /// Block layout: elements per block and bytes per block (GGML's `blck_size`/`type_size`).
    public struct Layout: Sendable, Hashable {
        public let blockSize: Int
        public let bytesPerBlock: Int
    }

    /// Name and layout of every type this reader knows, from GGML's block definitions
    /// (`ggml-common.h`); "K" types use 256-element super-blocks.
    private static let table: [UInt32: (name: String, layout: Layout)] = [
        0: ("F32", Layout(blockSize: 1, bytesPerBlock: 4)),
        1: ("F16", Layout(blockSize: 1, bytesPerBlock: 2)),
        2: ("Q4_0", Layout(blockSize: 32, bytesPerBlock: 18)),  // f16 d, 16 B nibbles
        3: ("Q4_1", Layout(blockSize: 32, bytesPerBlock: 20)),  // f16 d, f16 m, 16 B nibbles
        6: ("Q5_0", Layout(blockSize: 32, bytesPerBlock: 22)),  // f16 d, 4 B high bits, 16 B
        7: ("Q5_1", Layout(blockSize: 32, bytesPerBlock: 24)),
        8: ("Q8_0", Layout(blockSize: 32, bytesPerBlock: 34)),  // f16 d, 32 × i8
        9: ("Q8_1", Layout(blockSize: 32, bytesPerBlock: 36)),  // f16 d, f16 s, 32 × i8
        10: ("Q2_K", Layout(blockSize: 256, bytesPerBlock: 84)),
        11: ("Q3_K", Layout(blockSize: 256, bytesPerBlock: 110)),
        12: ("Q4_K", Layout(blockSize: 256, bytesPerBlock: 144)),  // d, dmin, 12 B scales, 128 B
        13: ("Q5_K", Layout(blockSize: 256, bytesPerBlock: 176)),
        14: ("Q6_K", Layout(blockSize: 256, bytesPerBlock: 210)),  // 128 ql, 64 qh, 16 scales, d
        15: ("Q8_K", Layout(blockSize: 256, bytesPerBlock: 292)),  // f32 d, 256 × i8, 16 × i16
        20: ("IQ4_NL", Layout(blockSize: 32, bytesPerBlock: 18)),
        23: ("IQ4_XS", Layout(blockSize: 256, bytesPerBlock: 136)),
        24: ("I8", Layout(blockSize: 1, bytesPerBlock: 1)),
        25: ("I16", Layout(blockSize: 1, bytesPerBlock: 2)),
        26: ("I32", Layout(blockSize: 1, bytesPerBlock: 4)),
        27: ("I64", Layout(blockSize: 1, bytesPerBlock: 8)),
        28: ("F64", Layout(blockSize: 1, bytesPerBlock: 8)),
        30: ("BF16", Layout(blockSize: 1, bytesPerBlock: 2)),
    ]

    /// The block layout, or `nil` for a type this reader does not know.
    public var layout: Layout? { Self.table[rawValue]?.layout }

    /// Elements per block, or `nil` for an unknown type.
    public var blockSize: Int? { layout?.blockSize }

    /// Bytes per block, or `nil` for an unknown type.
    public var bytesPerBlock: Int? { layout?.bytesPerBlock }

    /// GGML's name for the type (`Q4_1`), or `type#N` for an unknown type.
    public var name: String { Self.table[rawValue]?.name ?? "type#\(rawValue)" }

    public var description: String { name }

    /// Bytes needed for `elementCount` elements, or `nil` if the type is unknown, the count
    /// is not a whole number of blocks, or the size overflows.
    public func byteCount(forElements elementCount: Int) -> Int? {
        guard let layout, elementCount >= 0, elementCount % layout.blockSize == 0 else { return nil }
        let (bytes, overflow) = (elementCount / layout.blockSize).multipliedReportingOverflow(by: layout.bytesPerBlock)
        return overflow ? nil : bytes
    }
}
