#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads this process can really run at once: the processors in its affinity mask
/// (`taskset`, `docker --cpuset-cpus`), further limited by a cgroup CPU quota (`docker --cpus`,
/// Kubernetes limits, systemd's `CPUQuota=`), rounded up; never less than 1.
///
/// Foundation's `activeProcessorCount` counts the machine's online processors, which
/// oversubscribes a container limited to fewer.
package enum Processors {
    package static var available: Int {
        count(status: read("/proc/self/status", limit: 1 << 16), online: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
              membership: read("/proc/self/cgroup", limit: 1 << 16), file: { read($0) })
    }

    /// ``available`` from what it reads: `/proc/self/status`, the online count, `/proc/self/cgroup`
    /// and a reader of the cgroup files by absolute path (tests give their own).
    package static func count(status: String?, online: Int, membership: String?, file: (String) -> String?) -> Int {
        var count = status.flatMap(affinityCount(status:)) ?? online
        if let quota = cgroupQuota(membership: membership, file: file) { count = min(count, quota) }
        return max(1, count)
    }

    /// Processors in the affinity mask (Linux's `Cpus_allowed_list` in /proc/self/status,
    /// e.g. `0-3,8`), or nil when it cannot be read.
    static func affinityCount(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
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

    /// The tightest CPU quota, in whole processors rounded up, of the process's cgroup and every
    /// cgroup above it (a parent's limit binds its children too); nil when none has one.
    ///
    /// The process's cgroup comes from `membership` (/proc/self/cgroup): a cgroup v2 line
    /// `0::/path` (`cpu.max` under /sys/fs/cgroup, or /sys/fs/cgroup/unified in the hybrid
    /// layout) and a v1 line naming the `cpu` controller (`cpu.cfs_quota_us` and
    /// `cpu.cfs_period_us` under /sys/fs/cgroup/cpu or cpu,cpuacct). Inside a container with
    /// its own cgroup namespace the path is `/` and the files at the mount's top are its own;
    /// under systemd or a container runtime without one, the limit sits in a group below the
    /// top, which reading only the top missed.
    package static func cgroupQuota(membership: String?, file: (String) -> String?) -> Int? {
        var v2Path = "/", v1Path = "/"
        for line in (membership ?? "").split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                v2Path = String(fields[2])
            } else if fields[1].split(separator: ",").contains("cpu") {
                v1Path = String(fields[2])
            }
        }
        var tightest: Int? = nil
        func take(_ quota: Int?) {
            if let quota { tightest = min(tightest ?? quota, quota) }
        }
        for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
            for dir in ancestry(of: v2Path, under: root) {
                // "max 100000" is no limit.
                guard let parts = file(dir + "/cpu.max")?.split(whereSeparator: { $0 == " " || $0 == "\n" }), parts.count >= 2,
                      let q = Double(parts[0]), let p = Double(parts[1]) else { continue }
                take(quota(q, p))
            }
        }
        for root in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"] {
            for dir in ancestry(of: v1Path, under: root) {
                // A quota of -1 is no limit.
                guard let q = file(dir + "/cpu.cfs_quota_us").flatMap({ Double($0.filter { !$0.isWhitespace }) }),
                      let p = file(dir + "/cpu.cfs_period_us").flatMap({ Double($0.filter { !$0.isWhitespace }) }) else { continue }
                take(quota(q, p))
            }
        }
        return tightest
    }

    /// `root/a/b`, `root/a`, `root` for the path `/a/b`; only `root` for a path that is not
    /// absolute, has an empty, `.` or `..` component, or is implausibly deep.
    static func ancestry(of path: String, under root: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), parts.count <= 64,
              path == "/" || !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return [root] }
        var dirs = [root]
        var dir = root
        for part in parts where !part.isEmpty {
            dir += "/" + part
            dirs.append(dir)
        }
        return dirs.reversed()
    }

    private static func quota(_ quota: Double, _ period: Double) -> Int? {
        guard quota.isFinite, period.isFinite, quota > 0, period > 0, quota / period < 1_048_576 else { return nil }
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
