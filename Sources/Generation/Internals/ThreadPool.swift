import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small persistent pool for the forward pass: `run(tasks:)` hands out task indices
/// dynamically to the caller and `threadCount − 1` workers and returns when all are done.
///
/// A generation step makes ~150 parallel calls of 20–500 µs each, so per-call overhead
/// matters more than anything else here: workers spin on an atomic generation counter between
/// calls (a call costs about a microsecond) and fall back to a condition variable after
/// about a millisecond idle, so an idle session costs no CPU. Dynamic hand-out, and a caller
/// that never waits for a worker that has not started, keep a shared (oversubscribed)
/// machine from stalling the pass. Not reentrant and not `Sendable`: one caller at a time, on
/// one thread (the session that owns it); only its shared `State` crosses to the workers.
final class ThreadPool {
    let threadCount: Int
    private let state: State

    init(threads: Int) {
        threadCount = max(1, threads)
        state = State(workers: threadCount - 1)
        for index in 1..<max(threadCount, 1) {
            let state = self.state
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            let box = Unmanaged.passRetained(WorkerStart(state: state, index: index)).toOpaque()
            #if canImport(Darwin)
            var thread: pthread_t? = nil
            #else
            var thread = pthread_t()
            #endif
            let rc = pthread_create(&thread, &attributes, { raw in
                #if canImport(Darwin)
                let raw: UnsafeMutableRawPointer? = raw
                #endif
                let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                start.state.workerLoop(index: start.index)
                return nil
            }, box)
            pthread_attr_destroy(&attributes)
            if rc != 0 {
                // No thread: the caller will do that share itself (tasks are handed out dynamically).
                Unmanaged<WorkerStart>.fromOpaque(box).release()
                state.workerFailed()
            }
        }
    }

    deinit { state.stop() }

    /// Calls `body(task, thread)` for every task in `0..<tasks`, spread over the pool; `thread`
    /// is in `0..<threadCount` and names the caller's scratch slot. Returns when all are done.
    func run(tasks: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        if tasks <= 0 { return }
        if tasks == 1 || state.liveWorkers == 0 {
            for t in 0..<tasks { body(t, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in state.dispatch(tasks: tasks, escapable) }
    }
}

private final class WorkerStart {
    let state: ThreadPool.State
    let index: Int
    init(state: ThreadPool.State, index: Int) {
        self.state = state
        self.index = index
    }
}

extension ThreadPool {
    /// Shared between the caller and the workers.
    ///
    /// Task hand-out is one atomic word, `ticket = count << 32 | next`: a worker's fetch-add
    /// returns an index and the task count of the same call together, so a worker that wakes
    /// late can never run a task of a later call under an earlier call's count (or twice).
    /// The caller returns once every task has *completed*; it does not wait for workers that
    /// never joined, which keeps a descheduled worker (a busy machine) from stalling it.
    final class State: @unchecked Sendable {
        private let generation = Atomic<Int>(0)
        private let ticket = Atomic<UInt64>(0)
        private let completed = Atomic<Int>(0)
        private let sleepers = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        private let failed = Atomic<Int>(0)
        private let workers: Int
        // Written by the caller before the ticket is published (release) and read by workers
        // only after they draw a valid index from that ticket (acquire).
        nonisolated(unsafe) private var job: ((Int, Int) -> Void)?
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private let condition: UnsafeMutablePointer<pthread_cond_t>

        /// Spins before sleeping: about a millisecond, yielding the processor between polls
        /// after the first few thousand so that an oversubscribed machine still makes progress.
        private static let spinLimit = 1 << 14
        private static let yieldAfter = 1 << 11

        init(workers: Int) {
            self.workers = workers
            mutex = .allocate(capacity: 1)
            condition = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        // Workers hold this object until they exit, so it is only freed after they are gone.
        deinit {
            pthread_cond_destroy(condition)
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            condition.deallocate()
        }

        var liveWorkers: Int { workers - failed.load(ordering: .relaxed) }

        func workerFailed() { failed.add(1, ordering: .relaxed) }

        func dispatch(tasks: Int, _ body: @escaping (Int, Int) -> Void) {
            precondition(tasks < 1 << 31)
            job = body
            completed.store(0, ordering: .relaxed)
            ticket.store(UInt64(tasks) << 32, ordering: .releasing)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            work(thread: 0)
            var spins = 0
            while completed.load(ordering: .acquiring) < tasks {
                spins += 1
                if spins >= Self.yieldAfter { sched_yield() }
            }
            job = nil
        }

        private func work(thread: Int) {
            while true {
                let t = ticket.add(1, ordering: .acquiringAndReleasing).oldValue
                let index = Int(t & 0xFFFF_FFFF), count = Int(t >> 32)
                if index >= count { return }
                job!(index, thread)
                completed.add(1, ordering: .releasing)
            }
        }

        func workerLoop(index: Int) {
            var seen = 0  // the initial generation: a worker that starts late still joins the first call
            while true {
                var spins = 0
                var current = generation.load(ordering: .acquiring)
                while current == seen {
                    if stopping.load(ordering: .relaxed) { return }
                    spins += 1
                    if spins >= Self.yieldAfter { sched_yield() }
                    if spins >= Self.spinLimit {
                        pthread_mutex_lock(mutex)
                        sleepers.add(1, ordering: .sequentiallyConsistent)
                        while generation.load(ordering: .sequentiallyConsistent) == seen,
                            !stopping.load(ordering: .sequentiallyConsistent)
                        {
                            pthread_cond_wait(condition, mutex)
                        }
                        sleepers.subtract(1, ordering: .sequentiallyConsistent)
                        pthread_mutex_unlock(mutex)
                        spins = 0
                    }
                    current = generation.load(ordering: .acquiring)
                }
                if stopping.load(ordering: .relaxed) { return }
                seen = current
                work(thread: index)
            }
        }

        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }
}
