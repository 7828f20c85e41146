internal import CryptoSupport

/// The `greenlist-v1` partition of the vocabulary under one key and parameter set.
///
/// For a context `c` (the `h` tokens before a position) the seed is
/// `HMAC-SHA256(K, "greenlist-v1" ‖ 0x00 ‖ u8(h) ‖ u32le(c…))`; the AES-128-CTR keystream
/// under the seed's first 16 bytes gives each token `v` the score `A[2v] + 256·A[2v+1]`, and
/// `v` is green iff its score is below `G`.
///
/// The object owns its OpenSSL contexts and scratch buffers so that no call allocates once
/// warmed up. It is not thread-safe; make one per thread (construction is cheap).
public final class GreenListPartition {
    public let parameters: SchemeParameters
    public let keyID: String
    private let hmac: HMACSHA256
    private let aes: AESCTRKeystream
    private let aesBlock: AESBlock
    // Scratch owned for the object's lifetime so that the hot path neither allocates nor
    // goes through closure-taking `withUnsafeBytes` calls.
    private let message: UnsafeMutableRawBufferPointer
    private let seedBuffer: UnsafeMutableRawBufferPointer
    private let block: UnsafeMutableRawBufferPointer
    private let headerLength: Int

    static let label = Array("greenlist-v1".utf8)

    public init(key: WatermarkKey, parameters: SchemeParameters) throws(WatermarkError) {
        self.parameters = parameters
        self.keyID = key.keyID
        do {
            hmac = try HMACSHA256(key: key.bytes)
            aes = try AESCTRKeystream()
            aesBlock = try AESBlock()
        } catch {
            throw .crypto(error)
        }
        let header = Self.label + [0x00, UInt8(parameters.contextWidth)]
        headerLength = header.count
        message = .allocate(byteCount: header.count + 4 * parameters.contextWidth, alignment: 16)
        message.initializeMemory(as: UInt8.self, repeating: 0)
        message.copyBytes(from: header)
        seedBuffer = .allocate(byteCount: HMACSHA256.outputSize, alignment: 16)
        seedBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        block = .allocate(byteCount: 16, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        message.deallocate()
        seedBuffer.deallocate()
        block.deallocate()
    }

    /// The 32-byte seed for `context` (oldest token first, exactly `contextWidth` tokens).
    public func seed(after context: some Collection<UInt32>) throws(WatermarkError) -> [UInt8] {
        try computeSeed(context)
        return Array(seedBuffer)
    }

    /// Whether `token` is green at a position whose preceding tokens are `context`.
    ///
    /// Costs one HMAC and one AES block: the score of `v` sits in keystream block `v / 8`.
    public func isGreen(_ token: UInt32, after context: some Collection<UInt32>) throws(WatermarkError) -> Bool {
        try score(of: token, after: context) < parameters.greenThreshold
    }

    /// The 16-bit score `u(token)` at a position with the given context.
    public func score(of token: UInt32, after context: some Collection<UInt32>) throws(WatermarkError) -> UInt32 {
        try computeSeed(context)
        return try scoreWithCurrentSeed(token)
    }

    /// Scores of tokens `0..<count` for `context` into the caller's `scores`, one per element
    /// (`count = scores.count`).
    public func fillScores(after context: some Collection<UInt32>, into scores: inout [UInt16]) throws(WatermarkError) {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * scores.count, alignment: 16)
        defer { raw.deallocate() }
        try fillScores(after: context, into: raw)
        for (i, score) in raw.bindMemory(to: UInt16.self).enumerated() { scores[i] = score }
        #if _endian(big)
        for i in scores.indices { scores[i] = UInt16(littleEndian: scores[i]) }
        #endif
    }

    /// Scores of tokens `0..<count` for `context`, as the little-endian 16-bit words of the
    /// keystream. `output` must hold `2·count` bytes.
    package func fillScores(after context: some Collection<UInt32>, into output: UnsafeMutableRawBufferPointer) throws(WatermarkError) {
        try computeSeed(context)
        do {
            try aes.keystream(key: UnsafeRawBufferPointer(seedBuffer), into: output)
        } catch {
            throw .crypto(error)
        }
    }

    /// Streams the scores of tokens `0..<count` for `context` in pieces of `chunkTokens`,
    /// calling `body(firstToken, scores)` for each; `scratch` must hold `2·chunkTokens` bytes.
    ///
    /// A piece that fits in L1 is consumed while still cached, which is what keeps the
    /// logits processor near the cost of a plain copy of the logits.
    package func forEachScoreChunk(after context: some Collection<UInt32>, count: Int, chunkTokens: Int,
                           scratch: UnsafeMutableRawBufferPointer,
                           _ body: (Int, UnsafeRawBufferPointer) -> Void) throws(WatermarkError) {
        try computeSeed(context)
        do {
            try aes.reset(key: UnsafeRawBufferPointer(seedBuffer))
            var first = 0
            while first < count {
                let n = min(chunkTokens, count - first)
                let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(2 * n)])
                try aes.continueKeystream(into: piece)
                body(first, UnsafeRawBufferPointer(piece))
                first += n
            }
        } catch {
            throw .crypto(error)
        }
    }

    /// Scores of tokens `0..<count` for `context`, as an array (for tests and tools).
    public func scores(after context: some Collection<UInt32>, count: Int) throws(WatermarkError) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: count)
        try fillScores(after: context, into: &out)
        return out
    }

    /// The green token ids below `vocabularySize` for `context`, ascending.
    public func greenTokens(after context: some Collection<UInt32>, vocabularySize: Int) throws(WatermarkError) -> [UInt32] {
        let g = parameters.greenThreshold
        var out: [UInt32] = []
        for (v, s) in try scores(after: context, count: vocabularySize).enumerated() where UInt32(s) < g {
            out.append(UInt32(v))
        }
        return out
    }

    /// `score(of:after:)` for a context in contiguous memory: the detector's hot path, free of
    /// generic dispatch across the module boundary.
    package func score(of token: UInt32, afterContext context: UnsafeBufferPointer<UInt32>) throws(WatermarkError) -> UInt32 {
        try computeSeed(context)
        return try scoreWithCurrentSeed(token)
    }

    /// A context made ready for many single-token tests: its seed's AES key schedule is kept,
    /// so each test costs one AES block (about a tenth of an HMAC plus re-keying).
    package func prepareContext(afterContext context: UnsafeBufferPointer<UInt32>) throws(WatermarkError) -> PreparedContext {
        let prepared: PreparedContext
        do { prepared = PreparedContext(cipher: try AESBlock()) } catch { throw .crypto(error) }
        try rekey(prepared, afterContext: context)
        return prepared
    }

    /// Points an existing `PreparedContext` at another context, reusing its cipher state.
    package func rekey(_ prepared: PreparedContext, afterContext context: UnsafeBufferPointer<UInt32>) throws(WatermarkError) {
        try computeSeed(context)
        do { try prepared.cipher.setKey(UnsafeRawBufferPointer(seedBuffer)) } catch { throw .crypto(error) }
    }

    /// The AES key of `context`'s seed (its first 16 bytes) into the 16 bytes at `key`, for a
    /// caller that scores single tokens with ``hardwareScore(of:seedKey:)``.
    ///
    /// This is key-derived material: keep it in memory only, and only as long as it is useful.
    package func seedKey(afterContext context: UnsafeBufferPointer<UInt32>, into key: UnsafeMutableRawPointer) throws(WatermarkError) {
        try computeSeed(context)
        key.copyMemory(from: seedBuffer.baseAddress!, byteCount: 16)
    }

    /// True when ``hardwareScore(of:seedKey:)`` may be used on this CPU.
    package static var hasHardwareScore: Bool { HardwareAES.isAvailable }

    /// The score of `token` under a seed key from ``seedKey(afterContext:into:)``, with the
    /// CPU's AES instructions: the same value as ``score(of:prepared:)`` without OpenSSL's
    /// per-call cost. Only when ``hasHardwareScore``.
    @inline(__always)
    package static func hardwareScore(of token: UInt32, seedKey: UnsafeRawPointer) -> UInt32 {
        HardwareAES.score(key: seedKey, token: token)
    }

    /// Keystream block `index` (the scores of tokens `8·index ..< 8·index + 8`) at the
    /// prepared context, into `output` (16 bytes).
    package func encryptBlock(_ index: Int, prepared: PreparedContext, into output: UnsafeMutableRawBufferPointer) throws(WatermarkError) {
        do { try prepared.cipher.encryptCounter(block: UInt64(index), into: output) } catch { throw .crypto(error) }
    }

    /// The score of `token` at the prepared context.
    package func score(of token: UInt32, prepared: PreparedContext) throws(WatermarkError) -> UInt32 {
        do { try prepared.cipher.encryptCounter(block: UInt64(token / 8), into: block) } catch { throw .crypto(error) }
        let byteOffset = Int(token % 8) * 2
        return UInt32(block.load(fromByteOffset: byteOffset, as: UInt8.self))
            | UInt32(block.load(fromByteOffset: byteOffset + 1, as: UInt8.self)) << 8
    }

    // MARK: - Internals

    private func computeSeed(_ context: some Collection<UInt32>) throws(WatermarkError) {
        guard context.count == parameters.contextWidth else {
            throw .contextLength(expected: parameters.contextWidth, found: context.count)
        }
        var offset = headerLength
        for t in context {
            message.storeBytes(of: t.littleEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }
        try authenticateMessage()
    }

    private func computeSeed(_ context: UnsafeBufferPointer<UInt32>) throws(WatermarkError) {
        guard context.count == parameters.contextWidth else {
            throw .contextLength(expected: parameters.contextWidth, found: context.count)
        }
        var offset = headerLength
        for i in 0..<context.count {
            message.storeBytes(of: context[i].littleEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }
        try authenticateMessage()
    }

    private func authenticateMessage() throws(WatermarkError) {
        do {
            try hmac.authenticate(UnsafeRawBufferPointer(message), into: seedBuffer)
        } catch {
            throw .crypto(error)
        }
    }

    private func scoreWithCurrentSeed(_ token: UInt32) throws(WatermarkError) -> UInt32 {
        let byteOffset = Int(token % 8) * 2
        do {
            try aesBlock.encryptCounter(key: UnsafeRawBufferPointer(seedBuffer), block: UInt64(token / 8), into: block)
        } catch {
            throw .crypto(error)
        }
        return UInt32(block[byteOffset]) | UInt32(block[byteOffset + 1]) << 8
    }
}

/// A context's keyed AES state, from `GreenListPartition.prepareContext(afterContext:)`.
///
/// Holds key-derived material: keep it in memory only, and only as long as it is useful.
package final class PreparedContext {
    let cipher: AESBlock
    init(cipher: AESBlock) { self.cipher = cipher }
}
