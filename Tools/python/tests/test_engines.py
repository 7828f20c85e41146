"""Real engines on the default model: text they generate with the processor is detected by the
`watermark` CLI; without it, it is not. Text `watermark embed` wrote is detected by the Python
Detector with the CLI's numbers."""
import hashlib
import json
import os

import pytest

from swift_watermark import Detector, Key

from conftest import run_cli

PROMPTS = [
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Write a poem about autumn leaves falling in a quiet park.",
    "Write a short fairy tale about a dragon who is afraid of the dark.",
    "What are the benefits of learning a second language? Give several reasons.",
    "Write a letter to a friend about a book you enjoyed.",
    "Invent a new holiday and describe how people celebrate it.",
]
NEW_TOKENS = 96


def cli_detect(texts, key_path, model, tmp_path, name):
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    out = run_cli("detect", "--jsonl", "--json", "--quiet", "--key-file", key_path, "--tokenizer", model, path, check=False)
    assert out.returncode in (0, 1), out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    for row in rows:
        row.pop("source")
        row.pop("index")
    return rows


@pytest.fixture(scope="module")
def key_path(tmp_path_factory):
    # A fixed key, so that with the fixed seed each run samples the same texts: which texts
    # clear p < 1e-4 at 96 tokens depends on the key (about one in twelve does not, across keys).
    path = tmp_path_factory.mktemp("engines") / "engine.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(hashlib.sha256(b"swift-watermark engine tests").hexdigest() + "\n")
    return path


def test_transformers_generate(model, key_path, tmp_path):
    torch = pytest.importorskip("torch", reason="torch is in Tools/python/requirements-test.txt")
    transformers = pytest.importorskip("transformers", reason="transformers is in Tools/python/requirements-test.txt")
    from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList
    from swift_watermark.transformers import WatermarkLogitsProcessor

    os.environ["HF_HUB_OFFLINE"] = "1"
    torch.set_num_threads(1)  # the same sampled texts on every run, whatever the load
    tok = AutoTokenizer.from_pretrained(str(model.parent), gguf_file=model.name)
    lm = AutoModelForCausalLM.from_pretrained(str(model.parent), gguf_file=model.name, dtype=torch.float32)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    chats = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
             for p in PROMPTS]
    batch = tok(chats, return_tensors="pt", padding=True, add_special_tokens=False)
    start = batch["input_ids"].shape[1]

    def generate(processors):
        torch.manual_seed(int(os.environ.get("WATERMARK_TEST_SEED", "1234")))
        with torch.no_grad():
            out = lm.generate(**batch, do_sample=True, top_k=0, top_p=1.0, temperature=1.0, max_new_tokens=NEW_TOKENS,
                              min_new_tokens=NEW_TOKENS, logits_processor=LogitsProcessorList(processors),
                              pad_token_id=tok.pad_token_id)
        return [tok.decode(row[start:], skip_special_tokens=True) for row in out]

    key = Key.from_file(key_path)
    marked = generate([WatermarkLogitsProcessor(key)])
    plain = generate([])
    found = cli_detect(marked, key_path, model, tmp_path, "marked")
    print("transformers: p with the watermark", [f"{r['p']:.1e}" for r in found])
    for r, text in zip(found, marked):
        assert r["p"] < 1e-4 and r["verdict"] == "watermarked", (r["p"], text)
    for r in cli_detect(plain, key_path, model, tmp_path, "plain"):
        assert r["verdict"] != "watermarked" and r["p"] > 1e-4, r


def test_llama_cpp_generate(model, key_path, tmp_path):
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is in Tools/python/requirements-test.txt")
    from swift_watermark.llama_cpp import WatermarkLogitsProcessor

    llm = llama_cpp.Llama(model_path=str(model), n_ctx=512, seed=7, verbose=False)
    key = Key.from_file(key_path)
    texts = []
    for i, prompt in enumerate(PROMPTS[:3]):
        out = llm.create_completion(f"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n", max_tokens=NEW_TOKENS,
                                    temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, seed=100 + i,
                                    logits_processor=llama_cpp.LogitsProcessorList([WatermarkLogitsProcessor(key)]))
        texts.append(out["choices"][0]["text"])
    results = cli_detect(texts, key_path, model, tmp_path, "llama")
    for r, text in zip(results, texts):
        assert r["verdict"] == "watermarked" and r["p"] < 1e-4, (r, text)


def test_embed_text_detected_by_python(model, key_path, tmp_path):
    out = run_cli("embed", "--key-file", key_path, "--model", model, "--seed", "5", "--json", "-n", "160",
                  "--prompt", "Write a paragraph about rivers.")
    record = json.loads(out.stdout.splitlines()[-1])
    text = record["text"]
    cli = cli_detect([text], key_path, model, tmp_path, "embed")[0]
    py = Detector(Key.from_file(key_path), tokenizer=model).detect(text=text)
    assert py.z == cli["z"] and py.p == cli["p"] and py.to_dict() == cli
    assert py.verdict == "watermarked", (py.p, py.scored, text)
