import Detection
import Foundation
import Tokenizer
import Watermark

// MARK: - Keys

extension Targets {
    static func key(_ data: [UInt8]) {
        let key: WatermarkKey
        do { key = try WatermarkKey(parsing: data) } catch { return Fuzz.trace("refused: \(error)") }
        Fuzz.trace("key \(key.keyID)")
        // What KeyFile.read's callers use: the keyID, and the hex keygen would write.
        guard key.keyID.utf8.count == 16, key.description.contains(key.keyID) else { fatalError("keyID \(key.keyID)") }
        guard let again = try? WatermarkKey(parsing: Array(key.hexEncoded.utf8)), again == key else {
            fatalError("a key does not read back from its own hex")
        }
        // And a detection with it (every key length through HMAC and AES).
        if let pipeline = try? DetectionPipeline(keys: [key], tokenizer: nil),
            let result = try? pipeline.detect(ids: Fuzz.sampleIDs)
        {
            guard result.keyID == key.keyID else { fatalError("result names another key") }
            Fuzz.consume(resultText(result))
        }
    }
}

// MARK: - Calibration files

extension Targets {
    static func calibration(_ data: [UInt8]) {
        let file: CalibrationFile
        do { file = try CalibrationFile.decode(data) } catch { return Fuzz.trace("refused: \(error)") }
        Fuzz.trace("read: \(file.thresholds.count) thresholds")
        var out = ""
        _ = file.threshold(for: 1e-3)
        for t in file.thresholds.prefix(8) { _ = file.threshold(for: t.targetFPR) }
        let defaults = CalibrationFile.Parameters(
            gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16)
        _ = file.mismatch(keyID: Fuzz.key.keyID, tokenizerFingerprint: Fuzz.tokenizer.fingerprint, parameters: defaults)
        _ = file.mismatch(keyID: file.keyID, tokenizerFingerprint: file.tokenizer.fingerprint, parameters: file.parameters)
        // What `calibrate` prints about a file.
        out += CalibrationSummary.text(file, path: "fuzz.cal")
        // A file that was read can be written again and read back.
        if let text = try? file.encoded(), (try? CalibrationFile.decode(Array(text.utf8))) == nil {
            fatalError("a calibration file read from input does not read back from its own encoding")
        }
        // `detect --calibration`: the same file made to match the fixed key and tokenizer (so
        // that the pipeline gets past the key and tokenizer checks), at each of its rates.
        if let retargeted = retarget(data) {
            var rates = [1e-3]
            rates += retargeted.thresholds.prefix(4).map(\.targetFPR)
            for rate in rates { out += detect(with: retargeted, rate: rate) }
        }
        Fuzz.consume(out)
    }

    /// The input with its keyID and tokenizer fingerprint replaced by the fixed key's and the
    /// tiny tokenizer's, read again; nil when that is not a calibration file.
    static func retarget(_ data: [UInt8]) -> CalibrationFile? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] else { return nil }
        object["keyID"] = Fuzz.key.keyID
        if var tokenizer = object["tokenizer"] as? [String: Any] {
            tokenizer["fingerprint"] = Fuzz.tokenizer.fingerprint
            object["tokenizer"] = tokenizer
        }
        guard let again = try? JSONSerialization.data(withJSONObject: object) else { return nil }
        return try? CalibrationFile.decode(Array(again))
    }

    /// The pipeline `detect --calibration FILE --fpr rate` makes, its warnings as the CLI
    /// prints them (the numbers of Messages.warn in Sources/WatermarkCLI/Messages.swift), and
    /// a detection with it as the CLI prints it.
    static func detect(with file: CalibrationFile, rate: Double) -> String {
        let p = file.parameters
        guard let scheme = try? SchemeParameters(gamma: p.gamma, contextWidth: p.contextWidth) else { return "" }
        var options = DetectionOptions()
        options.deduplicate = p.deduplicate
        options.minimumScored = p.minimumScored
        options.falsePositiveRate = rate
        let tokenizer = DetectionTokenizer(Fuzz.tokenizer, normalize: p.normalization != "none")
        let pipeline: DetectionPipeline
        do {
            pipeline = try DetectionPipeline(
                keys: [Fuzz.key], parameters: scheme, options: options, tokenizer: tokenizer, calibration: file)
        } catch {
            Fuzz.trace("pipeline at rate \(rate) refused: \(error)")
            return ""
        }
        Fuzz.trace("pipeline at rate \(rate): \(pipeline.warnings.count) warnings")
        var out = ""
        for warning in pipeline.warnings {
            switch warning {
            case .commonTuplesNormalization(let list, let detection): out += "\(list) \(detection)"
            case .calibrationRateNotShown(let falsePositives, let negatives, let bound, let rate):
                // The numbers of the warning in Messages.warn (Sources/WatermarkCLI/Messages.swift).
                out += "its \(DetectionSummary.count(falsePositives, "false positive")) in \(DetectionSummary.count(negatives, "negative"))"
                    + " bound the rate only by \(DetectionSummary.formatRate(bound)) (95%), above \(DetectionSummary.formatRate(rate))"
                    + " (that needs \(Calibrator.negativesNeeded(toShow: rate)) negatives with none flagged)"
            }
        }
        if let result = try? pipeline.detect(ids: Fuzz.sampleIDs) { out += resultText(result) }
        return out
    }

    /// What `detect` prints for a result: the text (DetectionSummary in the CLI) and `--json`.
    static func resultText(_ r: DetectionResult) -> String {
        var out = DetectionSummary.text(for: r, source: "fuzz")
        if let json = try? JSONEncoder().encode(r) { out += String(decoding: json, as: UTF8.self) }
        return out
    }
}

// MARK: - Common-tuple lists

extension Targets {
    static func commonTuples(_ data: [UInt8]) {
        let list: CommonTuples
        do { list = try CommonTuples.decode(Data(data), source: "fuzz") } catch { return Fuzz.trace("refused: \(error)") }
        Fuzz.trace("read: \(list.tuples.count) tuples")
        var sink = list.tuples.count &+ list.documents &+ list.fingerprint.utf8.count
        // A list that was read can be written again and reads back as the same list.
        if let encoded = try? list.encoded() {
            guard let again = try? CommonTuples.decode(encoded, source: "fuzz again"), again == list,
                again.documentCounts == list.documentCounts, again.documents == list.documents
            else { fatalError("a common-tuple list read from input does not read back from its own encoding") }
        }
        // `detect --skip-common`: checked against a tokenizer, then used (a list from the
        // input, with the tiny tokenizer's fingerprint put in so that the check passes).
        let tokenizer = DetectionTokenizer(Fuzz.tokenizer)
        _ = try? list.check(tokenizer: tokenizer, contextWidth: list.contextWidth)
        if let retargeted = retargetList(data) {
            var options = DetectionOptions()
            options.commonTuples = retargeted
            if let scheme = try? SchemeParameters(contextWidth: retargeted.contextWidth),
                let pipeline = try? DetectionPipeline(keys: [Fuzz.key], parameters: scheme, options: options, tokenizer: tokenizer)
            {
                // Score the list's own tuples (each should be skipped) and the fixed ids.
                let ids = retargeted.tuples.prefix(16).flatMap { $0 } + Fuzz.sampleIDs
                if let r = try? pipeline.detect(ids: ids) {
                    Fuzz.trace("detected, \(r.commonSkipped ?? 0) common tuples skipped")
                    sink &+= r.commonSkipped ?? 0
                }
            }
        }
        Fuzz.consume(sink)
    }

    static func retargetList(_ data: [UInt8]) -> CommonTuples? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any],
            var tokenizer = object["tokenizer"] as? [String: Any]
        else { return nil }
        tokenizer["fingerprint"] = Fuzz.tokenizer.fingerprint
        object["tokenizer"] = tokenizer
        guard let again = try? JSONSerialization.data(withJSONObject: object) else { return nil }
        return try? CommonTuples.decode(again, source: "fuzz retargeted")
    }
}

// MARK: - ids and JSON Lines

extension Targets {
    static func ids(_ data: [UInt8]) {
        let h = Fuzz.hash(data)
        // Incrementally, in two chunks split at a point the input picks.
        let cut = Int(h % UInt64(data.count + 1))
        var parser = TokenIDParser()
        var chunked: [UInt32] = []
        let chunkedOK: Bool
        do {
            try parser.feed(data[..<cut]) { chunked.append($0) }
            try parser.feed(data[cut...]) { chunked.append($0) }
            try parser.finish { chunked.append($0) }
            chunkedOK = true
        } catch { chunkedOK = false }
        // At once: the same answer.
        let whole = try? TokenIDParser.parse(data)
        if chunkedOK != (whole != nil) || (whole != nil && whole! != chunked) {
            fatalError("TokenIDParser: split at \(cut) gives \(chunkedOK ? "\(chunked)" : "an error"), whole gives \(whole.map { "\($0)" } ?? "an error")")
        }
        if chunkedOK, parser.count != chunked.count { fatalError("TokenIDParser.count \(parser.count) for \(chunked.count) ids") }
        // `detect --ids FILE`: the file read in small blocks and scored as it is parsed.
        guard let pipeline = try? DetectionPipeline(keys: [Fuzz.key], tokenizer: nil) else { return }
        let chunkSize = 1 + Int((h >> 32) % 64)
        Fuzz.withScratchFile(data, name: "ids") { path in
            guard let stream = try? ByteStream(path: path, chunkSize: chunkSize) else { return }
            var seen: [UInt32] = []
            let result = try? pipeline.detect(idStream: stream) { seen.append($0) }
            if let whole, result != nil, seen != whole { fatalError("detect(idStream:) saw other ids than TokenIDParser.parse") }
            if let result { Fuzz.consume(resultText(result)) }
        }
    }

    static func jsonl(_ data: [UInt8]) {
        let h = Fuzz.hash(data)
        // By hand, as LineReader documents it: LF or CRLF, the last line may lack its LF.
        var lines: [[UInt8]] = []
        var start = 0
        for (i, b) in data.enumerated() where b == 0x0A {
            lines.append(Array(data[start..<i]))
            start = i + 1
        }
        if start < data.count { lines.append(Array(data[start...])) }
        lines = lines.map { $0.last == 0x0D ? Array($0.dropLast()) : $0 }
        // LineReader over a ByteStream in small blocks gives the same lines.
        let chunkSize = 1 + Int(h % 32)
        let read: [[UInt8]]? = Fuzz.withScratchFile(data, name: "jsonl") { path in
            guard let stream = try? ByteStream(path: path, chunkSize: chunkSize) else { return nil }
            var reader = LineReader(stream: stream, maximumLineLength: 1 << 20)
            var out: [[UInt8]] = []
            while let line = try? reader.nextLine() { out.append(line) }
            return out
        }
        if let read, read != lines { fatalError("LineReader in blocks of \(chunkSize) splits \(read.count) lines, by hand \(lines.count)") }

        let tokenizer = DetectionTokenizer(Fuzz.tokenizer)
        let pipeline = try? DetectionPipeline(keys: [Fuzz.key], tokenizer: tokenizer)
        var sink = 0
        for line in lines.prefix(32) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let document: JSONLinesDocument
            do { document = try JSONLinesDocument.parse(line) } catch {
                Fuzz.trace("line refused: \(error)")
                continue
            }
            Fuzz.trace("line: \(document)")
            switch document {
            case .text(let text):
                // What detection does with a text: normalise, tokenize, score.
                let normalized = TextNormalizer.normalize(text)
                sink &+= normalized.utf8.count
                if let r = try? pipeline?.detect(text: text) { sink &+= r.tokens }
            case .ids(let ids):
                if let r = try? pipeline?.detect(ids: ids) { sink &+= r.scored }
            }
        }
        Fuzz.consume(sink)
    }
}
