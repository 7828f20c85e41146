import Foundation

/// Work on many items on several threads, with the results handed back in input order and a
/// bounded number of items in flight: how `watermark detect`, `calibrate` and `common-tuples`
/// use every core on a corpus of any size.
///
/// The caller's thread produces the items and consumes the results (so output and
/// bookkeeping stay single-threaded); `threads` workers run `work`, each with a `State` of its
/// own made on its thread (a ``DetectionPipeline``, which is not thread-safe). At most
/// `window` items are submitted and not yet consumed, so memory is bounded by the window,
/// never by the input. With one thread everything runs on the caller's thread, in order.
public enum OrderedParallel {
    /// Runs the walk. `produce` calls its argument once per item; `consume` gets each result
    /// in the order the items were submitted. An error thrown by `produce` or `consume`
    /// stops the walk (the workers finish the item they hold) and is rethrown.
    public static func run<Input: Sendable, Output: Sendable, State>(
        threads: Int, window: Int? = nil,
        state makeState: @escaping @Sendable () -> State,
        produce: (_ submit: (Input) throws -> Void) throws -> Void,
        work: @escaping @Sendable (inout State, Input) -> Output,
        consume: (Output) throws -> Void
    ) throws {
        let threads = max(1, threads)
        if threads == 1 {
            var state = makeState()
            try withoutActuallyEscaping(consume) { consume in
                try produce { input in try consume(work(&state, input)) }
            }
            return
        }
        let queue = Queue<Input, Output>(window: max(threads, window ?? threads * 16))
        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread {
                var state = makeState()
                while let (sequence, input) = queue.nextInput() {
                    queue.finished(sequence, work(&state, input))
                }
                group.leave()
            }
            thread.name = "detect-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        defer {
            queue.close()
            group.wait()
        }
        try withoutActuallyEscaping(consume) { consume in
            try produce { input in try queue.submit(input, whileWaiting: consume) }
            try queue.drain(consume)
        }
    }

    /// The shared state: inputs waiting for a worker, results waiting for their turn.
    ///
    /// Workers and the caller's thread wait on two conditions of one mutex, and the caller's
    /// thread is woken only when a batch of results is ready in order (a quarter of the window,
    /// or all that is left), not at every result. With one condition and a broadcast at every
    /// result, the 3 883 documents of docs/BENCHMARKS.md's corpus cost about 5 000 voluntary
    /// and as many involuntary context switches at two threads, and each wake of the caller's
    /// thread took a core from a worker. The window stays full enough that no worker waits.
    private final class Queue<Input: Sendable, Output: Sendable>: @unchecked Sendable {
        // Everything below is guarded by `mutex`.
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        /// Workers wait here for inputs.
        private let inputReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// The caller's thread waits here for results in order.
        private let resultsReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        private var inputs: [(Int, Input)] = []
        private var inputHead = 0
        private var results: [Int: Output] = [:]
        private var submitted = 0
        private var consumed = 0
        /// How many results from `consumed` on are ready, one after another.
        private var readyInOrder = 0
        /// While the caller's thread waits: how many ready in order wake it.
        private var wanted = 0
        private var closed = false
        private let window: Int
        private let batch: Int

        init(window: Int) {
            self.window = window
            batch = max(1, window / 4)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(inputReady, nil)
            pthread_cond_init(resultsReady, nil)
        }

        deinit {
            pthread_cond_destroy(resultsReady)
            pthread_cond_destroy(inputReady)
            pthread_mutex_destroy(mutex)
            resultsReady.deallocate()
            inputReady.deallocate()
            mutex.deallocate()
        }

        /// The next result in order, if it is ready (the mutex held).
        private func takeReady() -> Output? {
            guard readyInOrder > 0, let ready = results.removeValue(forKey: consumed) else { return nil }
            consumed += 1
            readyInOrder -= 1
            return ready
        }

        /// Waits (the mutex held) until `min(batch, submitted - consumed)` results are ready in
        /// order.
        private func waitForResults() {
            wanted = min(batch, submitted - consumed)
            while readyInOrder < wanted { pthread_cond_wait(resultsReady, mutex) }
            wanted = 0
        }

        /// Waits for a free place in the window (consuming results that are ready meanwhile,
        /// on this thread), then queues the input.
        func submit(_ input: Input, whileWaiting consume: (Output) throws -> Void) throws {
            pthread_mutex_lock(mutex)
            while true {
                if let ready = takeReady() {
                    pthread_mutex_unlock(mutex)
                    try consume(ready)
                    pthread_mutex_lock(mutex)
                    continue
                }
                if submitted - consumed < window {
                    inputs.append((submitted, input))
                    submitted += 1
                    pthread_cond_signal(inputReady)
                    pthread_mutex_unlock(mutex)
                    return
                }
                waitForResults()
            }
        }

        /// Consumes every outstanding result in order.
        func drain(_ consume: (Output) throws -> Void) throws {
            pthread_mutex_lock(mutex)
            while true {
                if let ready = takeReady() {
                    pthread_mutex_unlock(mutex)
                    try consume(ready)
                    pthread_mutex_lock(mutex)
                    continue
                }
                if consumed == submitted {
                    pthread_mutex_unlock(mutex)
                    return
                }
                waitForResults()
            }
        }

        /// The next input for a worker, or nil once the queue is closed and empty.
        func nextInput() -> (Int, Input)? {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while inputHead == inputs.count && !closed { pthread_cond_wait(inputReady, mutex) }
            guard inputHead < inputs.count else { return nil }
            let next = inputs[inputHead]
            inputHead += 1
            if inputHead >= 1024 && inputHead * 2 >= inputs.count {
                inputs.removeFirst(inputHead)
                inputHead = 0
            }
            return next
        }

        func finished(_ sequence: Int, _ output: Output) {
            pthread_mutex_lock(mutex)
            results[sequence] = output
            if sequence == consumed + readyInOrder {
                readyInOrder += 1
                while results[consumed + readyInOrder] != nil { readyInOrder += 1 }
                if wanted > 0 && readyInOrder >= wanted { pthread_cond_signal(resultsReady) }
            }
            pthread_mutex_unlock(mutex)
        }

        /// No more inputs: idle workers return; after an error, queued ones are dropped.
        func close() {
            pthread_mutex_lock(mutex)
            closed = true
            inputs.removeAll()
            inputHead = 0
            pthread_cond_broadcast(inputReady)
            pthread_mutex_unlock(mutex)
        }
    }
}
