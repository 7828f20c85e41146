/// IEEE binary16 → binary32 without F16C (baseline x86-64 has none).
///
/// Shifting the exponent and mantissa into place and multiplying by 2^112 re-biases the
/// exponent and handles subnormals exactly; infinities and NaNs are not expected in weights.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let magnitude = Float(bitPattern: UInt32(h & 0x7FFF) << 13) * 0x1p112
    return Float(bitPattern: magnitude.bitPattern | (UInt32(h & 0x8000) << 16))
}

/// Eight halves at once (for F16 tensors).
@inline(__always)
func halfToFloat(_ h: SIMD8<UInt16>) -> SIMD8<Float> {
    let wide = SIMD8<UInt32>(truncatingIfNeeded: h)
    let magnitude = unsafeBitCast((wide & 0x7FFF) &<< 13, to: SIMD8<Float>.self) * 0x1p112
    return unsafeBitCast(unsafeBitCast(magnitude, to: SIMD8<UInt32>.self) | ((wide & 0x8000) &<< 16), to: SIMD8<Float>.self)
}
