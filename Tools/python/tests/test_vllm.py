"""The vLLM V1 processor, with vLLM's own classes and loader. vLLM needs a GPU to run a model,
so this runs in an import-only vLLM environment (Tools/python/vllm-env.sh) and checks the
processor the way the engine drives it: discovery through the entry point, request validation,
BatchUpdate bookkeeping with vLLM's live output lists, and apply() against the reference bias."""
import os

import numpy as np
import pytest

vllm = pytest.importorskip("vllm", reason="vLLM is tested in its own environment (Tools/python/vllm-env.sh)")
torch = pytest.importorskip("torch")

from vllm import SamplingParams  # noqa: E402
from vllm.v1.sample.logits_processor import BatchUpdate, MoveDirectionality  # noqa: E402
from vllm.v1.sample import logits_processor as lp_module  # noqa: E402

from swift_watermark import Key, Partition  # noqa: E402

V = 600


@pytest.fixture()
def keys(tmp_path, monkeypatch):
    a, b = Key.generate(tmp_path / "a.key"), Key.generate(tmp_path / "b.key")
    monkeypatch.setenv("SWIFT_WATERMARK_KEYS", str(tmp_path))
    return a, b


def reference(key, row, history, temperature=None, delta=2.0, gamma=0.25, h=1):
    out = row.clone().numpy()
    Partition(key, gamma=gamma, context_width=h, delta=delta).bias_row(out, history, temperature)
    return torch.from_numpy(out)


def test_entry_point_and_validation(keys):
    from swift_watermark.vllm import WatermarkLogitsProcessor
    loaded = lp_module._load_custom_logitsprocs(None)
    assert WatermarkLogitsProcessor in loaded, loaded
    by_name = lp_module._load_custom_logitsprocs(("swift_watermark.vllm:WatermarkLogitsProcessor",))
    assert WatermarkLogitsProcessor in by_name
    lp_module.validate_logits_processors_parameters(None, SamplingParams(extra_args={"watermark_key_id": keys[0].key_id}))
    lp_module.validate_logits_processors_parameters(None, SamplingParams())
    for bad in ({"watermark_key_id": "0000000000000000"}, {"watermark_key_id": keys[0].key_id, "watermark_gamma": 2}):
        with pytest.raises(Exception) as e:
            lp_module.validate_logits_processors_parameters(None, SamplingParams(extra_args=bad))
        assert "watermark" in str(e.value)


def test_batch_updates_and_apply(keys):
    from swift_watermark.vllm import WatermarkLogitsProcessor
    a, b = keys
    proc = WatermarkLogitsProcessor(object(), torch.device("cpu"), False)
    assert proc.is_argmax_invariant() is False
    out0, out1, out2 = [], [7], [3, 4]
    proc.update_state(BatchUpdate(batch_size=3, removed=[], moved=[], added=[
        (0, SamplingParams(temperature=1.0, extra_args={"watermark_key_id": a.key_id, "watermark_candidates": False}),
         [1, 2, 3], out0),
        (1, SamplingParams(), [4, 5], []),
        (2, SamplingParams(temperature=0.0, extra_args={"watermark_key_id": b.key_id, "watermark_delta": 5.0,
                                                        "watermark_context_width": 2}), [9], out2)]))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, V, generator=g) * 3
    y = proc.apply(x.clone())
    assert torch.equal(y[0], reference(a, x[0], [1, 2, 3]))
    assert torch.equal(y[1], x[1])  # no key: untouched
    # greedy request with candidates: the argmax is the full bias's
    full2 = reference(b, x[2], [9, 3, 4], delta=5.0, h=2)
    assert y[2].argmax() == full2.argmax()
    # vLLM appends to the same list: the next step's context follows
    out0.append(42)
    proc.update_state(None)
    y2 = proc.apply(x.clone())
    assert torch.equal(y2[0], reference(a, x[0], [1, 2, 3, 42]))
    # remove row 1, move 2 -> 1, then swap 0 <-> 1
    proc.update_state(BatchUpdate(batch_size=2, removed=[1], added=[], moved=[(2, 1, MoveDirectionality.UNIDIRECTIONAL)]))
    assert sorted(proc.rows) == [0, 1]
    proc.update_state(BatchUpdate(batch_size=2, removed=[], added=[], moved=[(0, 1, MoveDirectionality.SWAP)]))
    x2 = torch.randn(2, V, generator=g)
    y3 = proc.apply(x2.clone())
    assert torch.equal(y3[1], reference(a, x2[1], [1, 2, 3, 42]))
    # a removed index that is added again in the same update keeps the new request
    proc.update_state(BatchUpdate(batch_size=2, removed=[0], moved=[], added=[(0, SamplingParams(), [1], [])]))
    assert 0 not in proc.rows


def test_second_instance_for_one_engine_is_inert(keys):
    from swift_watermark.vllm import WatermarkLogitsProcessor
    engine = object()
    first = WatermarkLogitsProcessor(engine, torch.device("cpu"), False)
    second = WatermarkLogitsProcessor(engine, torch.device("cpu"), False)
    update = BatchUpdate(batch_size=1, removed=[], moved=[], added=[
        (0, SamplingParams(extra_args={"watermark_key_id": keys[0].key_id, "watermark_candidates": False}), [5], [])])
    for p in (first, second):
        p.update_state(update)
    x = torch.zeros(1, V)
    y = second.apply(first.apply(x.clone()))
    assert torch.equal(y[0], reference(keys[0], x[0], [5]))  # delta added once


def test_engine_run_needs_a_gpu():
    pytest.skip("vLLM's engine (LLM.generate) needs CUDA kernels that this CPU-only machine cannot load "
                "(libcudart.so.13): not run here")
