import CSwiftWatermark
import Detection
import Watermark
internal import SystemSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The plumbing of the C ABI: the calling thread's last error, handles, and pools of the
// single-thread library objects that make a handle safe to share between threads.

/// A failure on its way out through the ABI: a status and a one-line message.
struct ABIFailure: Error {
    let status: swm_status
    let message: String

    init(_ status: swm_status, _ message: String) {
        self.status = status
        // One line whatever it quotes, escaped by the package's one formatter.
        self.message = oneLine(message, limit: 1000)
    }
}

/// The calling thread's last error, as C reads it: a status and a NUL-terminated message
/// owned by the thread (freed when it exits).
enum LastError {
    private struct Slot {
        var status: swm_status
        var message: UnsafeMutablePointer<CChar>?
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { raw in
            guard let raw else { return }
            let slot = raw.assumingMemoryBound(to: Slot.self)
            free(slot.pointee.message)
            slot.deinitialize(count: 1)
            slot.deallocate()
        }
        precondition(created == 0, "pthread_key_create failed")
        return key
    }()

    private static func slot() -> UnsafeMutablePointer<Slot> {
        if let raw = pthread_getspecific(key) { return raw.assumingMemoryBound(to: Slot.self) }
        let slot = UnsafeMutablePointer<Slot>.allocate(capacity: 1)
        slot.initialize(to: Slot(status: SWM_OK, message: strdup("")))
        pthread_setspecific(key, slot)
        return slot
    }

    static func set(_ failure: ABIFailure) {
        let s = slot()
        free(s.pointee.message)
        s.pointee.message = strdup(failure.message)
        s.pointee.status = failure.status
    }

    static var status: swm_status { slot().pointee.status }
    static var message: UnsafePointer<CChar> { UnsafePointer(slot().pointee.message ?? UnsafeMutablePointer(mutating: emptyString)) }
    nonisolated(unsafe) private static let emptyString: UnsafePointer<CChar> = UnsafePointer(strdup("")!)
}

/// Runs `body`, turning a failure into its status and the thread's last error.
@inline(__always)
func guarded(_ body: () throws(ABIFailure) -> Void) -> swm_status {
    do {
        try body()
        return SWM_OK
    } catch {
        LastError.set(error)
        return error.status
    }
}

func argument(_ message: String) -> ABIFailure { ABIFailure(SWM_ERR_ARGUMENT, message) }

/// A required pointer argument, or an error naming it.
@inline(__always)
func required<T>(_ pointer: T?, _ name: String) throws(ABIFailure) -> T {
    guard let pointer else { throw argument("\(name) is NULL") }
    return pointer
}

/// A buffer of `count` elements at `pointer`; NULL is fine only when `count` is 0.
@inline(__always)
func buffer<T>(_ pointer: UnsafePointer<T>?, _ count: Int, _ name: String) throws(ABIFailure) -> UnsafeBufferPointer<T> {
    if count == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
    guard let pointer else { throw argument("\(name) is NULL but its length is \(count)") }
    return UnsafeBufferPointer(start: pointer, count: count)
}

@inline(__always)
func mutableBuffer<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int, _ name: String) throws(ABIFailure) -> UnsafeMutableBufferPointer<T> {
    if count == 0 { return UnsafeMutableBufferPointer(start: nil, count: 0) }
    guard let pointer else { throw argument("\(name) is NULL but its length is \(count)") }
    return UnsafeMutableBufferPointer(start: pointer, count: count)
}

/// A C size as a Swift count, refusing sizes no buffer can have.
@inline(__always)
func count(_ value: Int, _ name: String) throws(ABIFailure) -> Int {
    guard value >= 0, value <= Int.max / 8 else { throw argument("\(name) (\(UInt(bitPattern: value))) is not a valid length") }
    return value
}

/// The scheme parameters from C, checked.
func schemeParameters(_ params: UnsafePointer<swm_params>?) throws(ABIFailure) -> SchemeParameters {
    guard let params else { return .defaults }
    do {
        return try SchemeParameters(gamma: params.pointee.gamma, contextWidth: Int(params.pointee.context_width),
                                    delta: params.pointee.delta)
    } catch {
        throw ABIFailure(SWM_ERR_PARAMETERS, error.description)
    }
}

/// Objects that are not thread-safe, lent out one per concurrent caller. A caller takes one
/// (made on first need), uses it alone, and puts it back; so a handle is safe from any number
/// of threads, and after warm-up no call allocates.
final class Pool<Item: AnyObject>: Sendable {
    /// An item at rest in the pool. Unchecked: an item is only ever used by the one caller
    /// that took it out, which is what the pool is for.
    private struct Lent: @unchecked Sendable { let item: Item }
    private let items: Locked<[Lent]>
    private let make: @Sendable () throws(ABIFailure) -> Item

    init(first: Item, make: @escaping @Sendable () throws(ABIFailure) -> Item) {
        var list: [Lent] = []
        list.reserveCapacity(256)
        list.append(Lent(item: first))
        items = Locked(list)
        self.make = make
    }

    func with<R>(_ body: (Item) throws(ABIFailure) -> R) throws(ABIFailure) -> R {
        let lent: Lent
        if let free = items.withLock({ list in list.popLast() }) { lent = free } else { lent = Lent(item: try make()) }
        defer { items.withLock { list in list.append(lent) } }
        return try body(lent.item)
    }
}

/// Handles are retained Swift objects behind opaque C pointers.
enum Handle {
    static func make(_ object: AnyObject) -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(object).toOpaque()) }

    static func get<T: AnyObject>(_ pointer: OpaquePointer?, as type: T.Type, _ name: String) throws(ABIFailure) -> T {
        guard let pointer else { throw argument("\(name) is NULL") }
        return Unmanaged<T>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    static func release(_ pointer: OpaquePointer?) {
        guard let pointer else { return }
        Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }
}

/// A C string that lives as long as its owner.
final class OwnedCString: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<CChar>
    init(_ string: String) { pointer = strdup(string)! }
    deinit { free(pointer) }
}

/// A string handed to C, which frees it with `swm_string_free`.
func cString(_ string: String) -> UnsafeMutablePointer<CChar> { strdup(string)! }
