"""The watermark as a llama-cpp-python logits processor.

    from llama_cpp import Llama, LogitsProcessorList
    from swift_watermark.llama_cpp import WatermarkLogitsProcessor

    llm = Llama(model_path="model.gguf")
    wm = WatermarkLogitsProcessor(Key.from_file("my.key"))
    llm.create_completion(prompt, logits_processor=LogitsProcessorList([wm]))

llama-cpp-python calls it with every id so far (prompt and BOS included) and the float32
logits of the next token; it adds delta to the green ones in place, in the Swift library.
"""
from __future__ import annotations

import numpy as np

from .core import DEFAULT_CONTEXT_WIDTH, DEFAULT_DELTA, DEFAULT_GAMMA, Key, Partition


class WatermarkLogitsProcessor:
    """greenlist-v1 for `Llama.create_completion(logits_processor=...)`; temperature as in
    swift_watermark.transformers.WatermarkLogitsProcessor (None: every token)."""

    def __init__(self, key: Key, gamma: float = DEFAULT_GAMMA, delta: float = DEFAULT_DELTA,
                 context_width: int = DEFAULT_CONTEXT_WIDTH, temperature: "float | None" = None):
        self.partition = Partition(key, gamma=gamma, context_width=context_width, delta=delta)
        self.key_id = key.key_id
        self.temperature = None if temperature is None else float(temperature)

    def __repr__(self) -> str:
        return f"WatermarkLogitsProcessor(key_id={self.key_id!r}, temperature={self.temperature})"

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        h = self.partition.context_width
        if len(input_ids) < h:
            return scores
        row = scores if (scores.dtype == np.float32 and scores.flags.c_contiguous and scores.flags.writeable) \
            else np.ascontiguousarray(scores, dtype=np.float32).copy()
        self.partition.bias_row(row, np.asarray(input_ids[-h:], dtype=np.int64), self.temperature)
        return row
