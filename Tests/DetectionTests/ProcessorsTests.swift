import Foundation
import Testing
import SystemSupport

@Suite("processors available")
struct ProcessorsTests {
    @Test(arguments: [("0", 1), ("0-3", 4), ("0-3,8", 5), ("0,2,4-5", 4), ("7-7", 1)] as [(String, Int)])
    func cpuListsAreCounted(list: String, expected: Int) {
        #expect(Processors.cpuListCount(list[...]) == expected)
    }

    @Test(arguments: ["", "x", "3-1", "1-2-3", "-1"])
    func malformedCPUListsAreRefused(list: String) {
        #expect(Processors.cpuListCount(list[...]) == nil)
    }

    @Test func theCountIsWithinTheMachine() {
        #expect((1...ProcessInfo.processInfo.processorCount).contains(Processors.available))
    }
}

/// The cgroup quota as the kernel lays it out, from fake files: the process's own group and
/// every group above it count, in the v2, hybrid and v1 layouts.
@Suite("processors available: cgroup quotas")
struct CgroupQuotaTests {
    static func quota(_ membership: String, _ files: [String: String]) -> Int? {
        Processors.cgroupQuota(membership: membership, file: { files[$0] })
    }

    @Test func aLimitAboveTheProcessesGroupBindsIt() {
        // systemd: the slice has the quota, the service under it has none.
        let files = ["/sys/fs/cgroup/system.slice/cpu.max": "150000 100000\n", "/sys/fs/cgroup/system.slice/job.service/cpu.max": "max 100000\n",
                     "/sys/fs/cgroup/cpu.max": "max 100000\n"]
        #expect(Self.quota("0::/system.slice/job.service\n", files) == 2)
        // The tightest level wins, wherever it is.
        var tighter = files
        tighter["/sys/fs/cgroup/system.slice/job.service/cpu.max"] = "50000 100000"
        #expect(Self.quota("0::/system.slice/job.service\n", tighter) == 1)
    }

    @Test func aContainerWithItsOwnNamespaceReadsTheTop() {
        #expect(Self.quota("0::/\n", ["/sys/fs/cgroup/cpu.max": "300000 100000"]) == 3)
        #expect(Self.quota("0::/\n", ["/sys/fs/cgroup/cpu.max": "max 100000"]) == nil)
        #expect(Self.quota("0::/\n", [:]) == nil)
    }

    @Test func version1AndTheHybridLayout() {
        // As on this project's CI machine: v1 controllers, v2 mounted at unified without cpu.
        let membership = "9:name=systemd:/\n4:memory:/x\n2:cpuacct:/\n1:cpu:/wmtest\n0::/\n"
        let files = ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
                     "/sys/fs/cgroup/cpu/wmtest/cpu.cfs_quota_us": "50000\n", "/sys/fs/cgroup/cpu/wmtest/cpu.cfs_period_us": "100000\n"]
        #expect(Self.quota(membership, files) == 1)
        // The joint cpu,cpuacct mount, a runtime without a cgroup namespace.
        let joint = ["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "250000", "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"]
        #expect(Self.quota("3:cpu,cpuacct:/docker/abc\n", joint) == 3)
        // Without a quota anywhere.
        #expect(Self.quota(membership, ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"]) == nil)
    }

    @Test func oddPathsAndValuesAreNotFollowed() {
        var asked: [String] = []
        _ = Processors.cgroupQuota(membership: "0::/../../etc\n1:cpu:relative\n", file: { asked.append($0); return nil })
        #expect(asked.allSatisfy { $0.hasPrefix("/sys/fs/cgroup/") && !$0.contains("..") && !$0.contains("etc") && !$0.contains("relative") },
                "\(asked)")
        for bad in ["0 100000", "-5 100000", "nan 100000", "1e300 1", "100000 0", "x y", "100000"] {
            #expect(Self.quota("0::/\n", ["/sys/fs/cgroup/cpu.max": bad]) == nil, "\(bad)")
        }
    }

    @Test func theCountTakesTheSmallerOfAffinityAndQuota() {
        let status = "Name:\twatermark\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\n"
        let two = ["/sys/fs/cgroup/cpu.max": "200000 100000"]
        #expect(Processors.count(status: status, online: 8, membership: "0::/\n", file: { two[$0] }) == 2)
        #expect(Processors.count(status: status, online: 8, membership: "0::/\n", file: { _ in nil }) == 4)
        #expect(Processors.count(status: nil, online: 8, membership: nil, file: { _ in nil }) == 8)
        let many = ["/sys/fs/cgroup/cpu.max": "1600000 100000"]
        #expect(Processors.count(status: status, online: 8, membership: "0::/\n", file: { many[$0] }) == 4)
        #expect(Processors.count(status: "garbage", online: 0, membership: nil, file: { _ in nil }) == 1)
    }
}
