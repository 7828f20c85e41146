import Generation
import Watermark

/// The watermark's processor on the runtime's `LogitsProcessor` hook: the one place where
/// the two meet, so that neither `Watermark` nor `Generation` knows of the other.
public struct WatermarkHook: LogitsProcessor {
    public let processor: WatermarkLogitsProcessor

    public init(_ processor: WatermarkLogitsProcessor) { self.processor = processor }

    public mutating func process(logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) throws {
        try processor.process(logits, history: history)
    }
}
