import Foundation
import GGUF
import Tokenizer

enum Targets {}

// MARK: - GGUF and the tokenizer loaders

extension Targets {
    static func gguf(_ data: [UInt8]) {
        Fuzz.withScratchFile(data, name: "gguf") { path in
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch { return Fuzz.trace("refused: \(error)") }
            Fuzz.trace("opened: \(file.metadataCount) metadata, \(file.tensorCount) tensors")
            touch(file)
        }
    }

    static func ggufTokenizer(_ data: [UInt8]) {
        Fuzz.withScratchFile(data, name: "gguf-tokenizer") { path in
            let tokenizer: BPETokenizer
            do { tokenizer = try BPETokenizer(gguf: try GGUFFile(path: path)) } catch { return Fuzz.trace("refused: \(error)") }
            exercise(tokenizer, data)
        }
    }

    static func tokenizerJSON(_ data: [UInt8]) {
        let tokenizer: BPETokenizer
        do { tokenizer = try BPETokenizer(tokenizerJSON: Data(data), source: "fuzz.json") } catch {
            return Fuzz.trace("refused: \(error)")
        }
        exercise(tokenizer, data)
    }

    static func tiktoken(_ data: [UInt8]) {
        let h = Fuzz.hash(data)
        let patterns = BPETokenizer.TiktokenPattern.allCases
        let pattern = patterns[Int(h % UInt64(patterns.count))]
        let normalization: Normalization = (h >> 8) & 1 == 0 ? .none : .nfc
        // Special tokens as the loader's callers give them: none, one right above small rank
        // files, a standard id far above them, or two (one possibly on a ranked id, refused).
        let specials: [String: UInt32]
        switch (h >> 16) % 4 {
        case 0: specials = [:]
        case 1: specials = ["<|endoftext|>": UInt32((h >> 24) % 1024)]
        case 2: specials = ["<|endoftext|>": 100257, "<|fim_prefix|>": 100258]
        default: specials = ["<|im_start|>": UInt32((h >> 24) % 300), "<|im_end|>": UInt32((h >> 40) % 300)]
        }
        let tokenizer: BPETokenizer
        do {
            tokenizer = try BPETokenizer(
                tiktokenRankData: Data(data), pattern: pattern, specialTokens: specials, normalization: normalization,
                source: "fuzz.tiktoken")
        } catch { return Fuzz.trace("refused (\(pattern), \(specials)): \(error)") }
        exercise(tokenizer, data)
    }

    /// Reads everything a caller may read from an opened GGUF file.
    static func touch(_ file: GGUFFile) {
        var sink = file.version == 3 ? 1 : 0
        sink &+= file.tensorCount &+ file.metadataCount &+ file.alignment &+ file.dataOffset &+ file.fileSize
        for key in file.metadataKeys {
            guard let value = file[key] else { fatalError("metadata key \(key) listed but not found") }
            sink &+= value.string?.utf8.count ?? 0
            sink &+= value.int ?? 0
            sink &+= value.double.map { $0.isFinite ? 1 : 2 } ?? 0
            sink &+= value.bool == true ? 1 : 0
            sink &+= value.stringArray?.count ?? 0
            sink &+= value.intArray?.reduce(0, &+) ?? 0
            sink &+= value.doubleArray?.count ?? 0
            sink &+= value.array?.count ?? 0
            sink &+= "\(value)".utf8.count
        }
        for info in file.tensors {
            guard file.tensor(named: info.name) == info else { fatalError("tensor \(info.name) not found by name") }
            sink &+= info.elementCount &+ info.dimensions.count
            let bytes = try? file.withTensorData(for: info) { buffer -> Int in
                guard buffer.count == info.byteCount else { fatalError("tensor \(info.name): buffer size differs") }
                return Int(buffer.first ?? 0) &+ Int(buffer.last ?? 0) &+ buffer.count
            }
            sink &+= bytes ?? 0
        }
        _ = try? file.requireString("general.architecture")
        _ = try? file.withTensorData(named: "no such tensor") { $0.count }
        Fuzz.consume(sink)
    }

    /// Uses a freshly loaded tokenizer: encode and decode fixed texts and a text cut from the
    /// input, look up ids taken from the input, and check the stream encoder's promise that it
    /// gives the ids of the whole text at once.
    static func exercise(_ tokenizer: BPETokenizer, _ data: [UInt8]) {
        let h = Fuzz.hash(data)
        var texts: [[UInt8]] = [
            Array("Hello world, the thing is 12345 abc.\n  It's   done!\t\u{00E9}t\u{00E9} \u{1F600}".utf8),
            Array("<|endoftext|><|im_start|>user\nhi<|im_end|>".utf8),
        ]
        if !data.isEmpty {
            let start = Int(h % UInt64(data.count))
            texts.append(Array(data[start..<min(data.count, start + 64)]))
        }
        Fuzz.trace("loaded: \(tokenizer.vocabularySize) tokens, \(tokenizer.mergeCount) merges, \(tokenizer.addedTokens.count) added")
        var sink = tokenizer.vocabularySize &+ tokenizer.mergeCount &+ tokenizer.fingerprint.utf8.count
        for bytes in texts {
            let text = String(decoding: bytes, as: UTF8.self)
            let ids = tokenizer.encode(text)
            let parsed = tokenizer.encode(text, specialTokens: .parse)
            sink &+= tokenizer.decode(ids).utf8.count &+ tokenizer.decodeBytes(parsed, skipSpecialTokens: true).count
            // StreamEncoder: any chunking gives the ids of the whole text (Sources/Tokenizer/StreamEncoder.swift).
            var stream = BPETokenizer.StreamEncoder(tokenizer: tokenizer)
            let cut = bytes.isEmpty ? 0 : Int((h >> 32) % UInt64(bytes.count + 1))
            let streamed = stream.encode(bytes[..<cut]) + stream.encode(bytes[cut...]) + stream.finish()
            if streamed != ids {
                fatalError("StreamEncoder split at byte \(cut) gives \(streamed), whole text gives \(ids)")
            }
        }
        // Ids from the input, in range and out of it.
        var k = 0
        while k + 4 <= min(data.count, 64) {
            let raw = data[k..<(k + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let id = raw % UInt32(clamping: tokenizer.vocabularySize + 8)
            sink &+= tokenizer.token(for: id)?.utf8.count ?? 0
            sink &+= tokenizer.tokenBytes(for: id)?.count ?? 0
            sink &+= tokenizer.isSpecial(id) ? 1 : 0
            sink &+= tokenizer.decode([id, raw]).utf8.count
            k += 4
        }
        for token in tokenizer.addedTokens.prefix(8) { sink &+= tokenizer.id(for: token.content) == nil ? 0 : 1 }
        Fuzz.consume(sink)
    }
}
