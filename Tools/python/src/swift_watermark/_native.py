"""ctypes bindings of libSwiftWatermark (Sources/CSwiftWatermark/include/swift_watermark.h).

Every call here goes to the Swift library, the same code as the `watermark` CLI. ctypes
releases the GIL for the length of each foreign call, so a batch runs while other Python
threads go on.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int32, c_size_t, c_uint8, c_uint16,
                    c_uint32, c_uint64, c_void_p, c_float)
from pathlib import Path

ABI_MAJOR = 1  # SWM_ABI_VERSION // 10000 of the header this file was written against

OK = 0
STATUS_NAMES = {
    1: "argument", 2: "key", 3: "parameters", 4: "file", 5: "input", 6: "internal",
}

BIAS_FULL = 0
BIAS_CANDIDATES = 1

VERDICTS = {0: "not-watermarked", 1: "watermarked", 2: "too-short"}


class Params(Structure):
    _fields_ = [("gamma", c_double), ("context_width", c_uint32), ("delta", c_double)]


class DetectorOptions(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("false_positive_rate", c_double),
        ("minimum_scored", c_uint32),
        ("deduplicate", c_int32),
        ("normalize", c_int32),
        ("windowed_scan", c_int32),
        ("attribution", c_int32),
        ("tokenizer_path", c_char_p),
        ("common_tuples_path", c_char_p),
        ("calibration_path", c_char_p),
    ]


class Result(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("verdict", c_uint32),
        ("key_id", c_char * 24),
        ("tokens", c_uint64),
        ("scored", c_uint64),
        ("green", c_uint64),
        ("z", c_double),
        ("p", c_double),
        ("log10p", c_double),
        ("p_adjusted", c_double),
        ("log10p_adjusted", c_double),
        ("false_positive_rate", c_double),
        ("minimum_score", c_double),
        ("keys_tried", c_uint32),
        ("calibrated", c_int32),
    ]


def library_path() -> Path:
    """The library: $SWIFT_WATERMARK_LIB if set, else the copy bundled in this package."""
    override = os.environ.get("SWIFT_WATERMARK_LIB")
    if override:
        return Path(override)
    return Path(__file__).with_name("libSwiftWatermark.so")


def _load() -> ctypes.CDLL:
    path = library_path()
    if not path.is_file():
        raise ImportError(
            f"swift_watermark: {path} is missing; reinstall the package (pip install ./Tools/python builds it) "
            "or point SWIFT_WATERMARK_LIB at a built libSwiftWatermark.so")
    lib = ctypes.CDLL(str(path))
    sigs = {
        "swm_abi_version": (c_uint32, []),
        "swm_version": (c_char_p, []),
        "swm_last_error_message": (c_char_p, []),
        "swm_last_error_code": (c_uint32, []),
        "swm_params_default": (Params, []),
        "swm_params_validate": (c_uint32, [POINTER(Params)]),
        "swm_green_threshold": (c_uint32, [c_double]),
        "swm_key_from_bytes": (c_uint32, [c_void_p, c_size_t, POINTER(c_void_p)]),
        "swm_key_from_file": (c_uint32, [c_char_p, POINTER(c_void_p)]),
        "swm_key_generate": (c_uint32, [c_char_p, POINTER(c_void_p)]),
        "swm_key_id": (c_char_p, [c_void_p]),
        "swm_key_free": (None, [c_void_p]),
        "swm_processor_new": (c_uint32, [c_void_p, POINTER(Params), POINTER(c_void_p)]),
        "swm_processor_free": (None, [c_void_p]),
        "swm_partition_scores": (c_uint32, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
        "swm_partition_green_bytes": (c_uint32, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
        "swm_partition_green_bits": (c_uint32, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_size_t]),
        "swm_classify": (c_uint32, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p]),
        "swm_bias_row": (c_uint32, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t, c_uint32, c_double, POINTER(c_int32)]),
        "swm_bias_rows": (c_uint32, [c_void_p, c_void_p, c_size_t, c_size_t, c_size_t, c_void_p, c_size_t, c_void_p,
                                     c_uint32, c_double]),
        "swm_detector_options_init": (None, [POINTER(DetectorOptions)]),
        "swm_detector_new": (c_uint32, [c_void_p, c_size_t, POINTER(Params), POINTER(DetectorOptions), POINTER(c_void_p)]),
        "swm_detector_free": (None, [c_void_p]),
        "swm_detector_tokenizer_fingerprint": (c_char_p, [c_void_p]),
        "swm_detector_warnings": (c_char_p, [c_void_p]),
        "swm_detector_tokenize": (c_uint32, [c_void_p, c_char_p, c_size_t, c_void_p, c_size_t, POINTER(c_size_t)]),
        "swm_detect_ids": (c_uint32, [c_void_p, c_void_p, c_size_t, POINTER(Result), POINTER(c_void_p)]),
        "swm_detect_text": (c_uint32, [c_void_p, c_char_p, c_size_t, POINTER(Result), POINTER(c_void_p)]),
        "swm_detect_ids_batch": (c_uint32, [c_void_p, c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_void_p,
                                            POINTER(c_void_p)]),
        "swm_detect_text_batch": (c_uint32, [c_void_p, c_char_p, c_void_p, c_size_t, c_size_t, c_void_p, c_void_p,
                                             POINTER(c_void_p)]),
        "swm_detect_jsonl_batch": (c_uint32, [c_void_p, c_void_p, c_void_p, c_size_t, c_size_t, c_void_p, c_void_p,
                                              POINTER(c_void_p)]),
        "swm_string_free": (None, [c_void_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    major = lib.swm_abi_version() // 10000
    if major != ABI_MAJOR:
        raise ImportError(f"swift_watermark: {path} has ABI {lib.swm_abi_version()}, this package needs {ABI_MAJOR}.x")
    return lib


lib = _load()


class WatermarkError(Exception):
    """A failure reported by the library: `kind` names its class (argument, key, parameters,
    file, input, internal); the message is one line and never holds key material."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def check(status: int) -> None:
    if status != OK:
        message = (lib.swm_last_error_message() or b"").decode("utf-8", "replace")
        raise WatermarkError(STATUS_NAMES.get(status, f"status {status}"), message)


def take_string(pointer: c_void_p) -> str:
    """A string the library allocated, copied out and freed."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.swm_string_free(pointer)
