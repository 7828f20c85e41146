import Detection
import Foundation
import SystemSupport
import Watermark
import WatermarkedGeneration

/// The `--generated` file: positives already made by an earlier (perhaps stopped) run, and
/// where new ones are appended, one complete line at a time.
struct KeptPositives {
    struct Record {
        let index: Int
        let text: String
        let seed: UInt64
    }

    let path: String
    private(set) var records: [Record] = []
    private let handle: FileHandle

    /// The seed of document 0 in the run that wrote the file, when it says.
    var baseSeed: UInt64? { records.first.map { $0.seed &- UInt64($0.index) } }

    /// Reads what is there, refusing documents made with another key, scheme parameters,
    /// model or prompts; a last line cut short by a stopped run is dropped.
    init(path: String, keyID: String, parameters: SchemeParameters, model: String, prompts: [String]) throws {
        self.path = path
        if SystemFile.exists(path) {
            let data: [UInt8]
            do { data = try ByteStream(path: path).readAll(limit: 1 << 30) } catch { throw CLIFailure(error.description) }
            var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            if data.last != 0x0A { lines.removeLast() }  // unfinished (or empty) tail
            var good: [UInt8] = []
            let decoder = JSONDecoder()
            for (n, line) in lines.enumerated() where !line.isEmpty {
                let place = "\(path):\(n + 1)"
                guard let record = try? decoder.decode(GenerationRecord.self, from: Data(line)), record.index == records.count else {
                    throw CLIFailure("\(place): not a document this command wrote; give --generated a new file")
                }
                guard record.keyID == keyID, record.gamma == parameters.gamma, record.contextWidth == parameters.contextWidth,
                      record.delta == parameters.delta, record.model == model else {
                    throw CLIFailure("\(place): was generated with another key, gamma, context width, delta or model; give --generated a new file")
                }
                if record.index < prompts.count, record.prompt != prompts[record.index] {
                    throw CLIFailure("\(place): was generated from another prompt (other --negatives); give --generated a new file")
                }
                records.append(Record(index: record.index, text: record.text, seed: record.sampling.seed))
                good += line
                good.append(0x0A)
            }
            if good.count != data.count { try writeFile(good, to: path) }
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
                throw CLIFailure("\(path): cannot create the file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIFailure("\(path): cannot open it for writing") }
        self.handle = handle
        do { try handle.seekToEnd() } catch { throw CLIFailure("\(path): \(error.localizedDescription)") }
    }

    /// Appends one document as a whole line, flushed before the next is generated.
    mutating func append(_ record: GenerationRecord) throws {
        do {
            try handle.write(contentsOf: Data((JSONOutput.line(encoding: record) + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw CLIFailure("\(path): cannot write (\(error.localizedDescription))")
        }
        records.append(Record(index: record.index, text: record.text, seed: record.sampling.seed))
    }
}
