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
