/// Where one tensor lives in a GGUF file, and its shape and element type.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// Dimensions in GGML order: `dimensions[0]` is the fastest-varying (a row's length).
    public let dimensions: [Int]
    /// Element type.
    public let type: GGMLType
    /// Offset of the data from the start of the file's data section (a multiple of the alignment).
    public let offset: Int
    /// Offset of the data from the start of the file.
    public let fileOffset: Int
    /// Number of elements (the product of the dimensions).
    public let elementCount: Int
    /// Size of the data in bytes, or `nil` if the type's layout is unknown to this reader.
    public let byteCount: Int?
}
