import Foundation
import Watermark
internal import CryptoSupport
internal import SystemSupport

/// (context, token) tuples so common in a reference corpus that detection leaves them out.
///
/// A deployment has one key, and documents of one domain share their most common tuples
/// ("of the" is green or red for all of them at once), so one key's false-positive rate
/// strays from α much further than independent documents would: on English, one key in ten
/// flags over 1.5% of documents at p ≤ 1e-2 (docs/EVALUATION.md). Leaving those tuples out removes
/// most of what documents share. The list is chosen from text alone, never from the key, so
/// the test stays exact: given the text, the remaining distinct tuples are still independent
/// Bernoulli(γ') draws over the key.
///
/// Build one with ``CommonTuplesBuilder`` (the `watermark common-tuples` command) from text of
/// the domain you detect in; it is tied to one tokenizer and one context width.
public struct CommonTuples: Sendable, Hashable {
    public static let formatName = "swift-watermark common tuples v1"

    public let contextWidth: Int
    /// Each tuple: `contextWidth` context ids (oldest first), then the token; sorted, distinct.
    public let tuples: [[UInt32]]
    /// In how many reference documents each tuple occurs (parallel to `tuples`).
    public let documentCounts: [Int]
    /// Reference documents the list was counted over.
    public let documents: Int
    /// A tuple is listed when it occurs in at least this fraction of the documents.
    public let minimumDocumentFraction: Double
    public let tokenizer: CalibrationFile.Tokenizer
    /// The text normalisation applied before tokenizing the reference text.
    public let normalization: String
    /// Hex SHA-256 of the tuple set (context width and sorted tuples): names the list in
    /// detection output and in calibration files.
    public let fingerprint: String
    let table: FrozenTupleTable

    init(contextWidth: Int, tuples: [[UInt32]], documentCounts: [Int], documents: Int, minimumDocumentFraction: Double,
         tokenizer: CalibrationFile.Tokenizer, normalization: String) throws(InputError) {
        self.contextWidth = contextWidth
        self.tuples = tuples
        self.documentCounts = documentCounts
        self.documents = documents
        self.minimumDocumentFraction = minimumDocumentFraction
        self.tokenizer = tokenizer
        self.normalization = normalization
        self.fingerprint = try Self.fingerprint(contextWidth: contextWidth, sortedTuples: tuples)
        self.table = FrozenTupleTable(keys: tuples.map { Self.key(of: $0) })
    }

    static func check(_ list: CommonTuples?, contextWidth: Int) throws(DetectionError) {
        if let list, list.contextWidth != contextWidth {
            throw .commonTuples(.contextWidth(list: list.contextWidth, detection: contextWidth))
        }
    }

    /// Checks that this list fits detection with `tokenizer` and context width `contextWidth`.
    /// A list counted on otherwise normalised text still fits (it does not depend on the key,
    /// so the test stays exact); the returned warning says so.
    public func check(tokenizer: DetectionTokenizer, contextWidth: Int) throws(DetectionError) -> DetectionWarning? {
        guard self.tokenizer.fingerprint == tokenizer.fingerprint else {
            throw .commonTuples(.tokenizer(name: self.tokenizer.name, fingerprint: self.tokenizer.fingerprint))
        }
        guard self.contextWidth == contextWidth else {
            throw .commonTuples(.contextWidth(list: self.contextWidth, detection: contextWidth))
        }
        return normalization == tokenizer.normalization
            ? nil : .commonTuplesNormalization(list: normalization, detection: tokenizer.normalization)
    }

    /// Whether the tuple with this `TupleKey` is on the list.
    @inline(__always)
    func contains(key: UInt64) -> Bool { table.contains(key) }

    static func key(of tuple: [UInt32]) -> UInt64 {
        tuple.withUnsafeBufferPointer { t in
            TupleKey.make(context: UnsafeBufferPointer(rebasing: t.dropLast()), token: t[t.count - 1])
        }
    }

    private static func fingerprint(contextWidth: Int, sortedTuples: [[UInt32]]) throws(InputError) -> String {
        var bytes = Array(formatName.utf8) + [0, UInt8(contextWidth)]
        bytes.reserveCapacity(bytes.count + sortedTuples.count * (contextWidth + 1) * 4)
        for tuple in sortedTuples {
            for id in tuple { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        do {
            return Hex.encode(try SHA256.hash(bytes))
        } catch {
            throw InputError(source: "common tuples", problem: error.description)
        }
    }

    public static func == (a: CommonTuples, b: CommonTuples) -> Bool { a.fingerprint == b.fingerprint }
    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
}

// MARK: - The file

extension CommonTuples {
    private struct File: Codable {
        let format: String
        let tokenizer: CalibrationFile.Tokenizer
        let contextWidth: Int
        let normalization: String
        let documents: Int
        let minimumDocumentFraction: Double
        let fingerprint: String
        let tuples: [[UInt32]]
        let documentCounts: [Int]
    }

    /// The JSON file `watermark common-tuples` writes (tuples listed most common first).
    public func encoded() throws -> Data {
        // `tuples` is sorted, so index order breaks ties in count by tuple.
        let order = documentCounts.indices.sorted {
            documentCounts[$0] != documentCounts[$1] ? documentCounts[$0] > documentCounts[$1] : $0 < $1
        }
        let file = File(format: Self.formatName, tokenizer: tokenizer, contextWidth: contextWidth, normalization: normalization,
                        documents: documents, minimumDocumentFraction: minimumDocumentFraction, fingerprint: fingerprint,
                        tuples: order.map { tuples[$0] }, documentCounts: order.map { documentCounts[$0] })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(file) + Data("\n".utf8)
    }

    /// Reads a file written by ``encoded()``, checking every field; `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws(InputError) -> CommonTuples {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw InputError(source: source, problem: "not a common-tuples file from 'watermark common-tuples'")
        }
        func fail(_ problem: String) -> InputError { InputError(source: source, problem: problem) }
        guard file.format == formatName else { throw fail("is not a \(formatName) file (format \"\(oneLine(file.format, limit: 100))\")") }
        guard (1...8).contains(file.contextWidth) else { throw fail("context width \(file.contextWidth) is not in 1…8") }
        guard file.tuples.count == file.documentCounts.count else {
            throw fail("has \(file.tuples.count) tuples but \(file.documentCounts.count) document counts")
        }
        guard file.documents >= 1, file.minimumDocumentFraction > 0, file.minimumDocumentFraction <= 1 else {
            throw fail("has an impossible document count or fraction")
        }
        for (i, tuple) in file.tuples.enumerated() where tuple.count != file.contextWidth + 1 {
            throw fail("tuple \(i + 1) has \(tuple.count) ids; context width \(file.contextWidth) needs \(file.contextWidth + 1)")
        }
        for (i, count) in file.documentCounts.enumerated() where count < 1 || count > file.documents {
            throw fail("tuple \(i + 1) is counted in \(count) of \(file.documents) documents")
        }
        let order = file.tuples.indices.sorted { file.tuples[$0].lexicographicallyPrecedes(file.tuples[$1]) }
        let sorted = order.map { file.tuples[$0] }
        for i in sorted.indices.dropFirst() where sorted[i] == sorted[i - 1] {
            throw fail("lists the tuple \(sorted[i]) twice")
        }
        let list = try CommonTuples(contextWidth: file.contextWidth, tuples: sorted, documentCounts: order.map { file.documentCounts[$0] },
                                    documents: file.documents, minimumDocumentFraction: file.minimumDocumentFraction,
                                    tokenizer: file.tokenizer, normalization: file.normalization)
        guard list.fingerprint == file.fingerprint else {
            throw fail("its tuples do not match its fingerprint (the file was changed or damaged)")
        }
        return list
    }
}

// MARK: - Building

/// Counts in how many documents each (context, token) tuple occurs, then keeps the common ones.
public struct CommonTuplesBuilder {
    /// Fewest reference documents that can tell a common tuple from chance.
    public static let minimumDocuments = 20
    /// The default cut: tuples in at least 2% of documents (docs/EVALUATION.md shows why).
    public static let defaultMinimumDocumentFraction = 0.02

    public let contextWidth: Int
    public private(set) var documents = 0
    private var counts: [UInt64: Int] = [:]
    /// The ids behind each key, kept only for h > 1: for h = 1 the key is the pair itself,
    /// which keeps a large reference corpus to 16 bytes or so per distinct tuple.
    private var representatives: [UInt64: [UInt32]] = [:]

    public init(contextWidth: Int) throws(DetectionError) {
        guard (1...8).contains(contextWidth) else { throw .commonTuples(.contextWidthOutOfRange(contextWidth)) }
        self.contextWidth = contextWidth
    }

    /// Counts one document's distinct tuples once each.
    public mutating func add(document ids: [UInt32]) {
        documents += 1
        guard ids.count > contextWidth else { return }
        var seen = Set<UInt64>()
        ids.withUnsafeBufferPointer { all in
            for end in contextWidth..<all.count {
                let context = UnsafeBufferPointer(rebasing: all[(end - contextWidth)..<end])
                let key = TupleKey.make(context: context, token: all[end])
                guard seen.insert(key).inserted else { continue }
                counts[key, default: 0] += 1
                if contextWidth > 1, representatives[key] == nil { representatives[key] = Array(all[(end - contextWidth)...end]) }
            }
        }
    }

    /// The tuples in at least `minimumDocumentFraction` of the documents (and at least two),
    /// at most `maximumCount` of them, the most common first.
    public func build(minimumDocumentFraction: Double = defaultMinimumDocumentFraction, maximumCount: Int? = nil,
                      tokenizer: CalibrationFile.Tokenizer, normalization: String) throws(DetectionError) -> CommonTuples {
        guard minimumDocumentFraction > 0, minimumDocumentFraction <= 1 else {
            throw .commonTuples(.minimumFractionOutOfRange(minimumDocumentFraction))
        }
        guard documents >= Self.minimumDocuments else {
            throw .commonTuples(.tooFewDocuments(documents, needed: Self.minimumDocuments))
        }
        if let maximumCount, maximumCount < 1 { throw .commonTuples(.maximumCountTooSmall(maximumCount)) }
        let needed = max(2, Int((minimumDocumentFraction * Double(documents)).rounded(.up)))
        var kept = counts.filter { $0.value >= needed }.map { (tuple: tuple(for: $0.key), count: $0.value) }
        kept.sort { $0.count != $1.count ? $0.count > $1.count : $0.tuple.lexicographicallyPrecedes($1.tuple) }
        if let maximumCount, kept.count > maximumCount { kept.removeLast(kept.count - maximumCount) }
        kept.sort { $0.tuple.lexicographicallyPrecedes($1.tuple) }
        do {
            return try CommonTuples(contextWidth: contextWidth, tuples: kept.map(\.tuple), documentCounts: kept.map(\.count),
                                    documents: documents, minimumDocumentFraction: minimumDocumentFraction,
                                    tokenizer: tokenizer, normalization: normalization)
        } catch {
            throw .commonTuples(.fingerprint(error.problem))
        }
    }

    private func tuple(for key: UInt64) -> [UInt32] {
        contextWidth == 1 ? [UInt32(key >> 32), UInt32(truncatingIfNeeded: key)] : representatives[key]!
    }

    /// The share of all distinct-per-document tuples that a list built with these settings
    /// would leave out (what detection loses on text like the reference).
    public func coverage(of list: CommonTuples) -> Double {
        var total = 0, covered = 0
        for (key, count) in counts {
            total += count
            if list.contains(key: key) { covered += count }
        }
        return total == 0 ? 0 : Double(covered) / Double(total)
    }
}

// MARK: - Internals

/// The 64-bit identity of a (context, token) tuple, shared by de-duplication and the list.
enum TupleKey {
    /// For h = 1 the exact pair; for longer contexts a 64-bit mix, whose collisions (about
    /// n²/2⁶⁵ for n distinct tuples, under 1e-6 for six million) can only drop a tuple from
    /// the count, never add a green one, and do not depend on the key.
    @inline(__always)
    static func make(context: UnsafeBufferPointer<UInt32>, token: UInt32) -> UInt64 {
        if context.count == 1 { return UInt64(context[0]) << 32 | UInt64(token) }
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(context.count)
        for id in context { x = mix(x ^ UInt64(id)) }
        return mix(x ^ (UInt64(token) << 1 | 1))
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        // splitmix64's finaliser: a bijection with full avalanche.
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Slot of `key` in an open-addressing table of `mask + 1` slots.
    @inline(__always)
    static func slot(_ key: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }
}

/// A read-only set of tuple keys with open addressing: looked up once per token, where
/// Swift's `Set` would spend its time in SipHash.
struct FrozenTupleTable: Sendable {
    private let slots: [UInt64]
    private let mask: Int
    private let containsZero: Bool

    init(keys: [UInt64]) {
        var capacity = 16
        while capacity < keys.count * 2 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        var zero = false
        for key in keys {
            if key == 0 { zero = true; continue }
            var i = TupleKey.slot(key, mask: mask)
            while slots[i] != 0 && slots[i] != key { i = (i + 1) & mask }
            slots[i] = key
        }
        self.slots = slots
        self.mask = mask
        self.containsZero = zero
    }

    @inline(__always)
    func contains(_ key: UInt64) -> Bool {
        if key == 0 { return containsZero }
        var i = TupleKey.slot(key, mask: mask)
        while true {
            let existing = slots[i]
            if existing == key { return true }
            if existing == 0 { return false }
            i = (i + 1) & mask
        }
    }
}

extension CommonTuples {
    /// The largest list file read (a 2% list for a 128k vocabulary is a few hundred KiB).
    public static let maximumFileSize = 256 << 20

    /// Reads and checks the list at `path` (`-`: standard input); errors name the file.
    public static func load(path: String) throws(DetectionError) -> CommonTuples {
        do { return try decode(Data(try ByteStream(path: path).readAll(limit: maximumFileSize)), source: path) } catch {
            throw .input(error)
        }
    }
}
