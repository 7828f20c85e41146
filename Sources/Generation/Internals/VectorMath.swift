/// Small vectorised float routines used by the forward pass and the sampler.
enum VectorMath {
    /// e^x for eight lanes, relative error below 2e-7 over [-87, 88]; lanes below -87 give 0.
    ///
    /// Range reduction x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, and
    /// 2^n built in the exponent bits. Rounding uses the 1.5·2^23 trick because SSE2 has no
    /// vector round instruction.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var clamped = larger(x, SIMD8(repeating: -87.3))
        clamped.replace(with: 88.3, where: clamped .> 88.3)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 · 2^23
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        let r = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-06
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
        let result = p * scale
        return result.replacing(with: 0, where: x .< -87.3)
    }

    /// Scalar e^x with the same polynomial, so vector bodies and tails agree.
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(SIMD8<Float>(repeating: x))[0] }

    /// Σ a[i]·b[i] over `n` floats.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            i += 16
        }
        var s = (s0 + s1).sum()
        while i < n {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// y[i] += c·x[i].
    @inline(__always)
    static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ c: Float, _ n: Int) {
        let ry = UnsafeMutableRawPointer(y), rx = UnsafeRawPointer(x)
        var i = 0
        while i + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                + c * rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            y[i] += c * x[i]
            i += 1
        }
    }

    /// The largest of `n` floats (−∞ for none).
    static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = SIMD8<Float>(repeating: -.infinity)
        let r = UnsafeRawPointer(x)
        var i = 0
        while i + 8 <= n {
            m = larger(m, r.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
            i += 8
        }
        var s = m.max()
        while i < n {
            s = Swift.max(s, x[i])
            i += 1
        }
        return s
    }

    /// Lane-wise maximum. (The standard library's generic `pointwiseMax` is not inlined in
    /// larger functions and costs a call per use; this lowers to `maxps`.)
    @inline(__always)
    static func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        var r = a
        r.replace(with: b, where: b .> a)
        return r
    }

    /// x[i] = e^(x[i] − shift); returns the sum (the softmax numerators and denominator).
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
        let r = UnsafeMutableRawPointer(x)
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let e = exp(r.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - shift)
            r.storeBytes(of: e, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            acc += e
            i += 8
        }
        var s = acc.sum()
        while i < n {
            x[i] = exp(x[i] - shift)
            s += x[i]
            i += 1
        }
        return s
    }

    /// out[i] = x[i] / sqrt(mean(x²) + ε) · weight[i] (RMSNorm).
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                        into out: UnsafeMutablePointer<Float>, _ n: Int) {
        // Sum of squares in double: the residual stream holds large outliers in some channels.
        var ss = 0.0
        var i = 0
        let rx = UnsafeRawPointer(x)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            ss += Double((v * v).sum())
            i += 8
        }
        while i < n {
            ss += Double(x[i] * x[i])
            i += 1
        }
        let scale = Float(1 / (ss / Double(n) + Double(epsilon)).squareRoot())
        for j in 0..<n { out[j] = x[j] * scale * weight[j] }
    }

    /// g[i] = silu(g[i]) · u[i] (SwiGLU), silu(v) = v / (1 + e^−v).
    static func swiglu(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, _ n: Int) {
        let rg = UnsafeMutableRawPointer(g), ru = UnsafeRawPointer(u)
        var i = 0
        while i + 8 <= n {
            let v = rg.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let s = v / (1 + exp(-v))
            rg.storeBytes(of: s * ru.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self),
                          toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            g[i] = g[i] / (1 + exp(-g[i])) * u[i]
            i += 1
        }
    }
}
