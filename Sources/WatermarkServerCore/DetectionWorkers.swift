import Detection
import Dispatch
import Foundation
import SystemSupport
import Tokenizer
import Watermark

/// The pipelines one worker thread owns: one per combination of the per-request options
/// (window scan, attribution), built on first use. Not thread-safe, and never shared.
public final class PipelineSet {
    private let make: @Sendable (_ scan: Bool, _ attribution: Bool) throws -> DetectionPipeline
    private var built: [Int: DetectionPipeline] = [:]

    init(make: @escaping @Sendable (Bool, Bool) throws -> DetectionPipeline) { self.make = make }

    /// The pipeline for these options.
    public func pipeline(scan: Bool, attribution: Bool) throws -> DetectionPipeline {
        let slot = (scan ? 1 : 0) | (attribution ? 2 : 0)
        if let pipeline = built[slot] { return pipeline }
        let pipeline = try make(scan, attribution)
        built[slot] = pipeline
        return pipeline
    }
}

/// Detection off the event loop: a fixed set of threads, each with its own pipelines, fed
/// from one bounded queue.
///
/// The queue is the service's back-pressure: when it is full a request is refused at once
/// (503) instead of being held in memory, and a job that waited past its deadline is dropped
/// unrun (503, timeout) so that a burst cannot turn into minutes of stale work.
public final class DetectionWorkers: Sendable {
    private struct Job: Sendable {
        let deadline: ContinuousClock.Instant
        /// Runs the job on a worker's pipelines, or reports that it expired (nil).
        let run: @Sendable (PipelineSet?) -> Void
    }

    private struct Queue: ~Copyable {
        var jobs: [Job] = []
        var head = 0
        var closed = false
        var count: Int { jobs.count - head }

        mutating func pop() -> Job? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head >= 256 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private let queue = Locked(Queue())
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    public let threads: Int
    public let capacity: Int

    /// Starts `threads` workers; `make` builds a pipeline for a worker (it may be called on
    /// any worker thread, once per option combination).
    public init(threads: Int, capacity: Int, make: @escaping @Sendable (_ scan: Bool, _ attribution: Bool) throws -> DetectionPipeline) {
        self.threads = max(1, threads)
        self.capacity = max(1, capacity)
        for index in 0..<self.threads {
            finished.enter()
            let thread = Thread { [self] in
                let pipelines = PipelineSet(make: make)
                while true {
                    ready.wait()
                    guard let job = queue.withLock({ $0.pop() }) else { break }  // closed and drained
                    job.run(ContinuousClock.now <= job.deadline ? pipelines : nil)
                }
                finished.leave()
            }
            thread.name = "detect-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Jobs waiting for a worker.
    public var queued: Int { queue.withLock { $0.count } }

    /// Whether ``shutdown()`` has begun: from then on every new job is refused.
    public var isClosed: Bool { queue.withLock { $0.closed } }

    /// Runs `body` on a worker and returns its result; refuses at once when the queue is full
    /// or the pool is closing, and gives up (unrun) when the deadline passes in the queue.
    public func run<T: Sendable>(deadline: ContinuousClock.Instant,
                                 _ body: @escaping @Sendable (PipelineSet) -> T) async throws(APIFailure) -> T {
        let outcome: Result<T, APIFailure> = await withCheckedContinuation { continuation in
            let job = Job(deadline: deadline) { pipelines in
                guard let pipelines else {
                    continuation.resume(returning: .failure(APIFailure(.timeout, "the request waited longer than the request timeout for a detection thread", retryAfter: 1)))
                    return
                }
                continuation.resume(returning: .success(body(pipelines)))
            }
            let refusal: APIFailure? = queue.withLock { state in
                if state.closed { return APIFailure(.shuttingDown, "the service is stopping", retryAfter: 1) }
                if state.count >= capacity {
                    return APIFailure(.overloaded, "all \(threads) detection threads are busy and \(capacity) requests are queued", retryAfter: 1)
                }
                state.jobs.append(job)
                return nil
            }
            if let refusal { continuation.resume(returning: .failure(refusal)) } else { ready.signal() }
        }
        return try outcome.get()
    }

    /// Lets the queued jobs finish, then stops the threads; returns when they have stopped.
    public func shutdown() {
        let alreadyClosed = queue.withLock { state -> Bool in
            defer { state.closed = true }
            return state.closed
        }
        guard !alreadyClosed else { return }
        // One wake-up per thread beyond the queued jobs: each finds the queue empty and exits.
        for _ in 0..<threads { ready.signal() }
        finished.wait()
    }
}
