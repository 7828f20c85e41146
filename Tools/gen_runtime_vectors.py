#!/usr/bin/env python3
"""Generate logit-parity vectors for the Swift `Generation` runtime.

The reference is independent of the Swift code: a NumPy forward pass in float64 over the
tensors of the GGUF file, dequantised by PyPI's `gguf` package (`gguf.quants.dequantize`),
tokenised by Hugging Face `tokenizers` with the committed fixture
`Vectors/tokenizer/smollm2/tokenizer.json`.

RoPE is applied the Hugging Face way ("rotate half"), after undoing the row permutation that
llama.cpp's converter applies to the Q and K weights of Llama models; the Swift runtime
instead rotates adjacent pairs on the permuted weights as stored. Both are the same function,
so agreement also checks that the runtime uses the file's RoPE convention.

Usage:
  python3 Tools/gen_runtime_vectors.py [--model PATH] [--out Vectors/runtime]

Output:
  Vectors/runtime/smollm2.json
    model        file name, sha256 and size of the GGUF the vectors were made from
    tolerance    the logit tolerance the tests use
    prompts[]    id, kind ("chat" or "raw"), text, ids (the prompt's token ids: for "chat",
                 the ChatML rendering with the template's default system prompt),
                 positions[]: {index, top: [[id, logit], ...20]} - the 20 largest logits after
                 ids[index] (index 0-based), logits rounded to 1e-5
                 greedy (some prompts): {ids: the greedy continuation, minMargin: the smallest
                 gap between the best and second-best logit over its steps}
  Vectors/runtime/quant-blocks.json
    cases[]      type (GGML name), bytes (hex of whole blocks), values (the dequantised floats
                 from gguf.quants.dequantize), for checking the Swift dequantisation of each
                 supported type (K-quants from random bytes with sane scales).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import gguf
from gguf.quants import dequantize, quantize
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("WATERMARK_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "swift-watermark")
DEFAULT_MODEL = os.path.join(CACHE, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")

# (kind, text, greedy continuation length or 0). Chat prompts get the ChatML rendering.
PROMPTS = [
    ("chat", "What is the capital of France?", 40),
    ("raw", "The quick brown fox jumps over the lazy dog. The", 40),
    ("chat", "Write a short poem about the sea.", 48),
    ("raw", 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n', 0),
    ("chat", "Explain photosynthesis in one sentence.", 48),
    ("raw", "Once upon a time, in a small village", 48),
    ("chat", "Translate 'good morning' into Spanish.", 0),
    ("raw", "1, 2, 3, 4, 5,", 0),
    ("raw", "Café au lait — naïve résumé 🙂. In summary,", 0),
    ("chat", "List three benefits of regular exercise.", 48),
]
TOP = 20
TOLERANCE = 2e-2


def chatml(template: str, user: str) -> str:
    # The SmolLM2 template inserts a default system message when the first message is not one.
    marker = "<|im_start|>system\n"
    start = template.index(marker) + len(marker)
    system = template[start:template.index("<|im_end|>", start)]
    return (f"<|im_start|>system\n{system}<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")


class Model:
    def __init__(self, path: str):
        r = gguf.GGUFReader(path)
        self.fields = {k: f.contents() for k, f in r.fields.items()
                       if not k.startswith("tokenizer.ggml.")}
        arch = self.fields["general.architecture"]
        g = lambda k, d=None: self.fields.get(f"{arch}.{k}", d)
        self.n_embd = g("embedding_length")
        self.n_layer = g("block_count")
        self.n_head = g("attention.head_count")
        self.n_kv = g("attention.head_count_kv", self.n_head)
        self.head_dim = self.n_embd // self.n_head
        self.rope_base = float(g("rope.freq_base", 10000.0))
        self.rope_dim = g("rope.dimension_count", self.head_dim)
        self.eps = float(g("attention.layer_norm_rms_epsilon", 1e-5))
        self.template = self.fields.get("tokenizer.chat_template")
        t = {x.name: x for x in r.tensors}

        def w(name):
            x = t[name]
            return dequantize(x.data, x.tensor_type).astype(np.float64)

        def unpermute(m, heads):
            # llama.cpp's converter stored row (h, i, s) = HF row (h, s, i); undo it.
            rows = m.shape[0]
            return m.reshape(heads, rows // heads // 2, 2, -1).swapaxes(1, 2).reshape(m.shape)

        self.embd = w("token_embd.weight")
        self.out = w("output.weight") if "output.weight" in t else self.embd
        self.out_norm = w("output_norm.weight")
        self.layers = []
        for i in range(self.n_layer):
            p = f"blk.{i}."
            self.layers.append(dict(
                an=w(p + "attn_norm.weight"),
                q=unpermute(w(p + "attn_q.weight"), self.n_head),
                k=unpermute(w(p + "attn_k.weight"), self.n_kv),
                v=w(p + "attn_v.weight"), o=w(p + "attn_output.weight"),
                fn=w(p + "ffn_norm.weight"),
                gate=w(p + "ffn_gate.weight"), up=w(p + "ffn_up.weight"), down=w(p + "ffn_down.weight")))
        half = self.rope_dim // 2
        self.inv_freq = self.rope_base ** (-np.arange(half, dtype=np.float64) * 2 / self.rope_dim)

    def rms(self, x, weight):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * weight

    def rope(self, x, positions):
        # x: (n, heads, d); HF rotate_half over the first rope_dim dims.
        half = self.rope_dim // 2
        ang = positions[:, None] * self.inv_freq[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        a, b = x[..., :half], x[..., half:self.rope_dim]
        out = x.copy()
        out[..., :half] = a * cos - b * sin
        out[..., half:self.rope_dim] = b * cos + a * sin
        return out

    def forward(self, ids, cache):
        """Appends ids to the cache (list of per-layer (K, V)); returns logits for each new token."""
        n = len(ids)
        start = 0 if not cache else cache[0][0].shape[0]
        pos = np.arange(start, start + n, dtype=np.float64)
        x = self.embd[ids]
        d, H, KV = self.head_dim, self.n_head, self.n_kv
        group = H // KV
        new_cache = []
        for li, L in enumerate(self.layers):
            h = self.rms(x, L["an"])
            q = self.rope((h @ L["q"].T).reshape(n, H, d), pos)
            k = self.rope((h @ L["k"].T).reshape(n, KV, d), pos)
            v = (h @ L["v"].T).reshape(n, KV, d)
            if cache:
                k = np.concatenate([cache[li][0], k], axis=0)
                v = np.concatenate([cache[li][1], v], axis=0)
            new_cache.append((k, v))
            total = k.shape[0]
            att = np.empty((n, H, d))
            mask = np.arange(total)[None, :] > (start + np.arange(n))[:, None]
            for hh in range(H):
                s = q[:, hh, :] @ k[:, hh // group, :].T / np.sqrt(d)
                s[mask] = -np.inf
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                att[:, hh, :] = s @ v[:, hh // group, :]
            x = x + att.reshape(n, H * d) @ L["o"].T
            h = self.rms(x, L["fn"])
            g = h @ L["gate"].T
            x = x + ((g / (1 + np.exp(-g))) * (h @ L["up"].T)) @ L["down"].T
        cache[:] = new_cache
        return self.rms(x, self.out_norm) @ self.out.T


def top(logits, k=TOP):
    idx = np.argsort(-logits, kind="stable")[:k]
    return [[int(i), round(float(logits[i]), 5)] for i in idx]


def quant_cases():
    rng = np.random.default_rng(20261123)
    T = gguf.GGMLQuantizationType
    cases = []
    x = (rng.standard_normal((1, 256)) * 0.7).astype(np.float32)
    x[0, 5] = 3.5  # an outlier, so that scales differ between blocks
    for t in (T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q8_0):
        q = np.ascontiguousarray(quantize(x, t)).view(np.uint8).reshape(-1)
        cases.append((t, q))
    for t, size, scale_offsets in ((T.Q4_K, 144, (0, 2)), (T.Q6_K, 210, (208,))):
        raw = rng.integers(0, 256, size=2 * size, dtype=np.uint8)
        for b in range(2):
            for off in scale_offsets:
                h = np.array([rng.uniform(0.001, 0.05)], dtype=np.float16).view(np.uint8)
                raw[b * size + off:b * size + off + 2] = h
        cases.append((t, raw))
    out = []
    for t, q in cases:
        values = dequantize(q.reshape(1, -1), t).reshape(-1)
        out.append({"type": t.name, "bytes": q.tobytes().hex(),
                    "values": [float(np.float32(v)) for v in values]})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", default=os.path.join(ROOT, "Vectors", "runtime"))
    args = ap.parse_args()
    if not os.path.exists(args.model):
        sys.exit(f"{args.model}: missing; run Tools/fetch-model.sh")
    os.makedirs(args.out, exist_ok=True)

    with open(os.path.join(args.out, "quant-blocks.json"), "w") as f:
        json.dump({"generator": "Tools/gen_runtime_vectors.py", "gguf_version": gguf.__version__ if hasattr(gguf, "__version__") else None,
                   "cases": quant_cases()}, f, separators=(",", ":"))
        f.write("\n")

    sha = hashlib.sha256(open(args.model, "rb").read()).hexdigest()
    tok = Tokenizer.from_file(os.path.join(ROOT, "Vectors", "tokenizer", "smollm2", "tokenizer.json"))
    model = Model(args.model)
    eos = {2, tok.token_to_id("<|im_end|>")}
    prompts = []
    for i, (kind, text, greedy) in enumerate(PROMPTS):
        rendered = chatml(model.template, text) if kind == "chat" else text
        ids = tok.encode(rendered, add_special_tokens=False).ids
        cache = []
        logits = model.forward(ids, cache)
        n = len(ids)
        indices = sorted({0, n // 3, (2 * n) // 3, n - 1})
        entry = {"id": i, "kind": kind, "text": text, "ids": ids,
                 "positions": [{"index": j, "top": top(logits[j])} for j in indices]}
        if greedy:
            out, margins = [], []
            last = logits[-1]
            for _ in range(greedy):
                order = np.argsort(-last)
                margins.append(float(last[order[0]] - last[order[1]]))
                nxt = int(order[0])
                out.append(nxt)
                if nxt in eos:
                    break
                last = model.forward([nxt], cache)[-1]
            entry["greedy"] = {"ids": out, "minMargin": round(min(margins), 5),
                               "text": tok.decode(out, skip_special_tokens=False)}
            print(f"prompt {i}: greedy {len(out)} tokens, min margin {min(margins):.4f}: {entry['greedy']['text']!r}",
                  file=sys.stderr)
        prompts.append(entry)
        print(f"prompt {i}: {n} tokens, top-1 after last {entry['positions'][-1]['top'][0]}", file=sys.stderr)

    doc = {
        "generator": "Tools/gen_runtime_vectors.py",
        "reference": "NumPy float64 forward pass over gguf.quants.dequantize tensors; HF rotate-half RoPE on un-permuted Q/K",
        "model": {"file": os.path.basename(args.model), "sha256": sha, "size": os.path.getsize(args.model)},
        "tokenizer": "Vectors/tokenizer/smollm2/tokenizer.json",
        "tolerance": TOLERANCE,
        "top": TOP,
        "prompts": prompts,
    }
    with open(os.path.join(args.out, "smollm2.json"), "w") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
