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
    private final class Queue<Input: Sendable, Output: Sendable>: @unchecked Sendable {
        // Everything below is guarded by `condition`'s lock.
        private let condition = NSCondition()
        private var inputs: [(Int, Input)] = []
        private var inputHead = 0
        private var results: [Int: Output] = [:]
        private var submitted = 0
        private var consumed = 0
        private var closed = false
        private let window: Int

        init(window: Int) { self.window = window }

        /// Waits for a free place in the window (consuming results that are ready meanwhile,
        /// on this thread), then queues the input.
        func submit(_ input: Input, whileWaiting consume: (Output) throws -> Void) throws {
            while true {
                condition.lock()
                if let ready = results.removeValue(forKey: consumed) {
                    consumed += 1
                    condition.unlock()
                    try consume(ready)
                    continue
                }
                if submitted - consumed < window {
                    inputs.append((submitted, input))
                    submitted += 1
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                condition.wait()
                condition.unlock()
            }
        }

        /// Consumes every outstanding result in order.
        func drain(_ consume: (Output) throws -> Void) throws {
            while true {
                condition.lock()
                if consumed == submitted {
                    condition.unlock()
                    return
                }
                if let ready = results.removeValue(forKey: consumed) {
                    consumed += 1
                    condition.unlock()
                    try consume(ready)
                    continue
                }
                condition.wait()
                condition.unlock()
            }
        }

        /// The next input for a worker, or nil once the queue is closed and empty.
        func nextInput() -> (Int, Input)? {
            condition.lock()
            defer { condition.unlock() }
            while inputHead == inputs.count && !closed { condition.wait() }
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
            condition.lock()
            results[sequence] = output
            condition.broadcast()
            condition.unlock()
        }

        /// No more inputs: idle workers return; after an error, queued ones are dropped.
        func close() {
            condition.lock()
            closed = true
            inputs.removeAll()
            inputHead = 0
            condition.broadcast()
            condition.unlock()
        }
    }
}
