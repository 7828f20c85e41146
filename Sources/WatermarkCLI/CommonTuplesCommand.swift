import ArgumentParser
import Detection
import SystemSupport
import Foundation

struct CommonTuplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "common-tuples",
        abstract: "List the (context, token) tuples common in your kind of text, for 'detect --skip-common'.",
        discussion: """
            Documents of one domain share their most common tuples, so under one key their \
            scores move together and that key's false-positive rate strays from the nominal one. \
            Leaving out the tuples found in many reference documents keeps the test exact (the \
            list does not depend on the key) and the rate steadier. Give human text of the kind \
            you will detect in: files, folders or .jsonl files, as for 'calibrate', at least 20 \
            documents (fewer cannot tell a common tuple from chance). Use the list with the same \
            tokenizer and context width, and calibrate with it too.
            """)

    @Argument(help: ArgumentHelp("Reference text: files, folders or .jsonl files (\"text\" or \"ids\" per line).", valueName: "path"))
    var paths: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the list (JSON).", valueName: "file"))
    var out: String

    @OptionGroup var tokenizerOption: TokenizerOption

    @Option(name: .customLong("context-width"), help: ArgumentHelp("Context width h the list is for (1–8).", valueName: "tokens"))
    var contextWidth = 1

    @Option(name: .customLong("min-fraction"),
            help: ArgumentHelp("List tuples found in at least this fraction of the documents.", valueName: "fraction"))
    var minimumFraction = CommonTuplesBuilder.defaultMinimumDocumentFraction

    @Option(help: ArgumentHelp("Threads tokenizing documents (default: the processors this process may use).", valueName: "n"))
    var threads: Int?

    @Option(name: .customLong("max-tuples"), help: ArgumentHelp("List at most this many (the most common).", valueName: "n"))
    var maximumTuples: Int?

    @OptionGroup var normalization: NormalizationOption

    @Flag(help: "Replace an existing file.")
    var force = false

    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give reference text (files, folders or .jsonl files)") }
        guard (1...8).contains(contextWidth) else { throw ValidationError("--context-width must be 1 to 8 (got \(contextWidth))") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be 1 to 1024 (got \(threads))") }
        guard minimumFraction > 0, minimumFraction <= 1 else {
            throw ValidationError("--min-fraction must be greater than 0 and at most 1 (got \(minimumFraction))")
        }
        if let maximumTuples, maximumTuples < 1 { throw ValidationError("--max-tuples must be at least 1 (got \(maximumTuples))") }
    }

    func run() throws {
        try refuseToReplace(out, force: force)
        let tokenizer = try tokenizerOption.load(normalize: normalization.normalize)
        var builder: CommonTuplesBuilder
        do { builder = try CommonTuplesBuilder(contextWidth: contextWidth) } catch { throw CLIFailure(error.description) }
        var progress = Progress("reference documents")
        var skipped = 0
        do {
            // A document that cannot be read is reported and left out; the others still count.
            // Tokenizing is the work, and runs on every thread; the list is counted here, in
            // corpus order, so it is the same whatever the thread count.
            let detection = tokenizer.detection
            try OrderedParallel.run(threads: threads ?? Processors.available, state: { detection.makeEncoder() }, produce: { submit in
                try Documents.forEach(in: paths, onError: { error, _ in
                    Console.error(error.description)
                    skipped += 1
                }) { item in try submit(item) }
            }, work: { encoder, item -> [UInt32]? in
                switch item.content {
                case .ids(let ids): return ids
                case .text(let text): return text.isEmpty ? nil : encoder.ids(for: text)
                }
            }, consume: { ids in
                guard let ids else { return }
                builder.add(document: ids)
                progress.advance()
            })
        } catch let error as InputError { throw CLIFailure(error.description) }
        progress.finish()
        if skipped > 0 {
            Console.warning("\(skipped) reference document\(skipped == 1 ? "" : "s") could not be read and \(skipped == 1 ? "was" : "were") left out")
        }
        let list: CommonTuples
        do {
            list = try builder.build(minimumDocumentFraction: minimumFraction, maximumCount: maximumTuples,
                                     tokenizer: tokenizer.descriptor, normalization: tokenizer.detection.normalization)
        } catch { throw CLIFailure(error.description) }
        try writeFile(Array(try list.encoded()), to: out)
        let coverage = builder.coverage(of: list)
        if json {
            print(JSONOutput.line(["path": .string(out), "tuples": .int(list.tuples.count), "documents": .int(list.documents),
                                   "minimumDocumentFraction": .double(minimumFraction), "fingerprint": .string(list.fingerprint),
                                   "coverage": .double(coverage)]))
        } else {
            print("wrote \(out): \(list.tuples.count) tuples found in at least \(DetectionSummary.format(100 * minimumFraction, digits: 3))% of "
                  + "\(list.documents) documents; they are \(DetectionSummary.format(100 * coverage, digits: 3))% of these documents' distinct tuples")
        }
    }
}
