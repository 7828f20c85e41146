"""Every case in Vectors/greenlist-v1/ through the Python API, bit-exact. The vectors come
from Tools/gen_greenlist_vectors.py (Python's cryptography and mpmath), not from Swift."""
import json
import math

import numpy as np
import pytest

from swift_watermark import Detector, Key, Partition, green_threshold

from conftest import REPO

VECTORS = REPO / "Vectors" / "greenlist-v1"


def cases(name):
    return json.loads((VECTORS / f"{name}.json").read_text())["cases"]


@pytest.mark.parametrize("case", cases("keyid"), ids=lambda c: c["keyID"])
def test_key_id(case):
    assert Key.from_bytes(bytes.fromhex(case["key"])).key_id == case["keyID"]


@pytest.mark.parametrize("case", cases("partition"), ids=lambda c: c["id"])
def test_partition(case):
    key = Key.from_bytes(bytes.fromhex(case["key"]))
    assert key.key_id == case["keyID"]
    assert green_threshold(case["gamma"]) == case["G"]
    part = Partition(key, gamma=case["gamma"], context_width=case["contextWidth"])
    ctx = case["context"]
    first = part.scores(ctx, len(case["firstScores"]))
    assert first.tolist() == case["firstScores"]
    probes = case["probeIds"]
    top = max(probes) + 1
    full = part.scores(ctx, top)
    assert full[probes].tolist() == case["probeScores"]
    # classification of single ids (random access) agrees with the full keystream
    green = part.classify(ctx, probes)
    assert [p for p, g in zip(probes, green) if g] == case["greenProbeIds"]
    assert green.tolist() == [s < case["G"] for s in case["probeScores"]]
    # green masks, bytes and bits, over the vocabulary
    vocab = case["vocabSize"]
    mask = part.green_mask(ctx, vocab)
    assert int(mask.sum()) == case["greenCountBelowVocab"]
    bits = np.unpackbits(part.green_bits(ctx, vocab), bitorder="little")[:vocab].astype(bool)
    assert (bits == mask).all()
    # the bias adds delta exactly where the mask says
    row = np.zeros(vocab, dtype=np.float32)
    assert part.bias_row(row, [7] * 3 + list(ctx))
    assert ((row == np.float32(2.0)) == mask).all()


@pytest.mark.parametrize("case", cases("detection"), ids=lambda c: c["id"])
def test_detection(case):
    key = Key.from_bytes(bytes.fromhex(case["key"]))
    det = Detector(key, gamma=case["gamma"], context_width=case["contextWidth"], deduplicate=case["dedup"],
                   min_tokens=1)
    r = det.detect(ids=case["ids"])
    assert (r.scored, r.green) == (case["scored"], case["green"])
    assert r.key_id == case["keyID"]
    if case["scored"] == 0:
        return
    # z is computed as in SCHEME.md; p and log10p are exact tails (mpmath); allow only
    # the rounding of the last bits
    assert r.z == pytest.approx(case["z"], rel=1e-12, abs=1e-12)
    assert r.log10p == pytest.approx(case["log10p"], rel=1e-9, abs=1e-12)
    if case["p"] > 1e-300:
        assert r.p == pytest.approx(case["p"], rel=1e-9)
