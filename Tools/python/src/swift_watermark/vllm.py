"""The watermark as a vLLM V1 logits processor, with the key chosen per request.

Keys are loaded when vLLM builds the processor, from $SWIFT_WATERMARK_KEYS: key files or
folders of `*.key` files, separated by ':' (the paths are read, never the keys printed). A
request asks for the watermark by keyID:

    from vllm import LLM, SamplingParams
    # Installing swift_watermark registers the processor in the entry-point group
    # "vllm.logits_processors", so every engine loads it (inert for requests without a key):
    llm = LLM(model=...)        # with VLLM_USE_V2_MODEL_RUNNER=0 in vLLM 0.33
    # (without the package installed: LLM(model=..., logits_processors=[WatermarkLogitsProcessor]))
    params = SamplingParams(temperature=1.0, max_tokens=200,
                            extra_args={"watermark_key_id": "3ecfc95fcc639fb7"})

Optional per request: "watermark_gamma" (0.25), "watermark_delta" (2.0),
"watermark_context_width" (1), "watermark_candidates" (True: classify only the tokens that can
be drawn at the request's temperature, within 1e-9 in distribution; False: every token).
Requests without "watermark_key_id" are left alone. A request naming an unknown key or bad
parameters is refused by validate_params, before it is scheduled.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .core import DEFAULT_CONTEXT_WIDTH, DEFAULT_DELTA, DEFAULT_GAMMA, Key, Partition, WatermarkError

# vLLM 0.33 runs this interface under its V1 model runner (VLLM_USE_V2_MODEL_RUNNER=0); its
# newer "model runner V2" has another processor interface and refuses this one.
try:
    from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor, MoveDirectionality
except ImportError as error:  # pragma: no cover - only without vLLM
    raise ImportError("swift_watermark.vllm needs vLLM with the V1 logits-processor API "
                      "(vllm.v1.sample.logits_processor)") from error

KEYS_ENV = "SWIFT_WATERMARK_KEYS"
_GREEDY_EPS = 1e-5  # vLLM samples greedily below this temperature


def load_keys(spec: "str | None" = None) -> "dict[str, Key]":
    """The keys named by $SWIFT_WATERMARK_KEYS (or `spec`), by keyID."""
    spec = os.environ.get(KEYS_ENV, "") if spec is None else spec
    keys: dict[str, Key] = {}
    for part in filter(None, spec.split(":")):
        path = Path(part)
        files = sorted(path.glob("*.key")) if path.is_dir() else [path]
        for f in files:
            key = Key.from_file(f)
            keys[key.key_id] = key
    return keys


_partitions: "dict[tuple[str, float, int, float], Partition]" = {}


def _request_settings(extra: "dict[str, Any] | None", keys: "dict[str, Key]") -> "tuple[Partition, bool] | None":
    """The partition a request asks for (None: no watermark), checked."""
    if not extra or extra.get("watermark_key_id") is None:
        return None
    key_id = extra["watermark_key_id"]
    if not isinstance(key_id, str) or key_id not in keys:
        raise ValueError(f"watermark_key_id {key_id!r} is not one of the keys loaded from ${KEYS_ENV}")
    gamma = extra.get("watermark_gamma", DEFAULT_GAMMA)
    delta = extra.get("watermark_delta", DEFAULT_DELTA)
    h = extra.get("watermark_context_width", DEFAULT_CONTEXT_WIDTH)
    candidates = bool(extra.get("watermark_candidates", True))
    signature = (key_id, float(gamma), int(h), float(delta))
    part = _partitions.get(signature)
    if part is None:
        try:
            part = Partition(keys[key_id], gamma=gamma, context_width=h, delta=delta)
        except WatermarkError as error:
            raise ValueError(f"watermark parameters: {error}") from error
        _partitions[signature] = part
    return part, candidates


class _Row:
    __slots__ = ("partition", "prompt", "output", "temperature")

    def __init__(self, partition: Partition, prompt, output, temperature: "float | None"):
        self.partition = partition
        self.prompt = prompt
        self.output = output  # vLLM's own list, which it appends each new token to
        self.temperature = temperature

    def context(self, h: int) -> "list[int] | None":
        out = self.output
        if len(out) >= h:
            return list(out[-h:])
        need = h - len(out)
        prompt = self.prompt or []
        if len(prompt) < need:
            return None  # fewer than h tokens before the position: left alone
        return list(prompt[-need:]) + list(out)


class WatermarkLogitsProcessor(LogitsProcessor):
    """greenlist-v1 in vLLM's V1 engine, per request by keyID (see the module's doc)."""

    # vLLM concatenates the processors registered through the entry point with those passed to
    # LLM(logits_processors=...) without removing duplicates; a second instance for the same
    # engine would add delta twice, so it stands aside.
    _engines: "dict[int, int]" = {}

    def __init__(self, vllm_config: Any = None, device: "torch.device | None" = None, is_pin_memory: bool = False):
        self.keys = load_keys()
        self.rows: dict[int, _Row] = {}
        engine = id(vllm_config) if vllm_config is not None else None
        self.inert = engine is not None and engine in WatermarkLogitsProcessor._engines
        if engine is not None and not self.inert:
            WatermarkLogitsProcessor._engines[engine] = id(self)

    @classmethod
    def validate_params(cls, sampling_params: Any) -> None:
        _request_settings(getattr(sampling_params, "extra_args", None), load_keys())

    def is_argmax_invariant(self) -> bool:
        # The bias moves the argmax: greedy decoding must see it.
        return False

    def update_state(self, batch_update: "BatchUpdate | None") -> None:
        if batch_update is None or self.inert:
            return
        # vLLM's order: removed, then added (which may reuse an index), then moved.
        for index in batch_update.removed:
            self.rows.pop(index, None)
        for added in batch_update.added:
            index, params, prompt, output = added[0], added[1], added[2], added[3]
            settings = _request_settings(getattr(params, "extra_args", None), self.keys) if params is not None else None
            if settings is None:
                self.rows.pop(index, None)
                continue
            partition, candidates = settings
            t = float(getattr(params, "temperature", 1.0) or 0.0)
            temperature = (0.0 if t < _GREEDY_EPS else t) if candidates else None
            self.rows[index] = _Row(partition, prompt, output, temperature)
        for a, b, direction in batch_update.moved:
            row_a = self.rows.pop(a, None)
            row_b = self.rows.pop(b, None)
            if row_a is not None:
                self.rows[b] = row_a
            if direction == MoveDirectionality.SWAP and row_b is not None:
                self.rows[a] = row_b

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        if not self.rows or self.inert:
            return logits
        on_cpu = logits.device.type == "cpu" and logits.dtype == torch.float32 and logits.stride(1) == 1
        work = logits if on_cpu else logits.detach().to("cpu", torch.float32).contiguous()
        n, v = work.shape
        groups: dict[tuple[int, "float | None"], list[int]] = {}
        for index, row in self.rows.items():
            if index < n:
                groups.setdefault((id(row.partition), row.temperature), []).append(index)
        for indices in groups.values():
            first = self.rows[indices[0]]
            part, h = first.partition, first.partition.context_width
            contexts = np.zeros((n, h), dtype=np.uint32)
            active = np.zeros(n, dtype=np.uint8)
            for index in indices:
                ctx = self.rows[index].context(h)
                if ctx is not None:
                    contexts[index] = ctx
                    active[index] = 1
            if active.any():
                part.bias_rows_pointer(work.data_ptr(), n, work.stride(0), v, contexts.reshape(-1), active,
                                       first.temperature)
        if work is not logits:
            logits.copy_(work.to(device=logits.device, dtype=logits.dtype))
        return logits
