import Foundation
import Testing
import TestSupport
import Detection
import Watermark

@Suite("common-tuple list")
struct CommonTuplesTests {
    static let tokenizer = CalibrationFile.Tokenizer(fingerprint: String(repeating: "ab", count: 32), name: "test")

    /// Twenty-five documents: (1, 2) in all of them, (5, 6) in exactly two, (3, 4) fifty times
    /// in one; everything else is random and rare.
    static func referenceDocuments(_ rng: inout SeededGenerator) -> [[UInt32]] {
        (0..<25).map { i in
            var doc: [UInt32] = [1, 2]
            if i < 2 { doc += [5, 6] }
            if i == 7 { for _ in 0..<50 { doc += [3, 4] } }
            doc += (0..<40).map { _ in UInt32.random(in: 1000..<49_152, using: &rng) }
            return doc
        }
    }

    @Test func countsDocumentsNotOccurrences() throws {
        var rng = SeededGenerator(seed: 71)
        var builder = try CommonTuplesBuilder(contextWidth: 1)
        for doc in Self.referenceDocuments(&rng) { builder.add(document: doc) }
        let list = try builder.build(minimumDocumentFraction: 0.05, tokenizer: Self.tokenizer, normalization: "none")
        // 5% of 25 is 1.25 documents, so two are needed: (3, 4), repeated in one document, is not common.
        #expect(list.tuples == [[1, 2], [2, 5], [5, 6]])
        #expect(list.documentCounts == [25, 2, 2])
        #expect(list.documents == 25)
        let strict = try builder.build(minimumDocumentFraction: 0.5, tokenizer: Self.tokenizer, normalization: "none")
        #expect(strict.tuples == [[1, 2]])
        let capped = try builder.build(minimumDocumentFraction: 0.05, maximumCount: 1, tokenizer: Self.tokenizer, normalization: "none")
        #expect(capped.tuples == [[1, 2]])
        #expect(builder.coverage(of: strict) > 0 && builder.coverage(of: strict) < builder.coverage(of: list))

        var few = try CommonTuplesBuilder(contextWidth: 1)
        for doc in Self.referenceDocuments(&rng).prefix(5) { few.add(document: doc) }
        #expect(throws: DetectionError.commonTuples(.tooFewDocuments(5, needed: CommonTuplesBuilder.minimumDocuments))) {
            try few.build(tokenizer: Self.tokenizer, normalization: "none")
        }
        #expect(throws: DetectionError.commonTuples(.contextWidthOutOfRange(0))) { try CommonTuplesBuilder(contextWidth: 0) }
        #expect(throws: DetectionError.commonTuples(.minimumFractionOutOfRange(0))) {
            try builder.build(minimumDocumentFraction: 0, tokenizer: Self.tokenizer, normalization: "none")
        }
        #expect(throws: DetectionError.commonTuples(.maximumCountTooSmall(0))) {
            try builder.build(maximumCount: 0, tokenizer: Self.tokenizer, normalization: "none")
        }
    }

    @Test func theFingerprintNamesTheSetAndTheFileRoundTrips() throws {
        var rng = SeededGenerator(seed: 72)
        let docs = Self.referenceDocuments(&rng)
        var forward = try CommonTuplesBuilder(contextWidth: 1), backward = try CommonTuplesBuilder(contextWidth: 1)
        for doc in docs { forward.add(document: doc) }
        for doc in docs.reversed() { backward.add(document: doc) }
        let a = try forward.build(minimumDocumentFraction: 0.05, tokenizer: Self.tokenizer, normalization: "none")
        let b = try backward.build(minimumDocumentFraction: 0.05, tokenizer: Self.tokenizer, normalization: "none")
        #expect(a.fingerprint == b.fingerprint && a == b)
        #expect(a.fingerprint.count == 64)
        let strict = try forward.build(minimumDocumentFraction: 0.5, tokenizer: Self.tokenizer, normalization: "none")
        #expect(strict.fingerprint != a.fingerprint)

        let decoded = try CommonTuples.decode(try a.encoded(), source: "list.json")
        #expect(decoded == a)
        #expect(decoded.tuples == a.tuples && decoded.documentCounts == a.documentCounts)
        #expect(decoded.tokenizer == Self.tokenizer && decoded.documents == 25 && decoded.normalization == "none")
    }

    @Test func damagedFilesAreRefusedWithTheirName() throws {
        var rng = SeededGenerator(seed: 73)
        var builder = try CommonTuplesBuilder(contextWidth: 1)
        for doc in Self.referenceDocuments(&rng) { builder.add(document: doc) }
        let good = try builder.build(minimumDocumentFraction: 0.05, tokenizer: Self.tokenizer, normalization: "none")
        #expect(good.tuples == [[1, 2], [2, 5], [5, 6]])
        let object = try #require(JSONSerialization.jsonObject(with: try good.encoded()) as? [String: Any])
        func variant(_ change: (inout [String: Any]) -> Void) throws -> Data {
            var copy = object
            change(&copy)
            return try JSONSerialization.data(withJSONObject: copy)
        }
        let cases: [(Data, String)] = [
            (Data("not json".utf8), "not a common-tuples file"),
            (try variant { $0["format"] = "something else" }, "is not a"),
            (try variant { $0["contextWidth"] = 9 }, "context width 9"),
            (try variant { $0["tuples"] = [[1, 2, 3], [2, 5], [5, 6]] }, "has 3 ids"),
            (try variant { $0["tuples"] = [[1, 2], [2, 5], [5, 7]] }, "do not match its fingerprint"),
            (try variant { $0["tuples"] = [[1, 2], [2, 5], [1, 2]] }, "twice"),
            (try variant { $0["documentCounts"] = [25, 2] }, "document counts"),
            (try variant { $0["documentCounts"] = [26, 2, 2] }, "counted in 26 of 25"),
            (try variant { $0["tuples"] = [[1, 2], [2, 5], [5, -6]] }, "not a common-tuples file"),
        ]
        for (data, mention) in cases {
            do {
                _ = try CommonTuples.decode(data, source: "bad.json")
                Issue.record("accepted a damaged file (\(mention))")
            } catch {
                #expect(error.source == "bad.json")
                #expect(error.problem.contains(mention), "\(error.problem)")
                #expect(!error.description.contains("\n"))
            }
        }
    }

    /// Listed tuples are left out; every other distinct tuple is scored exactly as without a list.
    @Test(arguments: [1, 2])
    func listedTuplesAreLeftOutAndTheRestScoredAsBefore(contextWidth h: Int) throws {
        var rng = SeededGenerator(seed: 74 + UInt64(h))
        let parameters = try SchemeParameters(gamma: 0.25, contextWidth: h)
        let key = try seededKey(&rng)
        // A text whose first phrase recurs, so the list has something common to remove.
        let phrase = randomIDs(8, rng: &rng)
        var text: [UInt32] = []
        for _ in 0..<30 { text += phrase + randomIDs(12, rng: &rng) }
        var builder = try CommonTuplesBuilder(contextWidth: h)
        for _ in 0..<20 { builder.add(document: phrase + randomIDs(5, rng: &rng)) }
        let list = try builder.build(minimumDocumentFraction: 0.5, tokenizer: Self.tokenizer, normalization: "none")
        #expect(list.tuples.count == 8 - h)  // the phrase's own tuples

        var options = DetectionOptions()
        options.attribution = true
        options.commonTuples = list
        let result = try Detector(keys: [key], parameters: parameters, options: options).detect(text)

        // The expected count, straight from the partition.
        let partition = try GreenListPartition(key: key, parameters: parameters)
        let listed = Set(list.tuples)
        var seen = Set<[UInt32]>(), scored = 0, green = 0, skipped = 0
        for i in h..<text.count {
            let tuple = Array(text[(i - h)...i])
            if listed.contains(tuple) { skipped += 1; continue }
            guard seen.insert(tuple).inserted else { continue }
            scored += 1
            if try partition.isGreen(text[i], after: text[(i - h)..<i]) { green += 1 }
        }
        #expect(result.scored == scored && result.green == green)
        #expect(result.commonSkipped == skipped && skipped == 30 * (8 - h))
        #expect(result.commonTuples == list.fingerprint)
        #expect(result.attribution?.filter { $0 == .common }.count == skipped)

        // Without a list nothing is reported about one.
        let plain = try Detector(keys: [key], parameters: parameters).detect(text)
        #expect(plain.commonSkipped == nil && plain.commonTuples == nil)
        #expect(plain.scored == scored + (8 - h))
    }

    @Test func aListForAnotherContextWidthIsRefused() throws {
        var rng = SeededGenerator(seed: 76)
        var builder = try CommonTuplesBuilder(contextWidth: 1)
        for doc in Self.referenceDocuments(&rng) { builder.add(document: doc) }
        var options = DetectionOptions()
        options.commonTuples = try builder.build(minimumDocumentFraction: 0.05, tokenizer: Self.tokenizer, normalization: "none")
        #expect(throws: DetectionError.commonTuples(.contextWidth(list: 1, detection: 2))) {
            try Detector(keys: [try seededKey(&rng)], parameters: SchemeParameters(gamma: 0.25, contextWidth: 2), options: options)
        }
    }

    /// The list does not depend on the key, so over random keys the count of green among the
    /// remaining tuples is still Binomial(T, γ'): z has mean 0 and sd 1, and p ≤ 0.05 is rare.
    @Test func theTestStaysExactOverKeys() throws {
        var rng = SeededGenerator(seed: 77)
        let phrase = randomIDs(10, rng: &rng)
        var text: [UInt32] = []
        for _ in 0..<20 { text += phrase + randomIDs(10, rng: &rng) }
        var builder = try CommonTuplesBuilder(contextWidth: 1)
        for _ in 0..<20 { builder.add(document: phrase + randomIDs(5, rng: &rng)) }
        var options = DetectionOptions()
        options.commonTuples = try builder.build(minimumDocumentFraction: 0.5, tokenizer: Self.tokenizer, normalization: "none")
        let trials = 2000
        var zs: [Double] = [], rejections = 0
        for _ in 0..<trials {
            let r = try Detector(keys: [try seededKey(&rng)], parameters: SchemeParameters(), options: options).detect(text)
            zs.append(r.z)
            if r.p <= 0.05 { rejections += 1 }
        }
        let mean = zs.reduce(0, +) / Double(trials)
        let sd = (zs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(trials - 1)).squareRoot()
        #expect(abs(mean) < 0.08, "mean z \(mean)")
        #expect(abs(sd - 1) < 0.06, "sd z \(sd)")
        // The exact test's size is at most 0.05; allow four standard errors above it.
        #expect(Double(rejections) / Double(trials) <= 0.05 + 4 * (0.05 * 0.95 / Double(trials)).squareRoot(), "\(rejections) rejections")
    }

    @Test func calibrationFilesNameTheirList() throws {
        let base = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16)
        let withList = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true,
                                                  minimumScored: 16, commonTuples: "0123456789abcdef0123")
        let file = Calibrator.calibrate(negatives: [CalibrationSample(score: 0.3, scored: 100, z: 0, statuses: nil)], positives: [],
                                        rates: [0.01], keyID: "k", tokenizer: Self.tokenizer, parameters: withList, tool: "test")
        #expect(file.mismatch(keyID: "k", tokenizerFingerprint: Self.tokenizer.fingerprint, parameters: withList) == nil)
        let problem = try #require(file.mismatch(keyID: "k", tokenizerFingerprint: Self.tokenizer.fingerprint, parameters: base))
        #expect(problem == .commonTuples(file: "0123456789abcdef0123", detection: nil))
        #expect(problem.description.contains("common-tuple list 0123456789abcdef") && problem.description.contains("no common-tuple list"))
        // A file from before lists existed reads as made without one.
        let old = try JSONDecoder().decode(CalibrationFile.Parameters.self, from: Data(
            #"{"gamma":0.25,"effectiveGamma":0.25,"contextWidth":1,"deduplicate":true,"minimumScored":16,"normalization":"normalize-v1"}"#.utf8))
        #expect(old.commonTuples == nil)
    }
}
