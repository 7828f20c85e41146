/// A GGUF file (versions 2 and 3, little-endian), memory-mapped and parsed.
///
/// Opening reads the header, all metadata and all tensor infos, and checks every count,
/// length, offset and size against the file before using or allocating for it: a truncated,
/// corrupt or hostile file throws a ``GGUFError`` naming the file and field; it never crashes
/// or allocates more than the file could describe. Tensor data is not read or copied: views
/// point into the mapping.
///
/// Immutable after `init`, so it can be shared between threads. Buffers handed to
/// ``withTensorData(named:_:)`` are valid for the call.
public final class GGUFFile: Sendable {
    /// The path the file was opened from.
    public let path: String
    /// Format version (2 or 3).
    public let version: UInt32
    /// Number of tensors declared in the header.
    public let tensorCount: Int
    /// Number of metadata pairs declared in the header.
    public let metadataCount: Int
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Offset of the tensor data section from the start of the file.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public var fileSize: Int { mapping.bytes.count }

    private let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// The default data alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32

    /// Opens and parses the GGUF file at `path`.
    public init(path: String) throws(GGUFError) {
        self.path = path
        mapping = try MappedFile(path: path)
        var p = GGUFParser(path: path, bytes: mapping.bytes)
        let fileSize = mapping.bytes.count

        // Header: magic, version, tensor count, metadata count.
        let magic = try p.readU32("header.magic")
        guard magic == 0x4655_4747 else {  // "GGUF" read little-endian
            throw p.error("header.magic", .badMagic, at: 0)
        }
        let v = try p.readU32("header.version")
        if v != 2 && v != 3 {
            if v & 0xFFFF == 0, v.byteSwapped == 2 || v.byteSwapped == 3 {
                throw p.error("header.version", .bigEndian, at: 4)
            }
            throw p.error("header.version", .unsupportedVersion(v), at: 4)
        }
        version = v
        let tensorCountOffset = p.position
        let rawTensorCount = try p.readU64("header.tensor_count")
        let kvCountOffset = p.position
        let rawKVCount = try p.readU64("header.metadata_kv_count")
        // Each pair needs at least a key length, a type and a 1-byte value; each tensor info
        // at least a name length, a dimension count, a type and an offset.
        let kvCount = try p.checkCount(
            rawKVCount, minimumSize: 8 + 4 + 1, "header.metadata_kv_count", at: kvCountOffset)
        let nTensors = try p.checkCount(
            rawTensorCount, minimumSize: 8 + 4 + 4 + 8, "header.tensor_count", at: tensorCountOffset)
        tensorCount = nTensors
        metadataCount = kvCount

        // Metadata.
        var keys: [String] = []
        keys.reserveCapacity(kvCount)
        var values: [String: GGUFValue] = [:]
        values.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let keyOffset = p.position
            let key = try p.readString("metadata[\(i)].key")
            let type = try p.readValueType("metadata[\"\(key)\"].type")
            let value = try p.readValue(type, "metadata[\"\(key)\"]")
            if values.updateValue(value, forKey: key) != nil {
                throw p.error("metadata[\(i)].key", .duplicateKey(key), at: keyOffset)
            }
            keys.append(key)
        }
        metadataKeys = keys
        metadata = values

        var align = Self.defaultAlignment
        if let a = values["general.alignment"] {
            guard case .uint32(let raw) = a else {
                throw p.error(
                    "metadata[\"general.alignment\"]", .wrongType(expected: "u32", found: "\(a.type)"), at: nil)
            }
            guard raw != 0, raw & (raw - 1) == 0 else {
                throw p.error("metadata[\"general.alignment\"]", .invalidAlignment(UInt64(raw)), at: nil)
            }
            align = Int(raw)
        }
        alignment = align

        // Tensor infos: name, dimension count, dimensions, type, offset.
        struct Raw {
            var name: String
            var dims: [Int]
            var type: GGMLType
            var offset: UInt64
            var elements: Int
            var infoOffset: Int
        }
        var raws: [Raw] = []
        raws.reserveCapacity(nTensors)
        var index: [String: Int] = [:]
        index.reserveCapacity(nTensors)
        for i in 0..<nTensors {
            let infoOffset = p.position
            let name = try p.readString("tensor[\(i)].name")
            let label = "tensor \"\(name)\""
            if index[name] != nil {
                throw p.error("\(label) name", .duplicateTensor(name), at: infoOffset)
            }
            index[name] = i
            let nDimsOffset = p.position
            let nDims = try p.readU32("\(label) n_dims")
            guard nDims <= UInt32(GGUFParser.maxDimensions) else {
                throw p.error("\(label) n_dims", .tooManyDimensions(nDims), at: nDimsOffset)
            }
            var dims: [Int] = []
            dims.reserveCapacity(Int(nDims))
            var elements = 1
            for d in 0..<Int(nDims) {
                let dimOffset = p.position
                let raw = try p.readU64("\(label) dims[\(d)]")
                guard let dim = Int(exactly: raw) else {
                    throw p.error("\(label) dims[\(d)]", .dimensionsOverflow, at: dimOffset)
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow else {
                    throw p.error("\(label) dims[\(d)]", .dimensionsOverflow, at: dimOffset)
                }
                elements = product
                dims.append(dim)
            }
            let type = GGMLType(rawValue: try p.readU32("\(label) type"))
            let offsetOffset = p.position
            let offset = try p.readU64("\(label) offset")
            guard offset % UInt64(align) == 0 else {
                throw p.error("\(label) offset", .misalignedTensor(offset: offset, alignment: align), at: offsetOffset)
            }
            if let blockSize = type.blockSize, let ne0 = dims.first, ne0 % blockSize != 0 {
                throw p.error(
                    "\(label) dims[0]", .rowNotBlockAligned(firstDimension: ne0, blockSize: blockSize), at: infoOffset)
            }
            raws.append(
                Raw(name: name, dims: dims, type: type, offset: offset, elements: elements, infoOffset: offsetOffset))
        }

        // The data section starts at the next multiple of the alignment. A file with no
        // tensors may end right after its infos.
        let (padded, overflow) = p.position.addingReportingOverflow(align - 1)
        let dataStart = overflow ? Int.max : padded / align * align
        if nTensors > 0 && dataStart > fileSize {
            throw p.error(
                "data section", .truncated(needed: UInt64(dataStart - p.position), available: p.remaining),
                at: p.position)
        }
        dataOffset = dataStart

        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(nTensors)
        for r in raws {
            var byteCount: Int? = nil
            if r.type.layout != nil {
                guard let n = r.type.byteCount(forElements: r.elements) else {
                    throw p.error("tensor \"\(r.name)\" dims", .dimensionsOverflow, at: r.infoOffset)
                }
                // offset + size must stay inside the file; compare without overflowing.
                let available = fileSize - dataStart
                if r.offset > UInt64(available) || UInt64(n) > UInt64(available) - r.offset {
                    throw p.error(
                        "tensor \"\(r.name)\" offset",
                        .tensorOutOfBounds(offset: r.offset, byteCount: UInt64(n), fileSize: fileSize), at: r.infoOffset
                    )
                }
                byteCount = n
            } else if r.offset > UInt64(fileSize - min(dataStart, fileSize)) {
                throw p.error(
                    "tensor \"\(r.name)\" offset",
                    .tensorOutOfBounds(offset: r.offset, byteCount: 0, fileSize: fileSize), at: r.infoOffset)
            }
            infos.append(
                GGUFTensorInfo(
                    name: r.name, dimensions: r.dims, type: r.type, offset: Int(r.offset),
                    fileOffset: dataStart + Int(r.offset), elementCount: r.elements, byteCount: byteCount))
        }
        tensors = infos
        tensorIndex = index
    }

    /// The metadata value for `key`, or `nil`.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// The info of the tensor named `name`, or `nil`.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of the tensor named `name`, pointing into the mapping.
    ///
    /// The buffer is valid while this `GGUFFile` is alive (the runtime keeps the file with the
    /// weights it points into); its length is the tensor's ``GGUFTensorInfo/byteCount``.
    /// Throws if there is no such tensor or its type's layout is unknown. Outside the package,
    /// ``withTensorData(named:_:)`` gives the bytes for the length of a call instead.
    package func tensorData(named name: String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard let info = tensor(named: name) else {
            throw GGUFError(path: path, field: "tensor \"\(name)\"", offset: nil, reason: .tensorNotFound)
        }
        return try tensorData(for: info)
    }

    /// The bytes of the tensor described by `info` (which must come from this file).
    package func tensorData(for info: GGUFTensorInfo) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard let n = info.byteCount else {
            throw GGUFError(
                path: path, field: "tensor \"\(info.name)\" type", offset: nil,
                reason: .unsupportedTensorType(info.type))
        }
        // Checked at open; re-checked here because `info` is a public value a caller could build.
        guard info.fileOffset >= dataOffset, info.fileOffset <= fileSize, n <= fileSize - info.fileOffset else {
            throw GGUFError(
                path: path, field: "tensor \"\(info.name)\" offset", offset: nil,
                reason: .tensorOutOfBounds(offset: UInt64(info.offset), byteCount: UInt64(n), fileSize: fileSize))
        }
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[info.fileOffset..<(info.fileOffset + n)])
    }

    /// Runs `body` with the bytes of the tensor named `name`; the file stays alive for the
    /// call, and `body` must not keep the buffer.
    public func withTensorData<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let buffer = try tensorData(named: name)
        return try withExtendedLifetime(self) { try body(buffer) }
    }

    /// Runs `body` with the bytes of the tensor described by `info` (from this file).
    public func withTensorData<R>(for info: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let buffer = try tensorData(for: info)
        return try withExtendedLifetime(self) { try body(buffer) }
    }

    /// The string value for `key`, throwing if it is missing or not a string.
    public func requireString(_ key: String) throws(GGUFError) -> String {
        guard let v = metadata[key] else {
            throw GGUFError(
                path: path, field: "metadata[\"\(key)\"]", offset: nil,
                reason: .wrongType(expected: "string", found: "nothing"))
        }
        guard let s = v.string else {
            throw GGUFError(
                path: path, field: "metadata[\"\(key)\"]", offset: nil,
                reason: .wrongType(expected: "string", found: "\(v.type)"))
        }
        return s
    }
}
