"""swift_watermark: the greenlist-v1 watermark (docs/SCHEME.md) for Python engines.

Keys, the partition, processors that embed the watermark while Hugging Face transformers,
llama-cpp-python or vLLM generate, and a detector with exact p-values; all of it calls the
Swift library behind the `watermark` CLI, so the answers are the CLI's to the bit.

    from swift_watermark import Key, Detector
    key = Key.from_file("my.key")
    result = Detector(key, tokenizer="model.gguf").detect(text)

Processors: swift_watermark.transformers.WatermarkLogitsProcessor,
swift_watermark.llama_cpp.WatermarkLogitsProcessor, swift_watermark.vllm.WatermarkLogitsProcessor.
"""
from ._native import WatermarkError, library_path, lib as _lib
from .core import (DEFAULT_CONTEXT_WIDTH, DEFAULT_DELTA, DEFAULT_GAMMA, DetectionResult, Detector, DocumentError,
                   Key, Partition, green_threshold, params)

__version__ = "0.4.0"
library_version: str = _lib.swm_version().decode()

__all__ = [
    "Key", "Partition", "Detector", "DetectionResult", "DocumentError", "WatermarkError", "green_threshold",
    "library_path", "library_version", "DEFAULT_GAMMA", "DEFAULT_CONTEXT_WIDTH", "DEFAULT_DELTA",
]
