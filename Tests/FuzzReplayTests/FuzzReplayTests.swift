import Foundation
import TestSupport
import Testing

/// Replays every seed (`Tests/Fuzz/Corpus/<target>/`) and every input that ever crashed a
/// fuzz target (`Tests/Fuzz/Regressions/<target>/`) through the fuzz targets' entry functions.
///
/// Each input runs in its own `WatermarkFuzz` process (the replay build of the fuzz
/// executable, which SwiftPM puts beside the test bundle): a crash then fails that input's
/// test case, naming the file and showing the stack, instead of killing the whole test run;
/// and the process's address space is limited, so an input that makes the code allocate tens
/// of gigabytes fails there rather than paging the machine. Errors thrown by the code under
/// test are the expected answer to hostile input: only a crash fails.
@Suite struct FuzzReplayTests {
    struct Input: CustomTestStringConvertible, Sendable {
        let target: String
        let path: String
        var testDescription: String { String(path.dropFirst(Repository.root.path.count + 1)) }
    }

    static let fuzzDirectory = Repository.url("Tests/Fuzz")
    static let targets = ["gguf", "gguf-tokenizer", "tokenizer-json", "tiktoken", "key", "calibration",
                          "common-tuples", "ids", "jsonl"]

    static func inputs(in kind: String) -> [Input] {
        targets.flatMap { target -> [Input] in
            let directory = fuzzDirectory.appendingPathComponent("\(kind)/\(target)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map {
                Input(target: target, path: directory.appendingPathComponent($0).path)
            }
        }
    }

    static var executable: URL {
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("WatermarkFuzz")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("WatermarkFuzz")
    }

    @Test func everyTargetHasSeeds() throws {
        let listed = try Self.run(["--list"])
        #expect(listed.status == 0)
        let names = listed.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        #expect(names == Self.targets, "FuzzReplayTests.targets is out of step with FuzzTarget")
        for target in Self.targets {
            #expect(Self.inputs(in: "Corpus").contains { $0.target == target }, "no seeds for \(target)")
        }
    }

    @Test(arguments: inputs(in: "Corpus"))
    func seed(_ input: Input) throws { try replay(input) }

    @Test(arguments: inputs(in: "Regressions"))
    func regression(_ input: Input) throws { try replay(input) }

    func replay(_ input: Input) throws {
        let outcome = try Self.run([input.target, input.path], timeout: 120)
        #expect(outcome.status == 0, """
            \(input.target) crashed on \(input.testDescription) (status \(outcome.status)); \
            reproduce: WatermarkFuzz \(input.target) \(input.testDescription)
            \(outcome.stderr.suffix(6000))
            """)
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], timeout: Double? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        // The backtrace goes to stderr without waiting for a debugger.
        environment["SWIFT_BACKTRACE"] = "enable=yes,interactive=no"
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
        }
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData = error.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                       stderr: String(decoding: errorData, as: UTF8.self))
    }
}
