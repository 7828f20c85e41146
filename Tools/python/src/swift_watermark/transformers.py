"""The watermark as a Hugging Face `transformers` logits processor.

    from transformers import LogitsProcessorList
    from swift_watermark import Key
    from swift_watermark.transformers import WatermarkLogitsProcessor

    wm = WatermarkLogitsProcessor(Key.from_file("my.key"))
    out = model.generate(**inputs, do_sample=True, logits_processor=LogitsProcessorList([wm]))

It biases the scores of the next token by delta on the green list of the row's last
`context_width` tokens, exactly as `watermark embed` does, for any batch size and with left
padding (a row's context is its last h ids, which are the prompt's or generated ones as soon
as the prompt has h tokens). CPU float32 scores are biased in the Swift library without a copy
of the vocabulary; other devices and dtypes go through a float32 copy on the CPU.
"""
from __future__ import annotations

import numpy as np
import torch
from transformers import LogitsProcessor

from .core import DEFAULT_CONTEXT_WIDTH, DEFAULT_DELTA, DEFAULT_GAMMA, Key, Partition


class WatermarkLogitsProcessor(LogitsProcessor):
    """greenlist-v1 for `model.generate(logits_processor=[...])`.

    temperature: None (the default) classifies every token of the vocabulary, the
    reference. Set it to the temperature you sample at (0 for greedy) to classify only the
    tokens that can be drawn there; the distribution then differs from the full bias by less
    than 1e-9 in total variation (docs/ENGINES.md, "Only the tokens that can matter"). It must then be the
    temperature generate() uses, or the bound does not hold.
    """

    def __init__(self, key: Key, gamma: float = DEFAULT_GAMMA, delta: float = DEFAULT_DELTA,
                 context_width: int = DEFAULT_CONTEXT_WIDTH, temperature: "float | None" = None):
        self.partition = Partition(key, gamma=gamma, context_width=context_width, delta=delta)
        self.key_id = key.key_id
        self.context_width = int(context_width)
        self.temperature = None if temperature is None else float(temperature)

    def __repr__(self) -> str:
        return (f"WatermarkLogitsProcessor(key_id={self.key_id!r}, gamma={self.partition.gamma}, "
                f"delta={self.partition.delta}, context_width={self.context_width}, temperature={self.temperature})")

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        h = self.context_width
        if input_ids.dim() != 2 or scores.dim() != 2 or input_ids.shape[0] != scores.shape[0]:
            raise ValueError(f"expected input_ids [batch, length] and scores [batch, vocab], got "
                             f"{tuple(input_ids.shape)} and {tuple(scores.shape)}")
        if input_ids.shape[1] < h:
            return scores  # fewer than h tokens before the position: left alone, as the scheme says
        contexts = np.ascontiguousarray(input_ids[:, -h:].detach().to("cpu", torch.int64).numpy().astype(np.uint32))
        # A new tensor, as transformers' own processors return: the caller's logits stay as they were.
        if scores.device.type == "cpu" and scores.dtype == torch.float32:
            out = scores.detach().clone(memory_format=torch.contiguous_format)
            self._bias(out, contexts)
            return out
        work = scores.detach().to("cpu", torch.float32).contiguous()
        self._bias(work, contexts)
        return work.to(device=scores.device, dtype=scores.dtype)

    def _bias(self, rows: torch.Tensor, contexts: np.ndarray) -> None:
        b, v = rows.shape
        self.partition.bias_rows_pointer(rows.data_ptr(), b, rows.stride(0), v, contexts, None, self.temperature)
