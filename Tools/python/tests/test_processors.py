"""The engine processors against the reference: numpy from the partition's own scores."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is in Tools/python/requirements-test.txt (Tools/python-env.sh)")

from swift_watermark import Key, Partition
from swift_watermark.transformers import WatermarkLogitsProcessor

V = 1000


def reference(part, rows, contexts, delta):
    out = rows.copy()
    for r, ctx in enumerate(contexts):
        s = part.scores(ctx, rows.shape[1])
        out[r][s < part.threshold] += np.float32(delta)
    return out


@pytest.mark.parametrize("h", [1, 3])
def test_transformers_processor_batch_and_left_padding(h):
    key = Key.from_bytes(bytes(range(1, 33)))
    wm = WatermarkLogitsProcessor(key, gamma=0.3, delta=1.5, context_width=h)
    part = Partition(key, gamma=0.3, context_width=h, delta=1.5)
    g = torch.Generator().manual_seed(1)
    pad = 0
    # three rows, the first two left-padded
    ids = torch.tensor([[pad, pad, 11, 12, 13, 14], [pad, 21, 22, 23, 24, 25], [31, 32, 33, 34, 35, 36]])
    scores = torch.randn(3, V, generator=g)
    before = scores.clone()
    out = wm(ids, scores)
    assert torch.equal(scores, before), "the caller's scores are left as they were"
    expect = reference(part, before.numpy(), ids[:, -h:].numpy(), 1.5)
    assert np.array_equal(out.numpy(), expect)
    # a history shorter than h: nothing changes
    if h > 1:
        assert torch.equal(wm(ids[:, :1], scores), scores)
    # other dtypes go through a float32 copy and come back in their own dtype
    half = wm(ids, before.to(torch.bfloat16))
    assert half.dtype == torch.bfloat16
    assert torch.equal(half, torch.from_numpy(reference(part, before.to(torch.bfloat16).float().numpy(),
                                                        ids[:, -h:].numpy(), 1.5)).to(torch.bfloat16))
    # strided rows (a view of a wider tensor) are handled
    wide = torch.randn(3, V + 24, generator=g)
    view = wide[:, :V]
    assert np.array_equal(wm(ids, view).numpy(), reference(part, view.numpy().copy(), ids[:, -h:].numpy(), 1.5))


def test_transformers_processor_candidates_within_bound():
    key = Key.from_bytes(bytes(range(2, 34)))
    full = WatermarkLogitsProcessor(key)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, 49152, (8, 5), generator=g)
    scores = torch.randn(8, 49152, generator=g) * 3
    scores[:, :10] += 20
    ref = full(ids, scores)
    for t in (0.0, 0.7, 1.0):
        cand = WatermarkLogitsProcessor(key, temperature=t)(ids, scores)
        if t == 0:
            assert torch.equal(cand.argmax(-1), ref.argmax(-1))
            continue
        p = torch.softmax(ref.double() / t, -1)
        q = torch.softmax(cand.double() / t, -1)
        tv = 0.5 * (p - q).abs().sum(-1).max().item()
        assert tv <= 1e-9 + 1e-13


def test_cuda_tensors():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine: the non-CPU path (a float32 copy on the CPU) is tested "
                    "through bfloat16 above, not on a GPU")
    key = Key.from_bytes(bytes(range(3, 35)))
    wm = WatermarkLogitsProcessor(key)
    ids = torch.tensor([[1, 2, 3]], device="cuda")
    scores = torch.randn(1, 500, device="cuda")
    out = wm(ids, scores)
    assert out.device == scores.device
    assert torch.equal(out.cpu(), wm(ids.cpu(), scores.cpu()))


def test_llama_cpp_processor_in_place():
    from swift_watermark.llama_cpp import WatermarkLogitsProcessor as LlamaProcessor
    key = Key.from_bytes(bytes(range(4, 36)))
    wm = LlamaProcessor(key, context_width=2)
    part = Partition(key, context_width=2)
    ids = np.array([1, 5, 9, 13], dtype=np.intc)
    scores = np.random.default_rng(3).normal(size=V).astype(np.float32)
    expect = reference(part, scores[None, :], [ids[-2:]], 2.0)[0]
    out = wm(ids, scores)
    assert np.array_equal(out, expect)
    assert np.array_equal(wm(ids[:1], expect.copy()), expect)  # one token before: left alone
