#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads this process can really run at once: the processors in its affinity mask
/// (`taskset`, `docker --cpuset-cpus`), further limited by a cgroup CPU quota (`docker --cpus`,
/// Kubernetes limits), rounded up; never less than 1.
///
/// Foundation's `activeProcessorCount` counts the machine's online processors, which
/// oversubscribes a container limited to fewer.
package enum Processors {
    package static var available: Int {
        var count = affinityCount() ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if let quota = cgroupQuota() { count = min(count, quota) }
        return max(1, count)
    }

    /// Processors in the affinity mask (Linux's `Cpus_allowed_list` in /proc/self/status,
    /// e.g. `0-3,8`), or nil when it cannot be read.
    static func affinityCount() -> Int? {
        guard let status = read("/proc/self/status", limit: 1 << 16),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return cpuListCount(line.dropFirst("Cpus_allowed_list:".count).trimmingWhitespace())
    }

    /// The number of processors in a kernel CPU list (`0-3,8,10-11`), or nil if malformed.
    package static func cpuListCount(_ list: Substring) -> Int? {
        var total = 0
        for range in list.split(separator: ",") {
            let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
            guard let low = Int(bounds[0]) else { return nil }
            let high = bounds.count == 2 ? Int(bounds[1]) : low
            guard bounds.count <= 2, let high, high >= low else { return nil }
            total += high - low + 1
        }
        return total > 0 ? total : nil
    }

    /// The cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`) quota in
    /// whole processors, rounded up; nil when there is none.
    static func cgroupQuota() -> Int? {
        if let text = read("/sys/fs/cgroup/cpu.max") {
            let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if parts.count >= 2, let q = Double(parts[0]), let p = Double(parts[1]) { return quota(q, p) }
            return nil  // "max": no quota
        }
        if let q = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").flatMap({ Double($0.filter { !$0.isWhitespace }) }),
           let p = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us").flatMap({ Double($0.filter { !$0.isWhitespace }) }) {
            return quota(q, p)
        }
        return nil
    }

    private static func quota(_ quota: Double, _ period: Double) -> Int? {
        guard quota > 0, period > 0 else { return nil }
        return max(1, Int((quota / period).rounded(.up)))
    }

    private static func read(_ path: String, limit: Int = 4096) -> String? {
        (try? SystemFile.read(path: path, limit: limit)).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}
