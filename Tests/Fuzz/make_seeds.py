#!/usr/bin/env python3
"""Writes the synthetic seed corpora of Tests/Fuzz/Corpus (docs/FUZZING.md).

Small, valid inputs of every format a fuzz target reads, so that libFuzzer starts from
files that get past the first checks: GGUF files (every value type, tensors of several
types, a byte-level BPE tokenizer in metadata), tokenizer.json definitions of each
supported pre-tokenizer shape, tiktoken rank files, keys, ids and JSON Lines. The
calibration and common-tuple seeds come from the `watermark` CLI instead (see
docs/FUZZING.md). Standard library only; run from anywhere:

    python3 Tests/Fuzz/make_seeds.py
"""
import base64
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def bytes_to_unicode():
    """GPT-2's byte alphabet: byte -> printable character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()


def spell(text):
    return "".join(B2U[b] for b in text.encode())


# A tiny byte-level vocabulary: the 256 bytes, then merges building a few English pieces.
MERGE_WORDS = [("t", "h"), ("h", "e"), ("th", "e"), (" ", "t"), (" t", "he"), ("i", "n"), ("in", "g"),
               (" ", "a"), ("e", "r"), (" ", "w"), (" w", "or"), ("o", "r"), ("l", "d"), (" wor", "ld")]


def tiny_vocab():
    tokens = [B2U[b] for b in range(256)]
    merges = []
    for a, b in MERGE_WORDS:
        sa, sb = spell(a), spell(b)
        for s in (sa, sb):
            if s not in tokens:
                tokens.append(s)
        if sa + sb not in tokens:
            tokens.append(sa + sb)
        merges.append((sa, sb))
    return tokens, merges


# ---------------------------------------------------------------- GGUF

GGUF_TYPES = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7, "str": 8, "arr": 9,
              "u64": 10, "i64": 11, "f64": 12}
PACK = {"u8": "<B", "i8": "<b", "u16": "<H", "i16": "<h", "u32": "<I", "i32": "<i", "f32": "<f", "bool": "<B",
        "u64": "<Q", "i64": "<q", "f64": "<d"}


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gvalue(kind, v):
    if kind == "str":
        return gstr(v)
    if kind.startswith("arr:"):
        inner = kind[4:]
        out = struct.pack("<IQ", GGUF_TYPES[inner.split(":")[0]], len(v))
        return out + b"".join(gvalue(inner, x) for x in v)
    return struct.pack(PACK[kind], v)


def gkv(key, kind, v):
    return gstr(key) + struct.pack("<I", GGUF_TYPES[kind.split(":")[0]]) + gvalue(kind, v)


def gguf(kvs, tensors, version=3, alignment=32):
    """tensors: (name, dims, ggml type, data bytes)."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    out += b"".join(gkv(*kv) for kv in kvs)
    offset = 0
    blobs = []
    for name, dims, ttype, data in tensors:
        out += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ttype, offset)
        pad = (-len(data)) % alignment
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    out += b"\0" * ((-len(out)) % alignment)
    return out + b"".join(blobs)


def make_gguf():
    every_type = [
        ("general.architecture", "str", "llama"),
        ("general.name", "str", "fuzz seed"),
        ("general.alignment", "u32", 32),
        ("test.u8", "u8", 200), ("test.i8", "i8", -5), ("test.u16", "u16", 60000), ("test.i16", "i16", -300),
        ("test.i32", "i32", -70000), ("test.f32", "f32", 1.5), ("test.bool", "bool", 1),
        ("test.u64", "u64", 1 << 40), ("test.i64", "i64", -(1 << 40)), ("test.f64", "f64", 2.25),
        ("test.ints", "arr:i32", [1, -2, 3]),
        ("test.strings", "arr:str", ["a", "bc", ""]),
        ("test.nested", "arr:arr:u8", [[1, 2], [3]]),
    ]
    f32 = struct.pack("<8f", *range(8))
    f16 = struct.pack("<8e", *[0.5 * i for i in range(8)])
    q8_0 = struct.pack("<e", 0.1) + bytes(range(32))  # one block of 32
    q4_1 = struct.pack("<ee", 0.1, -1.0) + bytes(range(16))  # one block of 32
    tensors = [("a.weight", [4, 2], 0, f32), ("b.weight", [8], 1, f16), ("c.weight", [32], 8, q8_0),
               ("d.weight", [32, 1], 3, q4_1)]
    write("gguf", "every-value-type.gguf.seed", gguf(every_type, tensors))
    write("gguf", "v2-no-tensors.gguf.seed", gguf([("general.architecture", "str", "llama")], [], version=2))
    write("gguf", "unknown-tensor-type.gguf.seed", gguf([], [("x", [4], 99, b"\1\2\3\4")], alignment=32))

    tokens, merges = tiny_vocab()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    all_tokens = tokens + specials + ["<user>"]
    types = [1] * len(tokens) + [3] * len(specials) + [4]
    for pre in ["smollm", "gpt2", "llama-bpe", "qwen2"]:
        kvs = [
            ("general.architecture", "str", "llama"),
            ("tokenizer.ggml.model", "str", "gpt2"),
            ("tokenizer.ggml.pre", "str", pre),
            ("tokenizer.ggml.tokens", "arr:str", all_tokens),
            ("tokenizer.ggml.token_type", "arr:i32", types),
            ("tokenizer.ggml.merges", "arr:str", [f"{a} {b}" for a, b in merges]),
            ("tokenizer.ggml.bos_token_id", "u32", len(tokens)),
            ("tokenizer.ggml.eos_token_id", "u32", len(tokens) + 2),
        ]
        data = gguf(kvs, [("token_embd.weight", [4, 1], 0, struct.pack("<4f", 1, 2, 3, 4))])
        write("gguf-tokenizer", f"tokenizer-{pre}.gguf.seed", data)
    write("gguf", "tokenizer-smollm.gguf.seed", open(os.path.join(ROOT, "gguf-tokenizer", "tokenizer-smollm.gguf.seed"), "rb").read())


# ---------------------------------------------------------------- tokenizer.json

LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def byte_level(regex):
    return {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": regex}


def make_tokenizer_json():
    tokens, merges = tiny_vocab()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    def definition(pre, normalizer=None, pair_merges=False, ignore_merges=False, specials_first=False):
        if specials_first:  # SmolLM: the specials are ids 0, 1, 2
            vocab_list = specials + tokens
        else:
            vocab_list = tokens + specials
        vocab = {t: i for i, t in enumerate(vocab_list)}
        added = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for s in specials]
        model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                 "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                 "ignore_merges": ignore_merges, "vocab": vocab,
                 "merges": [[a, b] for a, b in merges] if pair_merges else [f"{a} {b}" for a, b in merges]}
        return json.dumps({"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                           "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": None,
                           "decoder": byte_level(True), "model": model}, ensure_ascii=False, indent=1)

    write("tokenizer-json", "gpt2-bytelevel.json", definition(byte_level(True)))
    write("tokenizer-json", "smollm-digits.json", definition(
        {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, byte_level(True)]},
        specials_first=True))
    split = lambda rx: {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": rx}, "behavior": "Isolated", "invert": False}, byte_level(False)]}
    write("tokenizer-json", "llama3-split.json", definition(split(LLAMA3), pair_merges=True, ignore_merges=True))
    write("tokenizer-json", "qwen2-nfc.json", definition(split(QWEN2), normalizer={"type": "NFC"}, pair_merges=True))


# ---------------------------------------------------------------- tiktoken

def make_tiktoken():
    ranks = [bytes([b]) for b in range(256)]
    for a, b in MERGE_WORDS:
        for piece in (a.encode(), b.encode(), (a + b).encode()):
            if piece not in ranks:
                ranks.append(piece)
    lines = [f"{base64.b64encode(t).decode()} {i}" for i, t in enumerate(ranks)]
    write("tiktoken", "tiny.tiktoken", "\n".join(lines) + "\n")
    # CRLF, gaps in the ranks, unpadded base64
    lines2 = [f"{base64.b64encode(t).decode().rstrip('=')} {i * 2}" for i, t in enumerate(ranks[:260])]
    write("tiktoken", "gaps-crlf.tiktoken", "\r\n".join(lines2) + "\r\n")


# ---------------------------------------------------------------- keys, ids, JSON Lines

def make_small():
    key = bytes(range(1, 33))
    write("key", "hex32.key", key.hex() + "\n")
    write("key", "hex-spaced.key", "  " + " ".join(key.hex()[i:i + 8] for i in range(0, 64, 8)).replace(" ", "") + "\r\n")
    write("key", "base64.key", base64.b64encode(key).decode() + "\n")
    write("key", "base64url-unpadded.key", base64.urlsafe_b64encode(bytes(range(200, 216))).decode().rstrip("=") + "\n")
    write("key", "raw16.key", bytes(range(240, 256)))
    write("key", "raw64.key", bytes((i * 37) % 256 for i in range(64)))

    write("ids", "json-array.txt", "[5, 17, 9, 4096]\n")
    write("ids", "spaces-commas.txt", "1 2 3\n4,5,,6\t7\r\n4294967295 0\n")
    write("ids", "one.txt", "42")
    write("ids", "long.txt", " ".join(str((i * 7919) % 50000) for i in range(300)) + "\n")

    lines = [
        {"text": "The lighthouse keeper climbed the stairs at dusk."},
        {"ids": [5, 17, 9, 4096, 0, 4294967295]},
        {"text": "Caf\u00e9 \u043e\u0440\u0435\u043d \u200b zero\u200dwidth \U0001F600 emoji", "ids": [1, 2]},
        {"text": "", "id": "doc-3"},
        {"id": 7, "text": "tab\tand \"quotes\" and \\ backslash", "extra": {"nested": [1, 2, None, True]}},
    ]
    body = "\n".join(json.dumps(l, ensure_ascii=i % 2 == 0) for i, l in enumerate(lines)) + "\n"
    write("jsonl", "mixed.jsonl", body)
    write("jsonl", "crlf-blank.jsonl", '{"text": "one"}\r\n\r\n   \n{"ids": []}\r\n{"text": "no newline at the end"}')
    write("jsonl", "escapes.jsonl", '{"text": "\\u00e9\\ud83d\\ude00\\n\\t\\/"}\n{"ids": [1e2]}\n')


if __name__ == "__main__":
    make_gguf()
    make_tokenizer_json()
    make_tiktoken()
    make_small()
    for target in sorted(os.listdir(ROOT)):
        files = sorted(os.listdir(os.path.join(ROOT, target)))
        print(target, len(files), "files")
