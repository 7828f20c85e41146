import GGUF

/// A 2-D weight tensor viewed in place in the file mapping: `rows` rows of `columns` elements
/// (GGML order: `dimensions[0]` is the row length). Nothing is copied or dequantised ahead.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let kind: Kernels.Kind
    let rows: Int
    let columns: Int
    let base: UnsafeRawPointer
    let rowBytes: Int

    @inline(__always) func row(_ r: Int) -> UnsafeRawPointer { base + r * rowBytes }
}

/// Matrix kernels: `out[t·stride + r] = row r · activation t` for every token of a batch.
///
/// Q4_0, Q4_1 and Q8_0 multiply their integer weights with the 16-bit activations
/// (``ActivationBatch``) four tokens at a time, so each weight block is unpacked once per
/// four tokens during prompt processing. The other types are dequantised one row at a time
/// into stack scratch and multiplied in float.
enum Kernels {
    enum Kind: Sendable {
        case f32, f16, bf16, q4_0, q4_1, q8_0, q4_K, q6_K

        var isInteger: Bool { self == .q4_0 || self == .q4_1 || self == .q8_0 }
    }

    static let supportedTypeNames = "F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K"

    static func kind(for type: GGMLType) -> Kind? {
        switch type {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q8_0: return .q8_0
        case .q4_K: return .q4_K
        case .q6_K: return .q6_K
        default: return nil
        }
    }

    /// Rows `rows` of `w` times every token of `a`, written to `out[t * stride + r]`.
    static func multiply(_ w: WeightMatrix, rows: Range<Int>, _ a: ActivationBatch,
                         out: UnsafeMutablePointer<Float>, stride: Int) {
        precondition(a.columns == w.columns)
        switch w.kind {
        case .q4_1 where a.isQuantized: integerRows(Q4_1.self, w, rows, a, out, stride)
        case .q4_0 where a.isQuantized: integerRows(Q4_0.self, w, rows, a, out, stride)
        case .q8_0 where a.isQuantized: integerRows(Q8_0.self, w, rows, a, out, stride)
        case .f32:
            for r in rows {
                let row = w.row(r).assumingMemoryBound(to: Float.self)
                for t in 0..<a.tokens { out[t * stride + r] = VectorMath.dot(row, a.floats + t * w.columns, w.columns) }
            }
        default:
            withUnsafeTemporaryAllocation(of: Float.self, capacity: w.columns) { scratch in
                let row = scratch.baseAddress!
                for r in rows {
                    dequantizeRow(w, r, into: row)
                    for t in 0..<a.tokens { out[t * stride + r] = VectorMath.dot(row, a.floats + t * w.columns, w.columns) }
                }
            }
        }
    }

    // MARK: Integer kernels

    /// One 32-element weight block as 16-bit integers, value = `d · w + offset`, in the lane
    /// order the activations are stored in (see ``ActivationBatch``): `w0` holds elements
    /// 0, 2, …, 14, `w1` 1, 3, …, 15, `w2` 16, 18, …, 30 and `w3` 17, 19, …, 31. That order
    /// falls out of reading the block as 16-bit lanes and shifting, which SSE2 does in one
    /// instruction each, where widening bytes in element order would need shuffles.
    struct Block {
        var w0, w1, w2, w3: SIMD8<Int16>
        var d: Float
        var offset: Float
    }

    protocol BlockFormat {
        static var bytes: Int { get }
        static func decode(_ p: UnsafeRawPointer, mask: SIMD8<UInt16>) -> Block
    }

    /// Q4_0: f16 d, 16 bytes of nibbles (low nibbles are elements 0–15, high 16–31); value = d·(q − 8).
    enum Q4_0: BlockFormat {
        static var bytes: Int { 18 }
        @inline(__always) static func decode(_ p: UnsafeRawPointer, mask: SIMD8<UInt16>) -> Block {
            let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
            return nibbles(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self), mask, d: d, offset: -8 * d)
        }
    }

    /// Q4_1: f16 d, f16 m, 16 bytes of nibbles; value = d·q + m.
    enum Q4_1: BlockFormat {
        static var bytes: Int { 20 }
        @inline(__always) static func decode(_ p: UnsafeRawPointer, mask: SIMD8<UInt16>) -> Block {
            let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
            let m = halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            return nibbles(p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self), mask, d: d, offset: m)
        }
    }

    /// Q8_0: f16 d, 32 signed bytes; value = d·q.
    enum Q8_0: BlockFormat {
        static var bytes: Int { 34 }
        @inline(__always) static func decode(_ p: UnsafeRawPointer, mask: SIMD8<UInt16>) -> Block {
            let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
            let a = unsafeBitCast(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self), to: SIMD8<Int16>.self)
            let b = unsafeBitCast(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self), to: SIMD8<Int16>.self)
            return Block(w0: (a &<< 8) &>> 8, w1: a &>> 8, w2: (b &<< 8) &>> 8, w3: b &>> 8, d: d, offset: 0)
        }
    }

    /// Byte 2k holds elements 2k (low nibble) and 16 + 2k (high); byte 2k + 1 holds 2k + 1 and 17 + 2k.
    ///
    /// Codegen notes (measured): loading 16 bytes as `SIMD8<UInt16>` makes LLVM split the load
    /// in two, hence the byte load and bit cast; and with a constant mask LLVM "knows" the
    /// lanes fit in a byte and adds pack/unpack shuffles, hence a mask it cannot see through
    /// (``ActivationBatch/nibbleMask``, passed down). Both cost ~40% of the kernel's time.
    @inline(__always)
    static func nibbles(_ bytes: SIMD16<UInt8>, _ mask: SIMD8<UInt16>, d: Float, offset: Float) -> Block {
        let v = unsafeBitCast(bytes, to: SIMD8<UInt16>.self)
        return Block(w0: unsafeBitCast(v & mask, to: SIMD8<Int16>.self),
                     w1: unsafeBitCast((v &>> 8) & mask, to: SIMD8<Int16>.self),
                     w2: unsafeBitCast((v &>> 4) & mask, to: SIMD8<Int16>.self),
                     w3: unsafeBitCast((v &>> 12) & mask, to: SIMD8<Int16>.self), d: d, offset: offset)
    }

    /// Σ over 8 products, pairwise into 4 lanes: LLVM turns this into one `pmaddwd`.
    ///
    /// Written lane by lane on purpose: the standard library's generic
    /// `SIMD8<Int32>(truncatingIfNeeded:)` is a specialised function that the optimiser does
    /// not always inline (it depends on how the module is split for code generation, and
    /// `-enable-testing` changes that), and a call per conversion is 5× slower.
    @inline(__always)
    static func mad(_ w: SIMD8<Int16>, _ a: UnsafeRawPointer, _ byteOffset: Int) -> SIMD4<Int32> {
        let p = widen(w) &* widen(a.load(fromByteOffset: byteOffset, as: SIMD8<Int16>.self))
        return SIMD4(p[0] &+ p[1], p[2] &+ p[3], p[4] &+ p[5], p[6] &+ p[7])
    }

    @inline(__always)
    static func widen(_ v: SIMD8<Int16>) -> SIMD8<Int32> {
        SIMD8(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
    }

    @inline(__always)
    static func float(_ v: SIMD4<Int32>) -> SIMD4<Float> {
        SIMD4(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]))
    }

    @inline(__always)
    static func blockDot(_ blk: Block, _ q: UnsafeRawPointer) -> SIMD4<Int32> {
        (mad(blk.w0, q, 0) &+ mad(blk.w1, q, 16)) &+ (mad(blk.w2, q, 32) &+ mad(blk.w3, q, 48))
    }

    static func integerRows<F: BlockFormat>(_ format: F.Type, _ w: WeightMatrix, _ rows: Range<Int>, _ a: ActivationBatch,
                                            _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
        let nb = w.columns / 32
        let columns = w.columns
        let tokens = a.tokens
        let q = UnsafeRawPointer(a.quantized)
        let mask = a.nibbleMask
        for r in rows {
            let row = w.row(r)
            var t = 0
            while t + 4 <= tokens {
                let v = rowDot4(F.self, row, nb, q + 2 * t * columns, 2 * columns, a.scales + t * nb, a.sums + t * nb, mask)
                for k in 0..<4 { out[(t + k) * stride + r] = v[k] }
                t += 4
            }
            while t < tokens {
                out[t * stride + r] = rowDot1(F.self, row, nb, q + 2 * t * columns, a.scales + t * nb, a.sums + t * nb, mask)
                t += 1
            }
        }
    }

    /// One row times one token.
    @inline(never)
    static func rowDot1<F: BlockFormat>(_ format: F.Type, _ row: UnsafeRawPointer, _ nb: Int, _ q: UnsafeRawPointer,
                                        _ scales: UnsafePointer<Float>, _ sums: UnsafePointer<Float>,
                                        _ mask: SIMD8<UInt16>) -> Float {
        var acc = SIMD4<Float>()
        var off: Float = 0
        for b in 0..<nb {
            let blk = F.decode(row + b * F.bytes, mask: mask)
            acc += float(blockDot(blk, q + 64 * b)) * (blk.d * scales[b])
            off += blk.offset * sums[b]
        }
        return acc.sum() + off
    }

    /// One row times four tokens (whose quantised rows are `tokenBytes` apart): each weight
    /// block is decoded once for the four.
    @inline(never)
    static func rowDot4<F: BlockFormat>(_ format: F.Type, _ row: UnsafeRawPointer, _ nb: Int, _ q: UnsafeRawPointer,
                                        _ tokenBytes: Int, _ scales: UnsafePointer<Float>,
                                        _ sums: UnsafePointer<Float>, _ mask: SIMD8<UInt16>) -> SIMD4<Float> {
        var acc0 = SIMD4<Float>(), acc1 = SIMD4<Float>(), acc2 = SIMD4<Float>(), acc3 = SIMD4<Float>()
        var off = SIMD4<Float>()
        for b in 0..<nb {
            let blk = F.decode(row + b * F.bytes, mask: mask)
            let qb = q + 64 * b
            acc0 += float(blockDot(blk, qb)) * (blk.d * scales[b])
            acc1 += float(blockDot(blk, qb + tokenBytes)) * (blk.d * scales[b + nb])
            acc2 += float(blockDot(blk, qb + 2 * tokenBytes)) * (blk.d * scales[b + 2 * nb])
            acc3 += float(blockDot(blk, qb + 3 * tokenBytes)) * (blk.d * scales[b + 3 * nb])
            off += blk.offset * SIMD4(sums[b], sums[b + nb], sums[b + 2 * nb], sums[b + 3 * nb])
        }
        return SIMD4(acc0.sum(), acc1.sum(), acc2.sum(), acc3.sum()) + off
    }

    // MARK: Dequantisation

    /// Writes row `r` of `w` as floats (`w.columns` of them) to `out`.
    static func dequantizeRow(_ w: WeightMatrix, _ r: Int, into out: UnsafeMutablePointer<Float>) {
        let p = w.row(r)
        let n = w.columns
        switch w.kind {
        case .f32:
            out.update(from: p.assumingMemoryBound(to: Float.self), count: n)
        case .f16:
            var i = 0
            while i + 8 <= n {
                let v = halfToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
                UnsafeMutableRawPointer(out + i).storeBytes(of: v, as: SIMD8<Float>.self)
                i += 8
            }
            while i < n {
                out[i] = halfToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                i += 1
            }
        case .bf16:
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        case .q4_0, .q4_1, .q8_0:
            let bytes = w.kind == .q4_0 ? Q4_0.bytes : w.kind == .q4_1 ? Q4_1.bytes : Q8_0.bytes
            for b in 0..<(n / 32) {
                let blk: Block
                let mask = SIMD8<UInt16>(repeating: 0x000F)
                switch w.kind {
                case .q4_0: blk = Q4_0.decode(p + b * bytes, mask: mask)
                case .q4_1: blk = Q4_1.decode(p + b * bytes, mask: mask)
                default: blk = Q8_0.decode(p + b * bytes, mask: mask)
                }
                let y = out + 32 * b
                for k in 0..<8 {
                    y[2 * k] = Float(blk.w0[k]) * blk.d + blk.offset
                    y[2 * k + 1] = Float(blk.w1[k]) * blk.d + blk.offset
                    y[16 + 2 * k] = Float(blk.w2[k]) * blk.d + blk.offset
                    y[17 + 2 * k] = Float(blk.w3[k]) * blk.d + blk.offset
                }
            }
        case .q4_K:
            for b in 0..<(n / 256) { dequantizeQ4K(p + 144 * b, out + 256 * b) }
        case .q6_K:
            for b in 0..<(n / 256) { dequantizeQ6K(p + 210 * b, out + 256 * b) }
        }
    }

    /// Q4_K super-block (256 elements, 144 bytes): f16 d, f16 dmin, 12 bytes packing eight
    /// 6-bit scales and mins, 128 bytes of nibbles. Each 64-element chunk takes its first 32
    /// values from the low nibbles of 32 bytes and the next 32 from the high nibbles;
    /// value = d·scale·q − dmin·min.
    static func dequantizeQ4K(_ p: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = halfToFloat(p.loadUnaligned(as: UInt16.self))
        let dmin = halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let s = p + 4
        let qs = (p + 16).assumingMemoryBound(to: UInt8.self)
        func scaleMin(_ j: Int) -> (Float, Float) {
            let sc: UInt8, m: UInt8
            if j < 4 {
                sc = s.load(fromByteOffset: j, as: UInt8.self) & 63
                m = s.load(fromByteOffset: j + 4, as: UInt8.self) & 63
            } else {
                sc = (s.load(fromByteOffset: j + 4, as: UInt8.self) & 0x0F) | ((s.load(fromByteOffset: j - 4, as: UInt8.self) >> 6) << 4)
                m = (s.load(fromByteOffset: j + 4, as: UInt8.self) >> 4) | ((s.load(fromByteOffset: j, as: UInt8.self) >> 6) << 4)
            }
            return (Float(sc), Float(m))
        }
        for chunk in 0..<4 {
            let (sc1, m1) = scaleMin(2 * chunk)
            let (sc2, m2) = scaleMin(2 * chunk + 1)
            let d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2
            let q = qs + 32 * chunk
            let y = out + 64 * chunk
            for l in 0..<32 {
                y[l] = d1 * Float(q[l] & 0x0F) - o1
                y[32 + l] = d2 * Float(q[l] >> 4) - o2
            }
        }
    }

    /// Q6_K super-block (256 elements, 210 bytes): 128 bytes of low nibbles, 64 bytes of
    /// 2-bit high parts, 16 signed 8-bit scales (one per 16 elements), f16 d;
    /// value = d·scale·(q − 32).
    static func dequantizeQ6K(_ p: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = halfToFloat(p.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
        for half in 0..<2 {
            let ql = (p + 64 * half).assumingMemoryBound(to: UInt8.self)
            let qh = (p + 128 + 32 * half).assumingMemoryBound(to: UInt8.self)
            let sc = (p + 192 + 8 * half).assumingMemoryBound(to: Int8.self)
            let y = out + 128 * half
            for l in 0..<32 {
                let i = l / 16
                let q1 = Int(ql[l] & 0x0F) | Int((qh[l] >> 0) & 3) << 4
                let q2 = Int(ql[l + 32] & 0x0F) | Int((qh[l] >> 2) & 3) << 4
                let q3 = Int(ql[l] >> 4) | Int((qh[l] >> 4) & 3) << 4
                let q4 = Int(ql[l + 32] >> 4) | Int((qh[l] >> 6) & 3) << 4
                y[l] = d * Float(sc[i]) * Float(q1 - 32)
                y[l + 32] = d * Float(sc[i + 2]) * Float(q2 - 32)
                y[l + 64] = d * Float(sc[i + 4]) * Float(q3 - 32)
                y[l + 96] = d * Float(sc[i + 6]) * Float(q4 - 32)
            }
        }
    }
}
