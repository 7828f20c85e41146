/// The activations of a batch of tokens, as the matrix kernels read them: float rows (owned
/// by the caller) and, when the row length is a multiple of 32, a 16-bit quantisation of
/// each 32-element block with its scale and the exact float sum of the block. Within a block
/// the 16-bit values are stored in the kernels' lane order (elements 0, 2, …, 14, then
/// 1, 3, …, 15, then 16, 18, …, 30, then 17, 19, …, 31; see ``Kernels/Block``).
///
/// Sixteen bits (rather than GGML's eight) keep the quantisation error near 1e-5 of a block's
/// largest value, so logits stay within ~1e-3 of a float reference, while the kernels still
/// multiply with `pmaddwd` (8 products and 4 pairwise sums per instruction on SSE2).
final class ActivationBatch {
    let capacityTokens: Int
    let capacityColumns: Int
    private(set) var tokens = 0
    private(set) var columns = 0
    private(set) var isQuantized = false
    /// tokens × columns, row stride `columns`.
    private(set) var floats: UnsafePointer<Float>
    /// tokens × columns, row stride `columns`; 64-byte aligned rows when `columns % 32 == 0`.
    let quantized: UnsafeMutablePointer<Int16>
    /// tokens × columns/32: the scale of each block (value ≈ scale · quantized).
    let scales: UnsafeMutablePointer<Float>
    /// tokens × columns/32: the exact sum of each block's float values.
    let sums: UnsafeMutablePointer<Float>
    /// Always 0x000F in every lane: the 4-bit kernels' mask, read from an instance so the
    /// optimiser cannot treat it as a constant (see ``Kernels/nibbles(_:_:d:offset:)``).
    let nibbleMask: SIMD8<UInt16>

    init(tokens: Int, columns: Int) {
        capacityTokens = tokens
        capacityColumns = columns
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, tokens * columns) * 2, alignment: 64)
        quantized = raw.bindMemory(to: Int16.self, capacity: max(1, tokens * columns))
        let blocks = max(1, tokens * ((columns + 31) / 32))
        scales = .allocate(capacity: blocks)
        sums = .allocate(capacity: blocks)
        floats = UnsafePointer(scales)
        nibbleMask = SIMD8(repeating: 0x000F)
    }

    deinit {
        UnsafeMutableRawPointer(quantized).deallocate()
        scales.deallocate()
        sums.deallocate()
    }

    /// Points the batch at `x` (tokens × columns) and quantises it if its rows split into blocks of 32.
    func prepare(_ x: UnsafePointer<Float>, tokens: Int, columns: Int) {
        precondition(tokens <= capacityTokens && columns <= capacityColumns)
        self.tokens = tokens
        self.columns = columns
        floats = x
        isQuantized = columns % 32 == 0
        guard isQuantized else { return }
        let blocks = columns / 32
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 · 2^23: adding it rounds to nearest even
        for t in 0..<tokens {
            let row = UnsafeRawPointer(x + t * columns)
            let q = UnsafeMutableRawPointer(quantized + t * columns)
            for b in 0..<blocks {
                let o = 128 * b
                let v0 = row.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                let v1 = row.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
                let v2 = row.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
                let v3 = row.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
                let amax = VectorMath.larger(VectorMath.larger(abs(v0), abs(v1)), VectorMath.larger(abs(v2), abs(v3))).max()
                let scale = amax / 32767
                let inverse: Float = amax > 0 ? 32767 / amax : 0
                scales[t * blocks + b] = scale
                sums[t * blocks + b] = ((v0 + v1) + (v2 + v3)).sum()
                // Lane order of the weight kernels: 0, 2, …, 14 | 1, 3, …, 15 | 16, 18, …, 30 | 17, 19, …, 31.
                let r0 = unsafeBitCast(v0 * inverse + magic, to: SIMD8<Int32>.self) &- 0x4B40_0000
                let r1 = unsafeBitCast(v1 * inverse + magic, to: SIMD8<Int32>.self) &- 0x4B40_0000
                let r2 = unsafeBitCast(v2 * inverse + magic, to: SIMD8<Int32>.self) &- 0x4B40_0000
                let r3 = unsafeBitCast(v3 * inverse + magic, to: SIMD8<Int32>.self) &- 0x4B40_0000
                let d = (q + 64 * b).assumingMemoryBound(to: Int16.self)
                for k in 0..<4 {
                    d[k] = Int16(truncatingIfNeeded: r0[2 * k])
                    d[k + 4] = Int16(truncatingIfNeeded: r1[2 * k])
                    d[8 + k] = Int16(truncatingIfNeeded: r0[2 * k + 1])
                    d[12 + k] = Int16(truncatingIfNeeded: r1[2 * k + 1])
                    d[16 + k] = Int16(truncatingIfNeeded: r2[2 * k])
                    d[20 + k] = Int16(truncatingIfNeeded: r3[2 * k])
                    d[24 + k] = Int16(truncatingIfNeeded: r2[2 * k + 1])
                    d[28 + k] = Int16(truncatingIfNeeded: r3[2 * k + 1])
                }
            }
        }
    }
}

@inline(__always)
private func abs(_ v: SIMD8<Float>) -> SIMD8<Float> {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
}
