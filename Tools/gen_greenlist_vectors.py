#!/usr/bin/env python3
"""Generate the `greenlist-v1` test vectors (an independent Python implementation).

Normative definition: docs/SCHEME.md (`greenlist-v1`).  This script depends only on the
Python standard library, `cryptography` (AES-128 in CTR and ECB mode) and `mpmath`
(only to print log10 of exact rationals).  Output is fully deterministic (fixed RNG seeds):
running it twice gives byte-identical files.

Usage:  python3 Tools/gen_greenlist_vectors.py [--out Vectors/greenlist-v1]

Files written (all under Vectors/greenlist-v1/):

partition.json  {"scheme":"greenlist-v1","generator":"Tools/gen_greenlist_vectors.py","cases":[...]}
  Each case tests the partition at ONE position (one context):
    id                  "p001"...
    key                 secret key K, hex (16, 32 or 64 bytes)
    keyID               hex(SHA-256("greenlist-v1 key id" || K)[0..<8])  (16 hex chars)
    contextWidth        h (1..8)
    context             the h context token ids, oldest first (u32: 0 ... 4294967295)
    gamma               γ as given by the user (binary64; JSON repr round-trips exactly)
    G                   floor(γ*65536 + 0.5) in binary64, clamped to 1...65535
    seed                S = HMAC-SHA256(K, "greenlist-v1" || 0x00 || u8(h) || u32le(c0) || ...), hex
    firstScores         u(v) for v = 0..63, where u(v) = A[2v] + 256*A[2v+1] and A is the
                        AES-128-CTR keystream under key S[0..<16], counter block 0 (big-endian)
    probeIds            token ids probed (always includes 0,1,255,256,49151,49152,128255,
                        151935,200001,255999,262143 plus random ids)
    probeScores         u(v) for each probe id (same order)
    greenProbeIds       the probe ids v with u(v) < G (same order as probeIds)
    vocabSize           V
    greenCountBelowVocab  #{ v < V : u(v) < G }   (needs the first 2V keystream bytes)

detection.json  {"scheme":"greenlist-v1","generator":...,"cases":[...]}
  Each case is a detection run over a token-id sequence (already tokenized, with
  special/control tokens already dropped):
    id, description
    key, keyID          as above
    contextWidth        h
    gamma               γ (G and γ' = G/65536 derived as above; G is also given)
    G                   quantised γ
    dedup               true: each distinct (context tuple, token) counted once (first
                        occurrence); false: every position i >= h counted
    ids                 the token ids t[0..n-1]
    scored              T, the number of scored positions / tuples
    green               s, how many of them are green
    z                   (s - γ'T) / sqrt(T γ'(1-γ'))      (0 when T == 0)
    p                   P[Binomial(T, γ') >= s], computed exactly with integers
                        (sum_k>=s C(T,k) G^k (65536-G)^(T-k) / 65536^T), printed with 17
                        significant digits.  NOTE: when p < ~2.2e-308 the decimal printed is
                        still the true value (e.g. 3.1e-450) and so is below binary64 range;
                        a binary64 parser gives a subnormal or 0 there: compare log10p instead.
    log10p              log10(p), from the exact rational (accurate to ~1e-15 relative)
    (T == 0 gives scored 0, green 0, z 0, p 1, log10p 0.)

keyid.json      {"scheme":"greenlist-v1","cases":[{"key":hex,"keyID":hex16}, ...]}

Self-check: before writing, the script recomputes scores with an alternative method (one
AES-ECB block per token, counter block = v//8 as a 128-bit big-endian integer, offset 2v%16),
an HMAC built by hand from hashlib.sha256 (ipad/opad), and a CTR keystream assembled from ECB
blocks, and asserts they agree with the main path.  It also asserts the nesting property
(green at smaller G implies green at larger G) and that G-quantisation edge cases behave.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import random
import struct
import sys
from fractions import Fraction

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:
    import mpmath
except ImportError:  # pragma: no cover
    mpmath = None

LABEL = b"greenlist-v1"
KEYID_LABEL = b"greenlist-v1 key id"
GENERATOR = "Tools/gen_greenlist_vectors.py"
U32_MAX = 0xFFFFFFFF
REQUIRED_PROBES = [0, 1, 255, 256, 49151, 49152, 128255, 151935, 200001, 255999, 262143]
VOCAB_SIZES = [32000, 49152, 128256, 151936, 256000]


# ----------------------------------------------------------------------------- scheme
def quantise_gamma(gamma: float) -> int:
    g = math.floor(float(gamma) * 65536.0 + 0.5)  # binary64 arithmetic, as docs/SCHEME.md says
    return max(1, min(65535, int(g)))


def key_id(key: bytes) -> str:
    return hashlib.sha256(KEYID_LABEL + key).digest()[:8].hex()


def seed_message(h: int, context) -> bytes:
    assert 1 <= h <= 8 and len(context) == h
    return LABEL + b"\x00" + bytes([h]) + b"".join(struct.pack("<I", c) for c in context)


def seed(key: bytes, h: int, context) -> bytes:
    return hmac.new(key, seed_message(h, context), hashlib.sha256).digest()


def keystream(s: bytes, nbytes: int) -> bytes:
    enc = Cipher(algorithms.AES(s[:16]), modes.CTR(b"\x00" * 16)).encryptor()
    return enc.update(b"\x00" * nbytes) + enc.finalize()


def scores_from_stream(a: bytes, ids):
    return [a[2 * v] | (a[2 * v + 1] << 8) for v in ids]


class Position:
    """Partition at one context: caches the keystream, grows it on demand."""

    def __init__(self, key: bytes, h: int, context):
        self.seed = seed(key, h, context)
        self.stream = b""

    def ensure(self, nbytes: int):
        if len(self.stream) < nbytes:
            self.stream = keystream(self.seed, max(nbytes, 2 * len(self.stream)))

    def score(self, v: int) -> int:
        self.ensure(2 * v + 2)
        return self.stream[2 * v] | (self.stream[2 * v + 1] << 8)


# --------------------------------------------------------------- alternative methods
def score_single_block(key: bytes, h: int, context, v: int) -> int:
    """One HMAC + one AES block for one token (no CTR mode object)."""
    s = hmac_by_hand(key, seed_message(h, context))
    block_index = (2 * v) // 16
    enc = Cipher(algorithms.AES(s[:16]), modes.ECB()).encryptor()
    blk = enc.update(block_index.to_bytes(16, "big")) + enc.finalize()
    off = (2 * v) % 16
    return blk[off] | (blk[off + 1] << 8)


def hmac_by_hand(key: bytes, msg: bytes) -> bytes:
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\x00")
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5C for b in key)
    return hashlib.sha256(opad + hashlib.sha256(ipad + msg).digest()).digest()


def ctr_from_ecb(s: bytes, nblocks: int) -> bytes:
    enc = Cipher(algorithms.AES(s[:16]), modes.ECB()).encryptor()
    data = b"".join(i.to_bytes(16, "big") for i in range(nblocks))
    return enc.update(data) + enc.finalize()


# ----------------------------------------------------------------------- detection
def count(key: bytes, h: int, G: int, ids, dedup: bool):
    seen = set()
    T = s = 0
    cache = {}
    for i in range(h, len(ids)):
        ctx = tuple(ids[i - h:i])
        tok = ids[i]
        if dedup:
            if (ctx, tok) in seen:
                continue
            seen.add((ctx, tok))
        T += 1
        if ctx not in cache:
            cache[ctx] = seed(key, h, ctx)
        if score_with_seed(cache[ctx], tok) < G:
            s += 1
    return T, s


def score_with_seed(sd: bytes, v: int) -> int:
    enc = Cipher(algorithms.AES(sd[:16]), modes.ECB()).encryptor()
    blk = enc.update(((2 * v) // 16).to_bytes(16, "big")) + enc.finalize()
    off = (2 * v) % 16
    return blk[off] | (blk[off + 1] << 8)


def exact_tail(T: int, s: int, G: int):
    """Return (numerator, denominator) of P[Binomial(T, G/65536) >= s] as integers."""
    if s <= 0:
        return 1, 1
    if s > T:
        return 0, 1
    R = 65536 - G
    num = 0
    for k in range(s, T + 1):
        num += math.comb(T, k) * G ** k * R ** (T - k)
    return num, 65536 ** T


def format_sig17(num: int, den: int) -> float | str:
    """Exact rational -> decimal string with 17 significant digits (or float when normal)."""
    f = Fraction(num, den)
    x = float(f)  # correctly rounded (int/int true division)
    if x >= 2.2250738585072014e-308:
        return x
    # Below binary64's normal range: print the true value in scientific notation.
    mpmath.mp.dps = 40
    v = mpmath.mpf(num) / mpmath.mpf(den)
    return RawNumber(mpmath.nstr(v, 17, min_fixed=1, max_fixed=0))


def log10_exact(num: int, den: int) -> float:
    if num == den:
        return 0.0
    mpmath.mp.dps = 50
    return float(mpmath.log10(mpmath.mpf(num)) - mpmath.log10(mpmath.mpf(den)))


class RawNumber(str):
    """A JSON number written verbatim (for values below binary64 range)."""


def detection_stats(key, h, gamma, ids, dedup):
    G = quantise_gamma(gamma)
    T, s = count(key, h, G, ids, dedup)
    if T == 0:
        return dict(scored=0, green=0, z=0.0, p=1.0, log10p=0.0)
    gp = G / 65536.0
    z = (s - gp * T) / math.sqrt(T * gp * (1 - gp))
    num, den = exact_tail(T, s, G)
    p = format_sig17(num, den)
    return dict(scored=T, green=s, z=z, p=p, log10p=log10_exact(num, den))


# ----------------------------------------------------------------------- JSON output
def dumps(obj) -> str:
    """Compact JSON; RawNumber values are emitted verbatim."""
    if isinstance(obj, RawNumber):
        return str(obj)
    if isinstance(obj, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(v) for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)
    return json.dumps(obj)


def write_doc(path: str, header: dict, cases):
    lines = []
    head = dumps(header)[:-1]  # without closing brace
    lines.append(head + ',"cases":[')
    for i, c in enumerate(cases):
        lines.append(dumps(c) + ("," if i + 1 < len(cases) else ""))
    lines.append("]}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # the file must be valid JSON
    with open(path, encoding="utf-8") as f:
        json.load(f)


# ----------------------------------------------------------------------- generation
GAMMAS = [
    1 / 65536,  # 1.52587890625e-05 -> G = 1
    0.1, 0.25, 0.5, 0.9, 0.75, 0.3333, 0.6667, 0.05, 0.01, 0.123456789,
    0.25 + 0.5 / 65536,  # exactly half-way: rounds up -> 16385
    0.25 - 0.5 / 65536,  # exactly half-way: 16383.5 + .5 -> 16384
    1e-9,                # G = 0 -> clamped to 1
    0.999995,            # 65535.67 -> 65536 -> clamped to 65535
    0.99,
]


def make_partition_cases(rng: random.Random):
    keys = {}
    for n in (16, 32, 64):
        keys[n] = [rng.randbytes(n) for _ in range(4)]
    cases = []
    N = 96
    special_ctx = [0, U32_MAX, 200001, 262143, 49151, 49152, 1, 255, 256, 65535, 65536, 2 ** 31]
    for i in range(N):
        klen = (16, 32, 64)[i % 3]
        key = keys[klen][(i // 3) % 4]
        h = (i % 8) + 1
        gamma = GAMMAS[i % len(GAMMAS)]
        V = VOCAB_SIZES[i % len(VOCAB_SIZES)]
        # context: mix of small, typical vocab, large, and special ids
        ctx = []
        for j in range(h):
            r = rng.random()
            if i % 12 == 0:
                ctx.append(0)  # all-zero context
            elif i % 12 == 1:
                ctx.append(U32_MAX)  # all-max context
            elif r < 0.25:
                ctx.append(rng.choice(special_ctx))
            elif r < 0.45:
                ctx.append(rng.randrange(200001, 2 ** 32))
            else:
                ctx.append(rng.randrange(0, V))
        if i % 12 == 2 and h >= 2:
            ctx[0], ctx[-1] = 0, U32_MAX
        G = quantise_gamma(gamma)
        pos = Position(key, h, ctx)
        probes = list(REQUIRED_PROBES) + sorted(rng.sample(range(0, 262144), 29))
        pos.ensure(max(2 * 262144, 2 * V))
        stream = pos.stream
        probe_scores = scores_from_stream(stream, probes)
        first = scores_from_stream(stream, range(64))
        # greenCountBelowVocab over the full vocabulary
        greens_below = sum(1 for v in range(V) if (stream[2 * v] | (stream[2 * v + 1] << 8)) < G)
        cases.append({
            "id": "p%03d" % (i + 1),
            "key": key.hex(),
            "keyID": key_id(key),
            "contextWidth": h,
            "context": ctx,
            "gamma": gamma,
            "G": G,
            "seed": pos.seed.hex(),
            "firstScores": first,
            "probeIds": probes,
            "probeScores": probe_scores,
            "greenProbeIds": [v for v, u in zip(probes, probe_scores) if u < G],
            "vocabSize": V,
            "greenCountBelowVocab": greens_below,
        })
    return cases


def green_next(rng, key, h, G, ctx, vocab, pool=None):
    sd = seed(key, h, ctx)
    for _ in range(100000):
        cand = rng.choice(pool) if pool else rng.randrange(vocab)
        if score_with_seed(sd, cand) < G:
            return cand
    raise RuntimeError("no green candidate found")


def make_sequence(rng, key, h, gamma, n, vocab, green_prob, pool=None):
    G = quantise_gamma(gamma)
    ids = [rng.choice(pool) if pool else rng.randrange(vocab) for _ in range(h)]
    while len(ids) < n:
        if rng.random() < green_prob:
            ids.append(green_next(rng, key, h, G, ids[-h:], vocab, pool))
        else:
            ids.append(rng.choice(pool) if pool else rng.randrange(vocab))
    return ids


def make_detection_cases(rng: random.Random):
    K16, K32, K32b, K64 = rng.randbytes(16), rng.randbytes(32), rng.randbytes(32), rng.randbytes(64)
    specs = []  # (description, key, h, gamma, dedup, ids)

    def add(desc, key, h, gamma, dedup, ids):
        specs.append((desc, key, h, gamma, dedup, ids))

    V = 49152
    # random (null-like) sequences
    for n, h, g, key in [(16, 1, 0.25, K32), (64, 2, 0.5, K16), (200, 4, 0.1, K64),
                         (600, 1, 0.25, K32b), (333, 8, 0.25, K32), (120, 1, 0.5, K64)]:
        add("random ids, n=%d (null-like)" % n, key, h, g, True, [rng.randrange(V) for _ in range(n)])
    # random with ids spanning full u32 incl. 0 and 2^32-1
    ids = [rng.choice([0, U32_MAX, rng.randrange(2 ** 32), rng.randrange(V)]) for _ in range(150)]
    add("random ids over the full u32 range incl. 0 and 4294967295", K32, 2, 0.25, True, ids)
    # watermarked: all green
    add("watermarked: 320 all-green tokens, gamma 0.25 (p < 1e-100)", K32, 1, 0.25, True,
        make_sequence(rng, K32, 1, 0.25, 321, V, 1.0))
    add("watermarked: 400 all-green tokens, h=4, gamma 0.25", K64, 4, 0.25, True,
        make_sequence(rng, K64, 4, 0.25, 404, V, 1.0))
    add("watermarked: 600 all-green tokens, h=2, gamma 0.1 (p below binary64 range)", K16, 2, 0.1, True,
        make_sequence(rng, K16, 2, 0.1, 602, V, 1.0))
    add("watermarked: 350 all-green tokens, h=8, gamma 0.5", K32b, 8, 0.5, True,
        make_sequence(rng, K32b, 8, 0.5, 358, V, 1.0))
    add("watermarked: 300 tokens, ids up to 2^32-1, h=1, gamma 0.25", K32, 1, 0.25, True,
        make_sequence(rng, K32, 1, 0.25, 300, 2 ** 32, 1.0))
    # partially green
    for frac, n, h, g, key in [(0.7, 300, 1, 0.25, K32), (0.4, 250, 2, 0.5, K64),
                               (0.2, 500, 4, 0.1, K16), (0.5, 100, 1, 0.25, K32b),
                               (0.15, 80, 2, 0.25, K32)]:
        add("partially watermarked: ~%d%% forced green, n=%d" % (round(frac * 100), n), key, h, g, True,
            make_sequence(rng, key, h, g, n, V, frac))
    # same text scored with a different key (should look null)
    wm = make_sequence(rng, K32, 1, 0.25, 200, V, 1.0)
    add("watermarked under key A, scored with key A", K32, 1, 0.25, True, wm)
    add("same ids as previous, scored with key B (null-like)", K32b, 1, 0.25, True, wm)
    add("same ids as previous, scored with key A but h=2 (null-like)", K32, 2, 0.25, True, wm)
    # heavy repetition
    phrase = make_sequence(rng, K32, 1, 0.25, 5, V, 1.0)
    rep = phrase * 80
    add("5-token phrase repeated 80 times, dedup on", K32, 1, 0.25, True, rep)
    add("5-token phrase repeated 80 times, dedup off", K32, 1, 0.25, False, rep)
    phrase2 = [rng.randrange(V) for _ in range(7)]
    rep2 = phrase2 * 50 + [rng.randrange(V) for _ in range(30)]
    add("random 7-token phrase x50 + 30 random, h=2, dedup on", K16, 2, 0.5, True, rep2)
    add("random 7-token phrase x50 + 30 random, h=2, dedup off", K16, 2, 0.5, False, rep2)
    # dedup off on non-repeating input
    add("random ids, dedup off, h=1", K64, 1, 0.25, False, [rng.randrange(V) for _ in range(100)])
    # edge cases
    add("shorter than h+1 (T = 0), h=4", K32, 4, 0.25, True, [1, 2, 3, 4])
    add("empty sequence (T = 0)", K32, 1, 0.25, True, [])
    add("exactly h+1 tokens (T = 1), h=8", K64, 8, 0.25, True, [rng.randrange(V) for _ in range(9)])
    # s = 0 -> p = 1: build a sequence with no green tokens
    G = quantise_gamma(0.25)
    ids = [rng.randrange(V)]
    while len(ids) < 40:
        sd = seed(K32, 1, ids[-1:])
        while True:
            c = rng.randrange(V)
            if score_with_seed(sd, c) >= G:
                ids.append(c)
                break
    add("no green token at all (s = 0, p = 1)", K32, 1, 0.25, True, ids)
    add("all ids 0 (one distinct tuple with dedup)", K32, 1, 0.25, True, [0] * 50)
    add("all ids 0, dedup off", K32, 1, 0.25, False, [0] * 50)
    add("all ids 4294967295, h=2, dedup off", K16, 2, 0.5, False, [U32_MAX] * 30)
    add("watermarked at gamma 0.25, scored at gamma 0.5 (nesting)", K32, 1, 0.5, True,
        make_sequence(rng, K32, 1, 0.25, 150, V, 1.0))
    add("gamma 1/65536 (G = 1), random ids", K32, 1, 1 / 65536, True, [rng.randrange(V) for _ in range(64)])

    cases = []
    for i, (desc, key, h, gamma, dedup, ids) in enumerate(specs):
        st = detection_stats(key, h, gamma, ids, dedup)
        case = {"id": "d%03d" % (i + 1), "description": desc, "key": key.hex(), "keyID": key_id(key),
                "contextWidth": h, "gamma": gamma, "G": quantise_gamma(gamma), "dedup": dedup, "ids": ids}
        case.update(st)
        cases.append(case)
    return cases


# ----------------------------------------------------------------------- self-check
def self_check(pcases, dcases):
    # 1. quantisation edge cases
    assert quantise_gamma(1 / 65536) == 1
    assert quantise_gamma(0.25) == 16384
    assert quantise_gamma(0.25 + 0.5 / 65536) == 16385
    assert quantise_gamma(1e-9) == 1
    assert quantise_gamma(0.999995) == 65535
    # 2. every partition case: seed via hand-made HMAC; probes via single AES-ECB block
    for c in pcases:
        key = bytes.fromhex(c["key"])
        h, ctx = c["contextWidth"], c["context"]
        assert hmac_by_hand(key, seed_message(h, ctx)).hex() == c["seed"], c["id"]
        for v, u in zip(c["probeIds"], c["probeScores"]):
            assert score_single_block(key, h, ctx, v) == u, (c["id"], v)
        s = bytes.fromhex(c["seed"])
        alt = ctr_from_ecb(s, 8)  # 128 bytes = u(0..63)
        assert scores_from_stream(alt, range(64)) == c["firstScores"], c["id"]
        assert set(c["greenProbeIds"]) == {v for v, u in zip(c["probeIds"], c["probeScores"]) if u < c["G"]}
    # 3. one full-vocabulary recount via ECB-built CTR (independent of CTR mode object)
    c = pcases[1]
    s = bytes.fromhex(c["seed"])
    alt = ctr_from_ecb(s, (2 * c["vocabSize"] + 15) // 16)
    n = sum(1 for v in range(c["vocabSize"]) if (alt[2 * v] | (alt[2 * v + 1] << 8)) < c["G"])
    assert n == c["greenCountBelowVocab"], (n, c["greenCountBelowVocab"])
    # 4. nesting: green at smaller G implies green at larger G (same stream)
    for c in pcases[:10]:
        for v, u in zip(c["probeIds"], c["probeScores"]):
            if u < quantise_gamma(0.25):
                assert u < quantise_gamma(0.5)
    # 5. detection: recount one case with full keystream slices, one p via a different sum
    d = next(x for x in dcases if x["scored"] > 100 and not x["dedup"]) if any(
        x["scored"] > 100 and not x["dedup"] for x in dcases) else dcases[0]
    key = bytes.fromhex(d["key"])
    h, G, ids = d["contextWidth"], d["G"], d["ids"]
    T = s_ = 0
    for i in range(h, len(ids)):
        T += 1
        if Position(key, h, ids[i - h:i]).score(ids[i]) < G:
            s_ += 1
    assert (T, s_) == (d["scored"], d["green"]), d["id"]
    # p as 1 - P[X < s] (complement route) must equal the direct tail
    num, den = exact_tail(T, s_, G)
    lower = sum(math.comb(T, k) * G ** k * (65536 - G) ** (T - k) for k in range(0, s_))
    assert num + lower == den
    # 6. mpmath cross-check of one small p via regularised incomplete beta
    for d in dcases:
        if 0 < d["green"] and d["scored"] > 0 and isinstance(d["p"], float) and d["p"] > 1e-250:
            gp = mpmath.mpf(d["G"]) / 65536
            mpmath.mp.dps = 60
            ib = mpmath.betainc(d["green"], d["scored"] - d["green"] + 1, 0, gp, regularized=True)
            assert abs(float(mpmath.log10(ib)) - d["log10p"]) < 1e-9 * max(1, abs(d["log10p"])), d["id"]
    print("self-check passed", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "Vectors", "greenlist-v1"))
    args = ap.parse_args()
    if mpmath is None:
        sys.exit("mpmath is required (pip install mpmath)")
    os.makedirs(args.out, exist_ok=True)

    pcases = make_partition_cases(random.Random(20240601))
    dcases = make_detection_cases(random.Random(20240602))
    krng = random.Random(20240603)
    kcases = []
    for n in (16, 16, 32, 32, 64, 64, 17, 48):
        k = krng.randbytes(n)
        kcases.append({"key": k.hex(), "keyID": key_id(k)})
    kcases.append({"key": "00" * 32, "keyID": key_id(b"\x00" * 32)})
    kcases.append({"key": "ff" * 64, "keyID": key_id(b"\xff" * 64)})

    self_check(pcases, dcases)

    write_doc(os.path.join(args.out, "partition.json"),
              {"scheme": "greenlist-v1", "generator": GENERATOR}, pcases)
    write_doc(os.path.join(args.out, "detection.json"),
              {"scheme": "greenlist-v1", "generator": GENERATOR}, dcases)
    write_doc(os.path.join(args.out, "keyid.json"),
              {"scheme": "greenlist-v1", "generator": GENERATOR}, kcases)
    print("partition: %d cases, detection: %d cases, keyid: %d cases"
          % (len(pcases), len(dcases), len(kcases)))


if __name__ == "__main__":
    main()
