internal import SystemSupport
/// A GGUF file could not be opened or is not a well-formed GGUF file.
///
/// Every error names the file and the field being read, and, where it applies, the byte
/// offset in the file at which the problem was found. `description` is one line, suitable
/// for a command-line error message.
public struct GGUFError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// `open(2)` or `fstat(2)` failed with this `errno`.
        case cannotOpen(errno: Int32)
        /// The path names something other than a regular file.
        case notARegularFile
        /// `mmap(2)` failed with this `errno`.
        case cannotMap(errno: Int32)
        /// The file does not start with the bytes `GGUF`.
        case badMagic
        /// The version is not 2 or 3.
        case unsupportedVersion(UInt32)
        /// The file is a big-endian GGUF; only little-endian files are read.
        case bigEndian
        /// The field needs `needed` bytes but only `available` remain in the file.
        case truncated(needed: UInt64, available: Int)
        /// A count (of metadata pairs, tensors or array elements) cannot fit in the rest of the file.
        case countTooLarge(UInt64)
        /// A metadata value type code that GGUF does not define.
        case invalidValueType(UInt32)
        /// A boolean stored as something other than 0 or 1.
        case invalidBool(UInt8)
        /// Arrays nested deeper than the reader allows.
        case nestingTooDeep(limit: Int)
        /// The same metadata key appears twice.
        case duplicateKey(String)
        /// The same tensor name appears twice.
        case duplicateTensor(String)
        /// A tensor has more dimensions than GGML allows.
        case tooManyDimensions(UInt32)
        /// A tensor dimension, or the product of the dimensions, does not fit in a signed 64-bit integer.
        case dimensionsOverflow
        /// The first dimension is not a multiple of the tensor type's block size.
        case rowNotBlockAligned(firstDimension: Int, blockSize: Int)
        /// `general.alignment` is zero or not a power of two.
        case invalidAlignment(UInt64)
        /// A tensor's data offset is not a multiple of the alignment.
        case misalignedTensor(offset: UInt64, alignment: Int)
        /// A tensor's data (offset + size) reaches past the end of the file.
        case tensorOutOfBounds(offset: UInt64, byteCount: UInt64, fileSize: Int)
        /// A metadata value has a different type than the format requires.
        case wrongType(expected: String, found: String)
        /// A tensor type whose block layout this reader does not know.
        case unsupportedTensorType(GGMLType)
        /// No tensor has this name.
        case tensorNotFound
    }

    /// Path of the file, as given to the reader.
    public let path: String
    /// The field being read, e.g. `header.version`, `metadata["tokenizer.ggml.tokens"][17]`,
    /// or `tensor "blk.0.attn_q.weight" offset`.
    public let field: String
    /// Byte offset in the file where the problem was found, when one applies.
    public let offset: Int?
    /// What went wrong.
    public let reason: Reason

    public init(path: String, field: String, offset: Int?, reason: Reason) {
        self.path = path
        self.field = field
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        var s = "\(path): GGUF \(oneLine(field, limit: 200))"
        if let offset { s += " (byte \(offset))" }
        return oneLine(s + ": " + oneLine(reason.message, limit: 300), limit: 4096)
    }

    /// The same error with a different field name (used when an inner read names a generic field).
    func withField(_ field: String) -> GGUFError {
        GGUFError(path: path, field: field, offset: offset, reason: reason)
    }
}

extension GGUFError.Reason {
    var message: String {
        switch self {
        case .cannotOpen(let e): return "cannot open file (\(errnoDescription(e)))"
        case .notARegularFile: return "not a regular file"
        case .cannotMap(let e): return "cannot memory-map file (\(errnoDescription(e)))"
        case .badMagic: return "not a GGUF file (magic bytes are not \"GGUF\")"
        case .unsupportedVersion(let v): return "unsupported GGUF version \(v) (supported: 2, 3)"
        case .bigEndian: return "big-endian GGUF files are not supported"
        case .truncated(let needed, let available):
            return "file truncated: needs \(needed) bytes, only \(available) remain"
        case .countTooLarge(let n): return "count \(n) cannot fit in the rest of the file"
        case .invalidValueType(let t): return "invalid value type code \(t)"
        case .invalidBool(let b): return "invalid boolean byte \(b) (expected 0 or 1)"
        case .nestingTooDeep(let limit): return "arrays nested deeper than \(limit) levels"
        case .duplicateKey(let k): return "duplicate metadata key \"\(k)\""
        case .duplicateTensor(let n): return "duplicate tensor name \"\(n)\""
        case .tooManyDimensions(let n): return "\(n) dimensions (at most 4 allowed)"
        case .dimensionsOverflow: return "tensor dimensions overflow a 64-bit element count"
        case .rowNotBlockAligned(let ne0, let block):
            return "first dimension \(ne0) is not a multiple of the block size \(block)"
        case .invalidAlignment(let a): return "alignment \(a) is not a non-zero power of two"
        case .misalignedTensor(let o, let a): return "data offset \(o) is not a multiple of the alignment \(a)"
        case .tensorOutOfBounds(let o, let n, let size):
            return "data at offset \(o) with \(n) bytes reaches past the end of the file (\(size) bytes)"
        case .wrongType(let expected, let found): return "expected \(expected), found \(found)"
        case .unsupportedTensorType(let t): return "tensor type \(t) has no known block layout"
        case .tensorNotFound: return "no such tensor"
        }
    }
}
