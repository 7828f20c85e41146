"""Keys, the partition and the detector, over the Swift library."""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import re
from ctypes import byref, c_int32, c_size_t, c_void_p
from typing import Any, Iterable, Sequence

import numpy as np

from . import _native
from ._native import WatermarkError, check, lib

DEFAULT_GAMMA = 0.25
DEFAULT_CONTEXT_WIDTH = 1
DEFAULT_DELTA = 2.0


def _path(p: "str | os.PathLike[str]") -> bytes:
    return os.fsencode(os.fspath(p))


def params(gamma: float = DEFAULT_GAMMA, context_width: int = DEFAULT_CONTEXT_WIDTH,
           delta: float = DEFAULT_DELTA) -> _native.Params:
    """The scheme's parameters, checked by the library (a WatermarkError if out of range)."""
    if not isinstance(context_width, int) or not 0 <= context_width < 2**32:
        raise WatermarkError("parameters", f"context width must be 1 to 8 tokens (got {context_width!r})")
    p = _native.Params(float(gamma), context_width, float(delta))
    check(lib.swm_params_validate(byref(p)))
    return p


def green_threshold(gamma: float) -> int:
    """G = floor(gamma*65536 + 0.5) clamped to 1..65535: green iff a token's score is below it."""
    return int(lib.swm_green_threshold(float(gamma)))


class Key:
    """A greenlist-v1 key. Its bytes stay inside the library; it is named by `key_id`.

    >>> key = Key.generate("demo.key")          # mode 0600, never overwrites
    >>> key = Key.from_file("demo.key")
    >>> key.key_id
    """

    __slots__ = ("_handle", "key_id")

    def __init__(self, handle: c_void_p):
        # Use from_file, generate or from_bytes.
        self._handle = handle
        self.key_id: str = lib.swm_key_id(handle).decode("ascii")

    @classmethod
    def from_file(cls, path: "str | os.PathLike[str]") -> "Key":
        out = c_void_p()
        check(lib.swm_key_from_file(_path(path), byref(out)))
        return cls(out)

    @classmethod
    def generate(cls, path: "str | os.PathLike[str]") -> "Key":
        """A new random 32-byte key, written to `path` with mode 0600 (an existing file is an error)."""
        out = c_void_p()
        check(lib.swm_key_generate(_path(path), byref(out)))
        return cls(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Key":
        """A key from its raw bytes (16 to 64); the bytes are not kept on the Python side."""
        buf = bytes(data)
        out = c_void_p()
        check(lib.swm_key_from_bytes(buf, len(buf), byref(out)))
        return cls(out)

    def __repr__(self) -> str:
        return f"Key(key_id={self.key_id!r})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a Key cannot be pickled: load it from its file where it is needed")

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            lib.swm_key_free(handle)
            self._handle = None


class Partition:
    """The partition under one key and parameter set: scores, green masks, classification and
    the bias, for any context. Safe to share between threads."""

    def __init__(self, key: Key, gamma: float = DEFAULT_GAMMA, context_width: int = DEFAULT_CONTEXT_WIDTH,
                 delta: float = DEFAULT_DELTA):
        self.key_id = key.key_id
        self.gamma = float(gamma)
        self.context_width = int(context_width)
        self.delta = float(delta)
        self.threshold = green_threshold(gamma)
        p = params(gamma, context_width, delta)
        out = c_void_p()
        check(lib.swm_processor_new(key._handle, byref(p), byref(out)))
        self._handle = out

    def __repr__(self) -> str:
        return (f"Partition(key_id={self.key_id!r}, gamma={self.gamma}, context_width={self.context_width}, "
                f"delta={self.delta})")

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            lib.swm_processor_free(handle)
            self._handle = None

    def _context(self, context: Sequence[int]) -> np.ndarray:
        c = np.ascontiguousarray(np.asarray(context, dtype=np.int64))
        if c.ndim != 1 or (c.size and (c.min() < 0 or c.max() > 0xFFFFFFFF)):
            raise WatermarkError("argument", "a context is a list of token ids in 0..2^32-1")
        return c.astype(np.uint32)

    def scores(self, context: Sequence[int], count: int) -> np.ndarray:
        """u(v) for v in 0..count-1 (uint16): green iff below `threshold`."""
        c = self._context(context)
        out = np.empty(count, dtype=np.uint16)
        check(lib.swm_partition_scores(self._handle, c.ctypes.data, c.size, out.ctypes.data, count))
        return out

    def green_mask(self, context: Sequence[int], count: int) -> np.ndarray:
        """A bool array: token v green after `context`."""
        c = self._context(context)
        out = np.empty(count, dtype=np.uint8)
        check(lib.swm_partition_green_bytes(self._handle, c.ctypes.data, c.size, out.ctypes.data, count))
        return out.view(np.bool_)

    def green_bits(self, context: Sequence[int], count: int) -> np.ndarray:
        """The mask packed LSB-first: token v in bit v % 8 of byte v // 8."""
        c = self._context(context)
        out = np.empty((count + 7) // 8, dtype=np.uint8)
        check(lib.swm_partition_green_bits(self._handle, c.ctypes.data, c.size, out.ctypes.data, out.size, count))
        return out

    def classify(self, context: Sequence[int], candidates: Sequence[int]) -> np.ndarray:
        """Green (True) or red for each candidate id: one AES block per eight-token block touched."""
        c = self._context(context)
        ids = self._context(candidates)
        out = np.empty(ids.size, dtype=np.uint8)
        check(lib.swm_classify(self._handle, c.ctypes.data, c.size, ids.ctypes.data, ids.size, out.ctypes.data))
        return out.view(np.bool_)

    def bias_row(self, logits: np.ndarray, history: Sequence[int], temperature: "float | None" = None) -> bool:
        """Adds delta to the green entries of one float32 row, in place, for the position after
        `history` (prompt included). temperature None: every token (the reference); a number:
        only the tokens that can be drawn at it (0: greedy), within 1e-9 in distribution."""
        if not (isinstance(logits, np.ndarray) and logits.dtype == np.float32 and logits.ndim == 1
                and logits.flags.c_contiguous and logits.flags.writeable):
            raise WatermarkError("argument", "logits must be a writable contiguous 1-D float32 array")
        h = self._context(history)
        applied = c_int32(0)
        mode, t = (_native.BIAS_FULL, 0.0) if temperature is None else (_native.BIAS_CANDIDATES, float(temperature))
        check(lib.swm_bias_row(self._handle, h.ctypes.data, h.size, logits.ctypes.data, logits.size, mode, t,
                               byref(applied)))
        return bool(applied.value)

    def bias_rows_pointer(self, data: int, rows: int, row_stride: int, row_length: int, contexts: np.ndarray,
                          active: "np.ndarray | None", temperature: "float | None") -> None:
        """The batch call on raw memory (float32 rows at `data`); the engines' processors use it."""
        mode, t = (_native.BIAS_FULL, 0.0) if temperature is None else (_native.BIAS_CANDIDATES, float(temperature))
        act = None if active is None else active.ctypes.data
        check(lib.swm_bias_rows(self._handle, data, rows, row_stride, row_length, contexts.ctypes.data, contexts.size,
                                act, mode, t))

    def bias_rows(self, logits: np.ndarray, contexts: np.ndarray, active: "np.ndarray | None" = None,
                  temperature: "float | None" = None) -> None:
        """Biases a 2-D float32 array in place; contexts is rows × h ids (oldest first)."""
        if not (isinstance(logits, np.ndarray) and logits.dtype == np.float32 and logits.ndim == 2
                and logits.strides[1] == 4 and logits.flags.writeable):
            raise WatermarkError("argument", "logits must be a writable 2-D float32 array with contiguous rows")
        ctx = np.ascontiguousarray(contexts, dtype=np.uint32).reshape(-1)
        act = None if active is None else np.ascontiguousarray(active, dtype=np.uint8)
        if act is not None and act.size != logits.shape[0]:
            raise WatermarkError("argument", f"active has {act.size} entries for {logits.shape[0]} rows")
        self.bias_rows_pointer(logits.ctypes.data, logits.shape[0], logits.strides[0] // 4, logits.shape[1], ctx, act,
                               temperature)


def _snake(name: str) -> str:
    name = name.replace("ID", "Id")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclasses.dataclass(frozen=True)
class DetectionResult:
    """One document's result: the fields of `watermark detect --json` (snake_case here; the
    JSON itself, byte for byte as the CLI writes it less "source" and "index", is `json`)."""

    key_id: str
    scheme: str
    gamma: float
    effective_gamma: float
    context_width: int
    deduplicated: bool
    tokens: int
    scored: int
    green: int
    z: float
    p: float
    log10p: float
    p_adjusted: float
    log10p_adjusted: float
    keys_tried: int
    false_positive_rate: float
    minimum_scored: int
    minimum_score: float
    calibrated: bool
    verdict: str
    keys: "list[dict[str, Any]] | None" = None
    window: "dict[str, Any] | None" = None
    attribution: "list[str] | None" = None
    common_tuples: "str | None" = None
    common_skipped: "int | None" = None
    tokenizer: "str | None" = None
    json: str = dataclasses.field(default="", repr=False, compare=False)

    @property
    def watermarked(self) -> bool:
        return self.verdict == "watermarked"

    def to_dict(self) -> "dict[str, Any]":
        """The result as the CLI's JSON object (camelCase keys)."""
        return json.loads(self.json)

    @classmethod
    def from_json(cls, text: str) -> "DetectionResult":
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {}
        for k, v in json.loads(text).items():
            name = _snake(k)
            if name in fields:
                values[name] = v
        return cls(json=text, **values)


@dataclasses.dataclass(frozen=True)
class DocumentError:
    """A document of a batch that could not be scored (the batch went on)."""
    index: int
    kind: str
    error: str


class Detector:
    """Detection with exact p-values, the same pipeline as `watermark detect`.

    keys: one Key or several (the result names the best and corrects p for how many were
    tried). tokenizer: a GGUF, tokenizer.json or tiktoken file, needed for text. The other
    arguments are the CLI's detection settings with its defaults. Safe to share between threads;
    `detect_batch` scores on several cores without holding the GIL.
    """

    def __init__(self, keys: "Key | Iterable[Key]", gamma: float = DEFAULT_GAMMA,
                 context_width: int = DEFAULT_CONTEXT_WIDTH, tokenizer: "str | os.PathLike[str] | None" = None, *,
                 false_positive_rate: float = 1e-4, min_tokens: int = 16, deduplicate: bool = True,
                 normalize: bool = True, windowed_scan: bool = False, attribution: bool = False,
                 common_tuples: "str | os.PathLike[str] | None" = None,
                 calibration: "str | os.PathLike[str] | None" = None):
        key_list = [keys] if isinstance(keys, Key) else list(keys)
        if not key_list or not all(isinstance(k, Key) for k in key_list):
            raise WatermarkError("argument", "keys must be a Key or a non-empty list of Keys")
        if not isinstance(min_tokens, int) or not 0 <= min_tokens < 2**32:
            raise WatermarkError("parameters", f"the minimum number of scored tokens must be at least 1 (got {min_tokens!r})")
        self.key_ids = [k.key_id for k in key_list]
        self._keys = key_list  # keep the handles alive as long as the detector
        p = params(gamma, context_width, DEFAULT_DELTA)
        opts = _native.DetectorOptions()
        lib.swm_detector_options_init(byref(opts))
        opts.false_positive_rate = float(false_positive_rate)
        opts.minimum_scored = min_tokens
        opts.deduplicate = int(bool(deduplicate))
        opts.normalize = int(bool(normalize))
        opts.windowed_scan = int(bool(windowed_scan))
        opts.attribution = int(bool(attribution))
        opts.tokenizer_path = None if tokenizer is None else _path(tokenizer)
        opts.common_tuples_path = None if common_tuples is None else _path(common_tuples)
        opts.calibration_path = None if calibration is None else _path(calibration)
        handles = (c_void_p * len(key_list))(*[k._handle.value for k in key_list])
        out = c_void_p()
        check(lib.swm_detector_new(handles, len(key_list), byref(p), byref(opts), byref(out)))
        self._handle = out
        fp = lib.swm_detector_tokenizer_fingerprint(out)
        self.tokenizer_fingerprint: "str | None" = fp.decode() if fp else None
        w = lib.swm_detector_warnings(out) or b""
        self.warnings: list[str] = [line for line in w.decode().split("\n") if line]

    def __repr__(self) -> str:
        return f"Detector(key_ids={self.key_ids!r}, tokenizer={self.tokenizer_fingerprint!r})"

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            lib.swm_detector_free(handle)
            self._handle = None

    @staticmethod
    def _ids(ids: Sequence[int]) -> np.ndarray:
        a = np.asarray(ids)
        if a.size == 0:
            return np.zeros(0, dtype=np.uint32)
        if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() > 0xFFFFFFFF:
            raise WatermarkError("input", "ids must be a flat list of token ids in 0..2^32-1")
        return np.ascontiguousarray(a, dtype=np.uint32)

    @staticmethod
    def _utf8(text: "str | bytes") -> bytes:
        return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")

    @classmethod
    def _flat(cls, docs, offsets) -> bytes:
        """The documents' UTF-8 bytes end to end, their bounds written into `offsets` (n + 1)."""
        blobs = [cls._utf8(t) for t in docs]
        offsets[1:] = np.cumsum([len(b) for b in blobs])
        return b"".join(blobs)

    def tokenize(self, text: "str | bytes") -> "list[int]":
        """The ids detection scores for `text` (normalised unless normalize=False)."""
        data = self._utf8(text)
        n = c_size_t(0)
        check(lib.swm_detector_tokenize(self._handle, data, len(data), None, 0, byref(n)))
        out = np.empty(n.value, dtype=np.uint32)
        check(lib.swm_detector_tokenize(self._handle, data, len(data), out.ctypes.data, out.size, byref(n)))
        return out.tolist()

    def detect(self, text: "str | bytes | None" = None, *, ids: "Sequence[int] | None" = None) -> DetectionResult:
        """Detects in a text (needs the tokenizer) or in token ids (special tokens removed)."""
        if (text is None) == (ids is None):
            raise WatermarkError("argument", "give exactly one of text= and ids=")
        js = c_void_p()
        if ids is not None:
            a = self._ids(ids)
            check(lib.swm_detect_ids(self._handle, a.ctypes.data if a.size else None, a.size, None, byref(js)))
        else:
            data = self._utf8(text)
            check(lib.swm_detect_text(self._handle, data, len(data), None, byref(js)))
        return DetectionResult.from_json(_native.take_string(js))

    def detect_batch(self, texts: "Sequence[str | bytes] | None" = None, *,
                     ids: "Sequence[Sequence[int]] | None" = None,
                     threads: int = 0) -> "list[DetectionResult | DocumentError]":
        """Detects in many documents on `threads` threads (0: one per processor this process may use,
        after its affinity mask and cgroup CPU quota), without the GIL.
        A document that fails gives a DocumentError in its place; the rest are still scored."""
        ok, lines = self.detect_batch_json(texts, ids=ids, threads=threads)
        out: "list[DetectionResult | DocumentError]" = []
        for i, (status, line) in enumerate(zip(ok, lines)):
            if status == _native.OK:
                out.append(DetectionResult.from_json(line))
            else:
                out.append(DocumentError(i, _native.STATUS_NAMES.get(int(status), "internal"), json.loads(line)["error"]))
        return out

    def detect_batch_json(self, texts: "Sequence[str | bytes] | None" = None, *,
                          ids: "Sequence[Sequence[int]] | None" = None,
                          threads: int = 0) -> "tuple[list[int], list[str]]":
        """As detect_batch, but answers each document with its status (0 for a result) and its
        JSON line as the library wrote it (`watermark detect --json` less source and index, or
        {"error": ...}), with no Python object per field: the fast path for data jobs."""
        if (texts is None) == (ids is None):
            raise WatermarkError("argument", "give exactly one of texts= and ids=")
        if threads < 0:
            raise WatermarkError("argument", "threads must be 0 (one per available processor) or more")
        docs = list(texts if texts is not None else ids)
        n = len(docs)
        if n == 0:
            return [], []
        offsets = np.zeros(n + 1, dtype=np.uint64)
        statuses = np.zeros(n, dtype=np.uint32)
        js = c_void_p()
        if ids is not None:
            arrays = [self._ids(d) for d in docs]
            offsets[1:] = np.cumsum([a.size for a in arrays])
            flat = np.concatenate(arrays) if offsets[-1] else np.zeros(1, dtype=np.uint32)
            check(lib.swm_detect_ids_batch(self._handle, flat.ctypes.data, offsets.ctypes.data, n, threads, None,
                                           statuses.ctypes.data, byref(js)))
        else:
            flat = self._flat(docs, offsets)
            check(lib.swm_detect_text_batch(self._handle, flat, offsets.ctypes.data, n, threads, None,
                                            statuses.ctypes.data, byref(js)))
        lines = _native.take_string(js).split("\n")[:n]
        return statuses.tolist(), lines

    def detect_jsonl_json(self, lines, *, threads: int = 0) -> "tuple[list[int], list[str]]":
        """JSON Lines lines (str or bytes each, without the newline), each read by the library as
        `watermark detect --jsonl` reads a line ({"text": ...} or {"ids": [...]}, an optional
        "id"): each document's status and its JSON line, which carries the line's "id", or
        {"error": ..., "id": ...}. Blank lines are the caller's to skip (the CLI skips them).

        `lines` may also be a pyarrow string or large_string Array without nulls: its buffers
        go to the library as they are, with no Python string per line (the Spark job's path)."""
        if threads < 0:
            raise WatermarkError("argument", "threads must be 0 (one per available processor) or more")
        keep = None
        if hasattr(lines, "buffers") and str(getattr(lines, "type", "")) in ("string", "large_string"):
            n = len(lines)
            if n == 0:
                return [], []
            if lines.null_count:
                raise WatermarkError("argument", f"lines has {lines.null_count} null entries")
            _, offs, data = lines.buffers()[:3]
            wide = str(lines.type) == "large_string"
            raw = np.frombuffer(offs, dtype=np.int64 if wide else np.int32, count=n + 1, offset=lines.offset * (8 if wide else 4))
            first = int(raw[0])
            offsets = (raw - first).astype(np.uint64)
            address = (data.address + first) if data is not None and offsets[-1] else None
            keep = (lines, data)
        else:
            docs = list(lines)
            n = len(docs)
            if n == 0:
                return [], []
            offsets = np.zeros(n + 1, dtype=np.uint64)
            keep = self._flat(docs, offsets)
            address = ctypes.cast(ctypes.c_char_p(keep), c_void_p).value if offsets[-1] else None
        statuses = np.zeros(n, dtype=np.uint32)
        js = c_void_p()
        check(lib.swm_detect_jsonl_batch(self._handle, address, offsets.ctypes.data, n, threads, None,
                                         statuses.ctypes.data, byref(js)))
        del keep
        return statuses.tolist(), _native.take_string(js).split("\n")[:n]
