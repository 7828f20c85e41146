/// Reads a GGUF image held in memory. All raw pointer arithmetic of the module is here:
/// every read is checked against `end` before it happens, and every count is checked against
/// the bytes left before anything is allocated for it.
struct GGUFParser {
    let path: String
    let base: UnsafeRawPointer?
    let size: Int
    private(set) var position = 0

    /// How deep arrays of arrays may nest; deeper is refused rather than risking the stack.
    static let maxNesting = 32
    /// GGML_MAX_DIMS.
    static let maxDimensions = 4

    init(path: String, bytes: UnsafeRawBufferPointer) {
        self.path = path
        self.base = bytes.baseAddress
        self.size = bytes.count
    }

    var remaining: Int { size - position }

    func error(_ field: @autoclosure () -> String, _ reason: GGUFError.Reason, at offset: Int? = nil) -> GGUFError {
        GGUFError(path: path, field: field(), offset: offset ?? position, reason: reason)
    }

    /// Checks that `count` more bytes exist.
    func require(_ count: UInt64, _ field: @autoclosure () -> String) throws(GGUFError) {
        if count > UInt64(remaining) {
            throw error(field(), .truncated(needed: count, available: remaining))
        }
    }

    mutating func readInteger<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws(GGUFError)
        -> T
    {
        try require(UInt64(MemoryLayout<T>.size), field())
        let v = base!.loadUnaligned(fromByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readU32(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt32 {
        try readInteger(UInt32.self, field())
    }

    mutating func readU64(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt64 {
        try readInteger(UInt64.self, field())
    }

    /// Checks that `count` items of at least `minimumSize` bytes each can fit in the rest of
    /// the file, and returns the count as `Int`.
    func checkCount(_ count: UInt64, minimumSize: Int, _ field: @autoclosure () -> String, at offset: Int)
        throws(GGUFError) -> Int
    {
        let (need, overflow) = count.multipliedReportingOverflow(by: UInt64(minimumSize))
        if overflow || need > UInt64(remaining) {
            throw error(field(), .countTooLarge(count), at: offset)
        }
        return Int(count)
    }

    /// A GGUF string: u64 byte length, then that many UTF-8 bytes.
    mutating func readString(_ field: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = position
        let length = try readU64(field() + " length")
        if length > UInt64(remaining) {
            throw error(field() + " length", .truncated(needed: length, available: remaining), at: start)
        }
        let n = Int(length)
        let s = String(decoding: UnsafeRawBufferPointer(start: base! + position, count: n), as: UTF8.self)
        position += n
        return s
    }

    mutating func readValueType(_ field: @autoclosure () -> String) throws(GGUFError) -> GGUFValueType {
        let start = position
        let code = try readU32(field())
        guard let t = GGUFValueType(rawValue: code) else {
            throw error(field(), .invalidValueType(code), at: start)
        }
        return t
    }

    /// One value of type `type`; `field` names it in errors.
    mutating func readValue(_ type: GGUFValueType, _ field: @autoclosure () -> String, depth: Int = 0) throws(GGUFError)
        -> GGUFValue
    {
        switch type {
        case .uint8: return .uint8(try readInteger(UInt8.self, field()))
        case .int8: return .int8(try readInteger(Int8.self, field()))
        case .uint16: return .uint16(try readInteger(UInt16.self, field()))
        case .int16: return .int16(try readInteger(Int16.self, field()))
        case .uint32: return .uint32(try readInteger(UInt32.self, field()))
        case .int32: return .int32(try readInteger(Int32.self, field()))
        case .float32: return .float32(Float(bitPattern: try readInteger(UInt32.self, field())))
        case .uint64: return .uint64(try readInteger(UInt64.self, field()))
        case .int64: return .int64(try readInteger(Int64.self, field()))
        case .float64: return .float64(Double(bitPattern: try readInteger(UInt64.self, field())))
        case .bool:
            let start = position
            let b = try readInteger(UInt8.self, field())
            guard b <= 1 else { throw error(field(), .invalidBool(b), at: start) }
            return .bool(b == 1)
        case .string:
            return .string(try readString(field()))
        case .array:
            return .array(try readArray(field(), depth: depth + 1))
        }
    }

    /// An array: u32 element type, u64 count, then the elements.
    mutating func readArray(_ field: @autoclosure () -> String, depth: Int) throws(GGUFError) -> GGUFArray {
        if depth > Self.maxNesting {
            throw error(field(), .nestingTooDeep(limit: Self.maxNesting))
        }
        let elementType = try readValueType(field() + " element type")
        let countOffset = position
        let rawCount = try readU64(field() + " count")
        let count = try checkCount(
            rawCount, minimumSize: elementType.minimumEncodedSize, field() + " count", at: countOffset)
        if elementType == .string {
            // One buffer for all the strings (GGUFArray): the vocabulary's 49 152 strings were
            // as many `String`s and `GGUFValue`s. First every length, checked as reading them
            // one by one would check them, then the bytes copied into one allocation.
            let first = position
            var ends = [Int](repeating: 0, count: count)
            var total = 0
            for i in 0..<count {
                let start = position
                let length = try readU64(field() + "[\(i)] length")
                if length > UInt64(remaining) {
                    throw error(field() + "[\(i)] length", .truncated(needed: length, available: remaining), at: start)
                }
                position += Int(length)
                total += Int(length)
                ends[i] = total
            }
            let image = base!
            let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                var read = first, written = 0
                for end in ends {
                    let length = end - written
                    read += 8
                    if length > 0 {
                        (buffer.baseAddress! + written).initialize(from: (image + read).assumingMemoryBound(to: UInt8.self), count: length)
                    }
                    read += length
                    written = end
                }
                initialized = total
            }
            return GGUFArray(strings: GGUFUTF8Strings(fileBytes: bytes, ends: ends))
        }
        var elements: [GGUFValue] = []
        elements.reserveCapacity(count)
        // Scalars cannot fail once the count is checked; strings and arrays name the element.
        for i in 0..<count {
            elements.append(try readValue(elementType, field() + "[\(i)]", depth: depth))
        }
        return GGUFArray(unchecked: elementType, elements)
    }

    mutating func skip(to offset: Int) {
        position = offset
    }
}
