import Foundation
import Testing

/// The default of `--threads`: the processors this process may use, after its affinity mask
/// and its cgroup's CPU quota, checked by running the CLI under each (`--show-threads`).
@Suite("the default thread count")
struct ThreadDefaultTests {
    /// Runs `/bin/sh -c script` with the CLI as `$0` and `arguments` after it; the script ends
    /// in `exec "$0" "$@"`.
    static func shell(_ script: String, _ arguments: [String]) throws -> CLI.Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, CLI.executable.path] + arguments
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data("1 2 3 4 5 6 7 8".utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Outcome(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    static func threadsShown(_ outcome: CLI.Outcome) -> Int? {
        outcome.stderr.split(separator: "\n").first { $0.hasPrefix("watermark: threads: ") }.flatMap { Int($0.dropFirst("watermark: threads: ".count)) }
    }

    static let processors = ProcessInfo.processInfo.activeProcessorCount
    static let taskset = ["/usr/bin/taskset", "/bin/taskset"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func key() throws -> (Scratch, String) {
        let dir = try Scratch()
        return (dir, try dir.write("k.key", String(repeating: "ab", count: 32)))
    }

    @Test func withoutLimitsItIsEveryProcessorOfTheMask() throws {
        let (dir, key) = try Self.key()
        let r = try Self.shell(#"exec "$0" "$@""#, ["detect", "--ids", "--show-threads", "--key-file", key])
        #expect(r.status == 1 && Self.threadsShown(r).map { (1...Self.processors).contains($0) } == true, "\(r.stderr)")
        _ = dir
    }

    @Test(.enabled(if: taskset != nil && processors >= 2, "needs taskset (util-linux) and two processors"))
    func anAffinityMaskOfOneProcessorGivesOneThread() throws {
        let (dir, key) = try Self.key()
        // The control: this test's own processors, two or more when it runs unconfined.
        let outside = try Self.shell(#"exec "$0" "$@""#, ["detect", "--ids", "--show-threads", "--key-file", key])
        #expect(Self.threadsShown(outside).map { $0 >= 2 } == true, "run the tests unconfined: \(outside.stderr)")
        let r = try Self.shell(#"exec \#(Self.taskset!) -c 0 "$0" "$@""#, ["detect", "--ids", "--show-threads", "--key-file", key])
        #expect(r.status == 1 && Self.threadsShown(r) == 1, "\(r.stderr)")
        // --threads still says what it says.
        let given = try Self.shell(#"exec \#(Self.taskset!) -c 0 "$0" "$@""#, ["detect", "--ids", "--show-threads", "--threads", "3", "--key-file", key])
        #expect(Self.threadsShown(given) == 3, "\(given.stderr)")
        _ = dir
    }

    /// A cgroup this test may make: v1's cpu hierarchy, or v2's with the cpu controller on
    /// (root only), and how to give it a quota of one processor; nil unless a probe group could
    /// be made and given that quota here (a container's /sys/fs/cgroup is often read-only).
    static let cgroupLayout: (parent: String, quotaFiles: [(String, String)])? = {
        guard getuid() == 0 else { return nil }
        let layout: (parent: String, quotaFiles: [(String, String)])
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpu/cpu.cfs_quota_us") {
            layout = ("/sys/fs/cgroup/cpu", [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "100000")])
        } else if let controls = try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.subtree_control", encoding: .utf8),
                  controls.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("cpu") {
            layout = ("/sys/fs/cgroup", [("cpu.max", "100000 100000")])
        } else {
            return nil
        }
        let probe = layout.parent + "/swift-watermark-probe-\(getpid())"
        guard mkdir(probe, 0o755) == 0 else { return nil }
        defer { rmdir(probe) }
        for (name, value) in layout.quotaFiles {
            guard (try? Data(value.utf8).write(to: URL(fileURLWithPath: probe + "/" + name))) != nil else { return nil }
        }
        // And a process can be moved into it (v2 refuses where the group is not delegated).
        let mover = Process()
        mover.executableURL = URL(fileURLWithPath: "/bin/sh")
        mover.arguments = ["-c", "echo $$ > \(probe)/cgroup.procs"]
        guard (try? mover.run()) != nil else { return nil }
        mover.waitUntilExit()
        return mover.terminationStatus == 0 ? layout : nil
    }()

    @Test(.enabled(if: cgroupLayout != nil && processors >= 2,
                   "needs root, a writable cgroup cpu controller (v1, or v2 with cpu in cgroup.subtree_control) and two processors"))
    func aCgroupQuotaOfOneProcessorGivesOneThread() throws {
        let (dir, key) = try Self.key()
        let layout = Self.cgroupLayout!
        let group = layout.parent + "/swift-watermark-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: false)
        // The shell has left the group when it ends, so the group can go.
        defer { rmdir(group) }
        for (name, value) in layout.quotaFiles { try Data(value.utf8).write(to: URL(fileURLWithPath: group + "/" + name)) }
        // Before the quota is the process's: the same machine, all its processors.
        let outside = try Self.shell(#"exec "$0" "$@""#, ["detect", "--ids", "--show-threads", "--key-file", key])
        let inside = try Self.shell(#"echo $$ > \#(group)/cgroup.procs && exec "$0" "$@""#, ["detect", "--ids", "--show-threads", "--key-file", key])
        #expect(inside.status == 1 && Self.threadsShown(inside) == 1, "\(inside.stderr)")
        #expect(Self.threadsShown(outside).map { $0 >= 2 } == true, "run the tests unconfined: \(outside.stderr)")
        _ = dir
    }
}
