"""Speed of the Python package (docs/BENCHMARKS.md, "Python"), all in one run on one machine.

    $(Tools/python-env.sh)/bin/python Tools/python/bench.py [--quick]

1. transformers generate() on the default model, batch 1 and 16, multinomial sampling: no
   processor, ours (every token; and candidates-only at the sampling temperature), and
   Hugging Face's own WatermarkLogitsProcessor. Tokens per second; the runs are interleaved
   and repeated, and each figure is the median.
2. The processor alone, per step, for 64 rows at V = 128 256: every token against candidates
   only, on logits shaped like a language model's.
3. The Python Detector against Hugging Face's WatermarkDetector on the same ids: tokens/s.
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
from conftest import MODEL  # noqa: E402

from swift_watermark import Detector, Key  # noqa: E402
from swift_watermark.transformers import WatermarkLogitsProcessor  # noqa: E402

os.environ["HF_HUB_OFFLINE"] = "1"


def generation(args, key, report):
    from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList, WatermarkingConfig
    from transformers.generation import WatermarkLogitsProcessor as HFWatermark

    tok = AutoTokenizer.from_pretrained(str(MODEL.parent), gguf_file=MODEL.name)
    lm = AutoModelForCausalLM.from_pretrained(str(MODEL.parent), gguf_file=MODEL.name, dtype=torch.float32)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    vocab = lm.config.vocab_size
    new = 32 if args.quick else 64
    reps = 2 if args.quick else 3
    prompts = ["Write about the sea.", "Explain photosynthesis.", "Tell a story about a fox.", "Describe a city at night."]
    for batch_size in (1, 16):
        texts = [tok.apply_chat_template([{"role": "user", "content": prompts[i % 4]}], tokenize=False,
                                         add_generation_prompt=True) for i in range(batch_size)]
        batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        variants = {
            "none": [],
            "ours (every token)": [WatermarkLogitsProcessor(key)],
            "ours (candidates, T=1)": [WatermarkLogitsProcessor(key, temperature=1.0)],
            "Hugging Face WatermarkLogitsProcessor": [HFWatermark(vocab_size=vocab, device="cpu", greenlist_ratio=0.25,
                                                                  bias=2.0, hashing_key=15485863, seeding_scheme="lefthash",
                                                                  context_width=1)],
        }
        class Timed:
            """The processor, timed inside generate(): its own share of each step, free of the
            run-to-run noise of whole generate() calls."""

            def __init__(self, inner):
                self.inner, self.seconds = inner, 0.0

            def __call__(self, input_ids, scores):
                t = time.perf_counter()
                out = self.inner(input_ids, scores)
                self.seconds += time.perf_counter() - t
                return out

        variants = {name: [Timed(p) for p in procs] for name, procs in variants.items()}
        times = {name: [] for name in variants}
        inside = {name: [] for name in variants}
        with torch.no_grad():
            lm.generate(**batch, do_sample=True, max_new_tokens=4, min_new_tokens=4, pad_token_id=tok.pad_token_id)
            for _ in range(reps):
                for name, procs in variants.items():
                    torch.manual_seed(0)
                    t0 = time.perf_counter()
                    for p in procs:
                        p.seconds = 0.0
                    lm.generate(**batch, do_sample=True, top_k=0, top_p=1.0, temperature=1.0, max_new_tokens=new,
                                min_new_tokens=new, logits_processor=LogitsProcessorList(procs),
                                pad_token_id=tok.pad_token_id)
                    elapsed = time.perf_counter() - t0
                    times[name].append(elapsed)
                    inside[name].append(sum(p.seconds for p in procs) / elapsed)
        base = statistics.median(times["none"])
        for name, ts in times.items():
            m = statistics.median(ts)
            report.append({"bench": "generate", "batch": batch_size, "variant": name, "new_tokens": new, "reps": reps,
                           "tokens_per_s": batch_size * new / m, "cost_vs_none_pct": 100 * (m / base - 1),
                           "processor_share_pct": 100 * statistics.median(inside[name]),
                           "processor_ms_per_step": 1000 * statistics.median(inside[name]) * m / new})


def processor_step(args, key, report):
    rows, vocab = 64, 128_256
    rng = np.random.default_rng(0)
    logits = (rng.normal(0, 2.5, size=(rows, vocab)) - 5).astype(np.float32)
    for r in range(rows):  # a few likely tokens well above the body, as a language model has
        logits[r, rng.integers(0, vocab, 20)] += rng.uniform(8, 18, 20).astype(np.float32)
    scores = torch.from_numpy(logits)
    ids = torch.from_numpy(rng.integers(0, vocab, size=(rows, 8)))
    steps = 10 if args.quick else 30
    for name, proc in [("every token", WatermarkLogitsProcessor(key)),
                       ("candidates, T=1", WatermarkLogitsProcessor(key, temperature=1.0)),
                       ("candidates, T=0.7", WatermarkLogitsProcessor(key, temperature=0.7)),
                       ("candidates, greedy", WatermarkLogitsProcessor(key, temperature=0.0))]:
        proc(ids, scores)
        t0 = time.perf_counter()
        for _ in range(steps):
            proc(ids, scores)
        ms = 1000 * (time.perf_counter() - t0) / steps
        report.append({"bench": "processor step", "rows": rows, "vocab": vocab, "variant": name, "ms_per_step": ms})
    t0 = time.perf_counter()
    for _ in range(steps):
        scores.clone()
    report.append({"bench": "processor step", "rows": rows, "vocab": vocab, "variant": "baseline: clone of the logits",
                   "ms_per_step": 1000 * (time.perf_counter() - t0) / steps})


def detection(args, key, report):
    from transformers import AutoConfig, WatermarkDetector, WatermarkingConfig
    rng = np.random.default_rng(1)
    docs = [rng.integers(0, 49152, size=200).tolist() for _ in range(40 if args.quick else 200)]
    total = sum(len(d) for d in docs)
    det = Detector(key)
    t0 = time.perf_counter()
    for d in docs:
        det.detect(ids=d)
    ours = total / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    det.detect_batch(ids=docs)
    ours_batch = total / (time.perf_counter() - t0)
    config = AutoConfig.from_pretrained(str(MODEL.parent), gguf_file=MODEL.name)
    hf = WatermarkDetector(model_config=config, device="cpu",
                           watermarking_config=WatermarkingConfig(greenlist_ratio=0.25, bias=2.0, context_width=1,
                                                                  seeding_scheme="lefthash"))
    hf_docs = docs[:20] if args.quick else docs[:60]
    hf_total = sum(len(d) for d in hf_docs)
    t0 = time.perf_counter()
    for d in hf_docs:
        hf(torch.tensor([d]))
    theirs = hf_total / (time.perf_counter() - t0)
    for name, rate in [("ours, one call per document", ours), ("ours, detect_batch (2 threads)", ours_batch),
                       ("Hugging Face WatermarkDetector", theirs)]:
        report.append({"bench": "detect ids", "variant": name, "tokens_per_s": rate, "ratio_to_hf": rate / theirs})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["generate", "step", "detect"])
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    key = Key.from_bytes(bytes(range(32)))
    report = []
    if args.only in (None, "step"):
        processor_step(args, key, report)
    if args.only in (None, "detect"):
        detection(args, key, report)
    if args.only in (None, "generate"):
        generation(args, key, report)
    for row in report:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
