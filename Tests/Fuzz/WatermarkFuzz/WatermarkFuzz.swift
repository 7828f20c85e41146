#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import FuzzTargets

#if FUZZING
    import CLibFuzzer

    /// The target this process fuzzes, set from argv before libFuzzer starts.
    nonisolated(unsafe) var selectedTarget: FuzzTarget = .gguf

    /// libFuzzer's callback (also exported under its conventional name, so the binary works
    /// with tools that look for it).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        selectedTarget.run(data, size)
        return 0
    }
#endif

/// `WatermarkFuzz TARGET ARGS...`
///
/// Built with `-sanitize=fuzzer -DFUZZING` (Tools/fuzz.sh): libFuzzer on TARGET, ARGS being
/// libFuzzer's (corpus directories, `-max_total_time=`, …). Built normally: replays every file
/// in the files and directories ARGS through TARGET and exits 0 when none crashed, which is
/// what `FuzzReplayTests` runs. `WatermarkFuzz --list` prints the targets (name, -max_len,
/// entry point). The fuzzing build also takes the target from $WATERMARK_FUZZ_TARGET: the
/// processes libFuzzer's fork mode starts get the parent's flags but not its first argument.
@main
struct WatermarkFuzz {
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count >= 2 && arguments[1] == "--list" {
            for target in FuzzTarget.allCases {
                print("\(target.rawValue)\t\(target.maximumInputLength)\t\(target.entryPoint)")
            }
            exit(0)
        }
        #if FUZZING
            // The target is the first argument, or (in the processes libFuzzer's fork mode
            // starts, with the parent's flags but no target) the environment's.
            var skip = 0
            let name: String
            if arguments.count >= 2, FuzzTarget(rawValue: arguments[1]) != nil {
                name = arguments[1]
                skip = 1
                setenv(targetVariable, name, 1)
            } else if let fromEnvironment = ProcessInfo.processInfo.environment[targetVariable] {
                name = fromEnvironment
            } else {
                usage()
            }
            guard let target = FuzzTarget(rawValue: name) else { unknown(name) }
            selectedTarget = target
            // libFuzzer sees argv without the target name.
            var argc = CommandLine.argc - Int32(skip)
            let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: Int(argc) + 1)
            argv[0] = CommandLine.unsafeArgv[0]
            for i in 1..<Int(argc) { argv[i] = CommandLine.unsafeArgv[i + skip] }
            argv[Int(argc)] = nil
            var argvPointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
            exit(LLVMFuzzerRunDriver(&argc, &argvPointer) { data, size in fuzz(data, size) })
        #else
            guard arguments.count >= 2 else { usage() }
            guard let target = FuzzTarget(rawValue: arguments[1]) else { unknown(arguments[1]) }
            replay(target, Array(arguments.dropFirst(2)))
        #endif
    }

    static let targetVariable = "WATERMARK_FUZZ_TARGET"

    static func unknown(_ name: String) -> Never {
        FileHandle.standardError.write(Data("WatermarkFuzz: unknown target '\(name)'\n".utf8))
        usage()
    }

    static func usage() -> Never {
        let text = """
            usage: WatermarkFuzz TARGET [--memory-limit-mb N] FILE-OR-DIRECTORY...   (replay build)
                   WatermarkFuzz TARGET [libFuzzer flags] [CORPUS-DIRECTORY...]     (-sanitize=fuzzer -DFUZZING build;
                                                                                    or TARGET from $WATERMARK_FUZZ_TARGET)
                   WatermarkFuzz --list
            targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))

            """
        FileHandle.standardError.write(Data(text.utf8))
        exit(2)
    }

    /// Runs every file once. The address space is limited (4 GiB unless told otherwise, 0 for
    /// none), so an input that makes the code allocate tens of gigabytes fails at once in this
    /// process instead of paging the machine to death.
    static func replay(_ target: FuzzTarget, _ arguments: [String]) {
        var paths: [String] = []
        var limitMB = 4096
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--memory-limit-mb", i + 1 < arguments.count, let n = Int(arguments[i + 1]) {
                limitMB = n
                i += 2
                continue
            }
            paths.append(arguments[i])
            i += 1
        }
        if limitMB > 0 {
            var limit = rlimit(rlim_cur: rlim_t(limitMB) << 20, rlim_max: rlim_t(limitMB) << 20)
            #if canImport(Glibc)
                _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
            #else
                _ = setrlimit(RLIMIT_AS, &limit)
            #endif
        }
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("WatermarkFuzz: no such file or directory: \(path)\n".utf8))
                exit(2)
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { "\(path)/\($0)" }
            } else {
                files.append(path)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("WatermarkFuzz: cannot read \(file)\n".utf8))
                exit(2)
            }
            // Said before the run, so the last line names the input when it crashes.
            FileHandle.standardError.write(Data("replaying \(target.rawValue) \(file) (\(data.count) bytes)\n".utf8))
            target.run([UInt8](data))
        }
        print("\(target.rawValue): \(files.count) inputs replayed, none crashed")
    }
}
