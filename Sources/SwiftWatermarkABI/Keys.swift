import CSwiftWatermark
import Watermark

// Versions, parameters and keys.

/// A key behind `swm_key *`: the bytes stay inside; only the keyID goes out.
final class KeyObject: Sendable {
    let key: WatermarkKey
    let keyID: OwnedCString

    init(_ key: WatermarkKey) {
        self.key = key
        keyID = OwnedCString(key.keyID)
    }
}

private let versionString = OwnedCString("swift-watermark \(ABIInfo.version) (\(SchemeParameters.scheme))")

enum ABIInfo {
    static let version = "0.4.0"
    static let abiVersion: UInt32 = 10100
}

@_cdecl("swm_abi_version")
public func swm_abi_version() -> UInt32 { ABIInfo.abiVersion }

@_cdecl("swm_version")
public func swm_version() -> UnsafePointer<CChar> { UnsafePointer(versionString.pointer) }

@_cdecl("swm_last_error_message")
public func swm_last_error_message() -> UnsafePointer<CChar> { LastError.message }

@_cdecl("swm_last_error_code")
public func swm_last_error_code() -> swm_status { LastError.status }

@_cdecl("swm_params_default")
public func swm_params_default() -> swm_params {
    let d = SchemeParameters.defaults
    return swm_params(gamma: d.gamma, context_width: UInt32(d.contextWidth), delta: d.delta)
}

@_cdecl("swm_params_validate")
public func swm_params_validate(_ params: UnsafePointer<swm_params>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        _ = try schemeParameters(try required(params, "params"))
    }
}

@_cdecl("swm_green_threshold")
public func swm_green_threshold(_ gamma: Double) -> UInt32 {
    (try? SchemeParameters(gamma: gamma))?.greenThreshold ?? 0
}

@_cdecl("swm_key_from_bytes")
public func swm_key_from_bytes(_ bytes: UnsafePointer<UInt8>?, _ length: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out")
        out.pointee = nil
        let data = try buffer(bytes, try count(length, "length"), "bytes")
        let key: WatermarkKey
        do throws(WatermarkError) { key = try WatermarkKey(bytes: Array(data)) } catch { throw ABIFailure(SWM_ERR_KEY, error.description) }
        out.pointee = Handle.make(KeyObject(key))
    }
}

@_cdecl("swm_key_from_file")
public func swm_key_from_file(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out")
        out.pointee = nil
        let path = String(cString: try required(path, "path"))
        let loaded: KeyFile.Loaded
        do throws(WatermarkError) { loaded = try KeyFile.read(path: path) } catch { throw ABIFailure(SWM_ERR_KEY, error.description) }
        out.pointee = Handle.make(KeyObject(loaded.key))
    }
}

@_cdecl("swm_key_generate")
public func swm_key_generate(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out")
        out.pointee = nil
        let path = String(cString: try required(path, "path"))
        do throws(WatermarkError) {
            let key = try WatermarkKey.generate()
            try KeyFile.write(key, to: path, overwrite: false)
            out.pointee = Handle.make(KeyObject(key))
        } catch {
            throw ABIFailure(SWM_ERR_KEY, error.description)
        }
    }
}

@_cdecl("swm_key_id")
public func swm_key_id(_ key: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let object = try? Handle.get(key, as: KeyObject.self, "key") else { return nil }
    return UnsafePointer(object.keyID.pointer)
}

@_cdecl("swm_key_free")
public func swm_key_free(_ key: OpaquePointer?) { Handle.release(key) }

@_cdecl("swm_string_free")
public func swm_string_free(_ string: UnsafeMutablePointer<CChar>?) { free(string) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
