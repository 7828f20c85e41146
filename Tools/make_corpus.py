#!/usr/bin/env python3
"""Build the human-text corpus for calibration and the null check (issue 5) from Debian packages.

Run through Tools/fetch-corpus.sh, which downloads the packages (`apt-get download`, no install)
and unpacks them (`dpkg-deb -x`) into one folder per package; this script only reads that folder
and writes JSON Lines into the cache. Python standard library only.

Sources and licences (all Debian 12 "bookworm", main; versions are recorded in stats.json):
  English prose (en/, en-small/), about 2.5M words:
    python3.11-doc       The Python 3.11 documentation (HTML: tutorial, library and language
                         reference, HOWTOs, FAQ, What's New). PSF License Agreement (code
                         examples, which are dropped, are Zero-Clause BSD).
    r-cran-janeaustenr   Jane Austen's six novels (Project Gutenberg transcriptions, public
                         domain), stored as R data; the package itself is MIT (Julia Silge).
    sword-comm-mhcc      Matthew Henry's Concise Commentary on the Whole Bible (abridged
                         from his 1706-1721 Exposition), a SWORD module (OSIS markup in zlib blocks). Public domain.
    debian-handbook      "The Debian Administrator's Handbook" (Hertzog, Mas), en-US HTML.
                         GPL-2+ or CC-BY-SA-3.0.
    debian-reference-en  "Debian Reference" (Osamu Aoki), English HTML. GPL-2+.
  Other languages (<lang>/heldout.jsonl only): the debian-handbook translations (de-DE, fr-FR,
    es-ES, it-IT, pt-BR, ru-RU, ja-JP, zh-CN; same licence), debian-reference-{de,fr,es,it,pt,
    ja,zh-cn} (GPL-2+) and maint-guide-{de,fr,es,it,ru,ja,zh-cn} (GPL-2+). Every paragraph is
    language-checked (stop words / script), because some translations are partial and fall
    back to English.
  Repetitive human text (code/heldout.jsonl only), about 200k words:
    libpython3.11-stdlib Python standard library sources (*.py, verbatim). PSF License.
    base-files           /usr/share/common-licenses (GPL, LGPL, Apache, MPL, ... texts), each
                         under its own verbatim-copying terms.
    tzdata               zone1970.tab, zone.tab, iso3166.tab, leapseconds. Public domain.
    (changelogs)         The Debian changelogs of all the packages above, and CPython's own
                         changelog (python3.11-doc whatsnew/changelog.html.gz) as bullet lists.

What is kept: running prose only. From HTML only <p> elements are read, and never inside
navigation, headers, footers, tables, code blocks (<pre>), signatures, admonition titles,
"Availability"/audit boilerplate or version-change notes; a paragraph must look like prose
(enough words, mostly letters, few code-like tokens). Novels lose their chapter headings and
Gutenberg _italic_ marks.

Documents: the paragraphs of one section (an HTML page, a novel's or the commentary's chapter,
a source file) are
cut, in order and on paragraph boundaries, into documents whose target length is drawn from
150..1200 words by a hash of the document's position (so lengths vary deterministically);
none is shorter than 150 or longer than 1500 words (a paragraph longer than that is cut at
sentence ends; code and lists are cut at line ends and keep their lines). Length is counted in words for alphabetic scripts and in characters for
Chinese/Japanese ("units": each CJK character counts as one).

Split: a document is held out when SHA-256 of its *section* id (the part of "id" before '#')
falls in the lowest 30% of the hash range, so all documents cut from one page/chapter land on
the same side (no near-duplicate neighbours across the split). No random state is used.

Line format: {"id": "...", "source": "package/path", "text": "..."}; paragraphs inside "text"
are separated by a blank line.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import html.parser
import json
import os
import re
import struct
import sys
import time
import zlib
from pathlib import Path

RECIPE_VERSION = "corpus-v1"
HELDOUT_FRACTION = 0.30
MIN_WORDS, MAX_WORDS = 150, 1500
TARGET_MIN, TARGET_MAX = 150, 1200

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_CJK_OR_SPACE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]|\s+")


def units(text: str) -> int:
    """Length unit: whitespace words, except that every CJK character counts as one unit."""
    n_cjk = len(_CJK.findall(text))
    if n_cjk == 0:
        return len(text.split())
    return n_cjk + len(_CJK.sub(" ", text).split())


def norm_space(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("\u00ad", "")).strip()


def h64(s: str) -> int:
    return int.from_bytes(hashlib.sha256(s.encode("utf-8")).digest()[:8], "big")


def is_heldout(doc_id: str) -> bool:
    section = doc_id.split("#", 1)[0]
    return h64(section) < int(HELDOUT_FRACTION * 2**64)


_SENT_END = re.compile(r"(?<=[.!?。！？])[\"'”’»)]*\s+")


def split_long(par: str, limit: int, lang: str = "en") -> list[str]:
    """Cut a paragraph longer than `limit` units at sentence ends (hard cut as a last resort);
    line-oriented text ("code") is cut at line ends instead, lines kept intact."""
    if units(par) <= limit:
        return [par]
    if lang == "code":
        out, cur, n = [], [], 0
        for line in par.split("\n"):
            k = units(line)
            if cur and n + k > limit:
                out.append("\n".join(cur))
                cur, n = [], 0
            cur.append(line)
            n += k
        if cur:
            out.append("\n".join(cur))
        return out
    if _CJK.search(par):
        sents = [s for s in re.split(r"(?<=[。！？])", par) if s]
    else:
        sents = _SENT_END.split(par)
    out, cur = [], ""
    for s in sents:
        cand = (cur + " " + s).strip() if cur and not _CJK.search(s) else cur + s
        if cur and units(cand) > limit:
            out.append(cur)
            cur = s
        else:
            cur = cand
    if cur:
        out.append(cur)
    final = []
    for piece in out:  # a single "sentence" still too long: cut on words
        if units(piece) <= limit:
            final.append(piece)
        else:
            words = piece.split()
            for i in range(0, len(words), limit):
                final.append(" ".join(words[i:i + limit]))
    return final


def make_documents(section_id: str, source: str, pars: list[str], lang: str) -> list[dict]:
    """Cut one section's paragraphs into documents of MIN_WORDS..MAX_WORDS units."""
    flat: list[str] = []
    for p in pars:
        flat.extend(split_long(p, MAX_WORDS, lang))
    docs: list[list[str]] = []
    cur: list[str] = []
    cur_n = 0
    target = None
    for p in flat:
        if target is None:
            k = len(docs)
            target = TARGET_MIN + h64(f"{section_id}#{k}:len") % (TARGET_MAX - TARGET_MIN + 1)
        n = units(p)
        if cur and cur_n + n > MAX_WORDS:
            docs.append(cur)
            cur, cur_n, target = [], 0, None
            k = len(docs)
            target = TARGET_MIN + h64(f"{section_id}#{k}:len") % (TARGET_MAX - TARGET_MIN + 1)
        cur.append(p)
        cur_n += n
        if cur_n >= target:
            docs.append(cur)
            cur, cur_n, target = [], 0, None
    if cur:
        if cur_n >= MIN_WORDS:
            docs.append(cur)
        elif docs and sum(units(x) for x in docs[-1]) + cur_n <= MAX_WORDS:
            docs[-1].extend(cur)
        # else: a short tail that cannot be merged is dropped
    out = []
    for i, d in enumerate(docs):
        text = "\n\n".join(d)
        if units(text) < MIN_WORDS:
            continue
        out.append({"id": f"{section_id}#{i}", "source": source, "text": text, "lang": lang})
    return out


# --------------------------------------------------------------------------------------------
# Prose filters and language checks
# --------------------------------------------------------------------------------------------

_CODEY = re.compile(r"[/_=(){}\[\]<>$\\|@#`]|::|->|\w\.\w+\(")

STOPWORDS = {
    "en": "the of and to in is that it for as with be on this are by not or an which from can you at".split(),
    "de": "der die das und ist nicht zu den von mit sich des auf für im dem ein eine auch es werden wird oder wenn".split(),
    "fr": "le la les de des et est un une du en que qui pour dans pas sur par au ce il sont avec être ou plus".split(),
    "es": "el la los las de del y que en un una es por con para no se su al lo como más pero o sus".split(),
    "it": "il la le di che e è un una per non del della dei in si con sono da al gli lo come anche".split(),
    "pt": "o a os as de do da dos das e que em um uma para com não é se por no na ao mais como".split(),
}
_STOP_SETS = {k: set(v) for k, v in STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def lang_ok(text: str, lang: str) -> bool:
    """Is this paragraph written in `lang` (and not left in English by a partial translation)?"""
    if lang in ("ja", "zh"):
        letters = [c for c in text if c.isalpha()]
        if not letters:
            return False
        cjk = len(_CJK.findall(text))
        kana = len(re.findall(r"[\u3040-\u30ff]", text))
        if cjk / len(letters) < 0.5:
            return False
        return kana / max(cjk, 1) > 0.1 if lang == "ja" else kana == 0
    if lang == "ru":
        letters = [c for c in text if c.isalpha()]
        cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
        return bool(letters) and cyr / len(letters) >= 0.6
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return False
    counts = {k: sum(1 for w in words if w in s) for k, s in _STOP_SETS.items()}
    best = max(counts, key=lambda k: counts[k])
    if lang == "en":
        return counts["en"] >= 0.12 * len(words) or (best == "en" and counts["en"] >= 2)
    return best == lang and counts[lang] >= 0.10 * len(words) and counts["en"] < counts[lang] / 2


def prose_ok(text: str, lang: str) -> bool:
    """A paragraph that reads as running prose, not a caption, a command or a list of names."""
    n = units(text)
    if n < (10 if lang in ("ja", "zh") else 6):
        return False
    nonspace = [c for c in text if not c.isspace()]
    letters = sum(1 for c in nonspace if c.isalpha())
    if letters / len(nonspace) < 0.72:
        return False
    if lang not in ("ja", "zh"):
        toks = text.split()
        if sum(1 for t in toks if _CODEY.search(t)) / len(toks) > 0.15:
            return False
    if not re.search(r"[.!?:;)。！？：；」』）\"”’»…]$", text):
        return False
    return lang_ok(text, lang)


# --------------------------------------------------------------------------------------------
# HTML (Sphinx and DocBook) paragraph extraction
# --------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
SKIP_TAGS = {"pre", "table", "script", "style", "nav", "header", "footer", "head", "title",
             "textarea", "svg", "math", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "caption",
             "figcaption", "button", "form", "select", "object", "sup"}
SKIP_CLASSES = {"related", "sphinxsidebar", "sphinxsidebarwrapper", "footer", "navheader",
                "navfooter", "highlight", "toc", "admonition-title", "title", "headerlink",
                "versionmodified", "footnote-reference", "sig", "breadcrumb", "legalnotice",
                "index", "copyright", "authorgroup", "revhistory", "screen", "programlisting",
                "synopsis", "availability", "audit-hook", "sidebar-title", "doctest",
                "literallayout", "mediaobject", "figure", "table", "informaltable", "example",
                "calloutlist", "cmdsynopsis", "funcsynopsis", "footnotes", "footnote",
                "bibliography", "glossterm", "colophon", "mobile-nav", "inline-search"}


class ParagraphParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skip)
        self.pars: list[str] = []
        self.buf: list[str] | None = None
        self.p_depth = -1

    def _skipping(self) -> bool:
        return any(s for _, s in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == "br" and self.buf is not None:
                self.buf.append(" ")
            return
        classes = set()
        for k, v in attrs:
            if k == "class" and v:
                classes.update(v.split())
            if k == "role" and v in ("navigation", "search"):
                classes.add("related")
            if k == "hidden":
                classes.add("related")
        # <p>, or Publican's <div class="para"> (the Debian Handbook)
        is_para = tag == "p" or (tag == "div" and "para" in classes)
        if is_para and self.buf is not None:  # implicit </p>
            self._close_p()
        skip = tag in SKIP_TAGS or bool(classes & SKIP_CLASSES)
        self.stack.append((tag, skip))
        if is_para and not self._skipping():
            self.buf = []
            self.p_depth = len(self.stack)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not any(t == tag for t, _ in self.stack):
            return
        while self.stack:
            t, _ = self.stack.pop()
            if self.buf is not None and len(self.stack) < self.p_depth:
                self._close_p()
            if t == tag:
                break

    def _close_p(self):
        text = norm_space("".join(self.buf or []))
        if text:
            self.pars.append(text)
        self.buf = None
        self.p_depth = -1

    def handle_data(self, data):
        if self.buf is not None and not self._skipping():
            self.buf.append(data)


def html_paragraphs(path: Path) -> list[str]:
    p = ParagraphParser()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    p.close()
    if p.buf is not None:
        p._close_p()
    return p.pars


# Boilerplate sentences that recur on many pages (they would repeat across documents).
_BOILER = re.compile(
    r"^(Source code: |See also|Deprecated since version|New in version|Changed in version|"
    r"This module is not supported on|Availability:|Raises an auditing event|"
    r"Note: |Warning: |This page is licensed|Copyright )", re.I)


def html_source(pkg_root: Path, pkg: str, rel_root: str, lang: str, files: list[Path] | None = None,
                exclude: re.Pattern | None = None) -> list[dict]:
    root = pkg_root / pkg / rel_root
    if files is None:
        files = sorted(root.rglob("*.html"))
    docs = []
    for f in files:
        rel = f.relative_to(root).as_posix()
        if exclude is not None and exclude.search(rel):
            continue
        pars = [t for t in html_paragraphs(f) if not _BOILER.match(t) and prose_ok(t, lang)]
        if not pars:
            continue
        sec = f"{pkg}/{rel}" if lang == "en" else f"{pkg}/{lang}/{rel}"
        docs.extend(make_documents(sec, f"{pkg}/{rel_root}/{rel}", pars, lang))
    return docs


# --------------------------------------------------------------------------------------------
# R lazy-load database reader (for r-cran-janeaustenr): just enough of R's serialization format
# (XDR, versions 2 and 3) to read character vectors, lists and their attributes.
# --------------------------------------------------------------------------------------------

class RVec(list):
    """An R vector: a list with its attributes (names, class, ...)."""
    def __init__(self, items=()):
        super().__init__(items)
        self.attrs = {}


class RReader:
    NILVALUE, REF, GLOBALENV, UNBOUND, MISSINGARG, BASENS = 254, 255, 253, 252, 251, 250
    EMPTYENV, BASEENV, NAMESPACE, PACKAGE, PERSIST = 242, 241, 249, 248, 247
    ALTREP, ATTRLIST, ATTRLANG = 238, 239, 240

    def __init__(self, data: bytes):
        self.d, self.i, self.refs = data, 0, []

    def int(self) -> int:
        v = struct.unpack_from(">i", self.d, self.i)[0]
        self.i += 4
        return v

    def length(self) -> int:
        n = self.int()
        if n == -1:
            hi, lo = self.int(), self.int()
            n = (hi << 32) + lo
        return n

    def header(self):
        fmt = self.d[self.i:self.i + 2]
        if fmt != b"X\n":
            raise ValueError(f"unsupported R serialization format {fmt!r}")
        self.i += 2
        version = self.int()
        self.int(), self.int()
        if version == 3:
            n = self.int()
            self.i += n

    def item(self):
        flags = self.int()
        t = flags & 0xFF
        has_attr, has_tag = flags & (1 << 9), flags & (1 << 10)
        if t in (self.NILVALUE, self.GLOBALENV, self.UNBOUND, self.MISSINGARG, self.BASENS,
                 self.EMPTYENV, self.BASEENV):
            return None
        if t == self.REF:
            idx = flags >> 8
            if idx == 0:
                idx = self.int()
            return self.refs[idx - 1]
        if t == self.PERSIST:
            self.item()  # a STRSXP naming it
            obj = {"persist": True}
            self.refs.append(obj)
            return obj
        if t in (self.NAMESPACE, self.PACKAGE):
            self.int(); n = self.int()  # noqa: E702  (0, then a STRSXP body)
            info = [self.item() for _ in range(n)]
            obj = {"namespace": info}
            self.refs.append(obj)
            return obj
        if t == 1:  # SYMSXP
            obj = {"sym": None}
            self.refs.append(obj)
            obj["sym"] = self.item()
            return obj
        if t == 4:  # ENVSXP
            obj = {"env": True}
            self.refs.append(obj)
            self.int()  # locked
            obj["enclos"], obj["frame"], obj["hashtab"], obj["attr"] = (
                self.item(), self.item(), self.item(), self.item())
            return obj
        if t in (2, 3, 5, 6, 17, self.ATTRLIST, self.ATTRLANG):  # pairlist-like
            attr = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            cell = {"tag": tag, "car": car, "attr": attr}
            rest = cdr if isinstance(cdr, list) else ([] if cdr is None else [cdr])
            return [cell] + rest
        if t == self.ALTREP:
            info, state, attr = self.item(), self.item(), self.item()
            return state
        if t == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None
            s = self.d[self.i:self.i + n].decode("utf-8", errors="replace")
            self.i += n
            return s
        if t in (10, 13):  # LGLSXP, INTSXP
            n = self.length()
            v = list(struct.unpack_from(f">{n}i", self.d, self.i))
            self.i += 4 * n
        elif t == 14:  # REALSXP
            n = self.length()
            v = list(struct.unpack_from(f">{n}d", self.d, self.i))
            self.i += 8 * n
        elif t == 15:  # CPLXSXP
            n = self.length()
            self.i += 16 * n
            v = [None] * n
        elif t == 24:  # RAWSXP
            n = self.length()
            v = self.d[self.i:self.i + n]
            self.i += n
        elif t in (16, 19, 20):  # STRSXP, VECSXP, EXPRSXP
            n = self.length()
            v = [self.item() for _ in range(n)]
        elif t == 25:  # S4SXP
            v = None
        else:
            raise ValueError(f"R type {t} not supported")
        v = RVec(v) if not isinstance(v, bytes) else v
        if has_attr:
            for cell in self.item() or []:
                tag = cell["tag"]
                if isinstance(tag, dict) and isinstance(v, RVec):
                    v.attrs[tag.get("sym")] = cell["car"]
        return v


def r_unserialize(raw: bytes):
    r = RReader(raw)
    r.header()
    return r.item()


def r_lazyload(rdx: Path, rdb: Path) -> dict:
    """Read every variable of an R lazy-load database (.rdx index + .rdb blobs)."""
    def blob(data: bytes) -> bytes:
        # 4-byte big-endian length, then zlib (or a type byte 'Z'/'2'/'X' + payload).
        kind, payload = data[4:5], data[5:]
        if kind == b"2":
            import bz2
            return bz2.decompress(payload)
        if kind == b"X":
            import lzma
            return lzma.decompress(payload)
        if kind == b"Z":
            return zlib.decompress(payload)
        return zlib.decompress(data[4:])

    idx_raw = rdx.read_bytes()
    idx = r_unserialize(gzip.decompress(idx_raw) if idx_raw[:2] == b"\x1f\x8b" else blob(idx_raw))
    variables = idx[idx.attrs["names"].index("variables")]
    db = rdb.read_bytes()
    out = {}
    for name, (off, ln) in zip(variables.attrs["names"], variables):
        off, ln = int(off), int(ln)
        out[name] = r_unserialize(blob(db[off:off + ln]))
    return out


# --------------------------------------------------------------------------------------------
# SWORD modules (zText / zCom / zCom4, zlib blocks): the Debian sword-comm-* packages
# --------------------------------------------------------------------------------------------

def sword_entries(prefix: Path, four: bool) -> list[tuple[int, str]]:
    """(block number, entry text) for every distinct non-empty entry, in index order.

    Files: <prefix>.{b|c}zs block index (u32 offset, u32 compressed size, u32 size),
    <prefix>.{b|c}zz zlib blocks, <prefix>.{b|c}zv entry index (u32 block, u32 offset, u16 size;
    u32 size for the "4" drivers). Entries linked to several verses are read once."""
    e = "c" if four else "b"
    bs = prefix.with_suffix(f".{e}zs").read_bytes()
    zz = prefix.with_suffix(f".{e}zz").read_bytes()
    vs = prefix.with_suffix(f".{e}zv").read_bytes()
    cache: dict[int, bytes] = {}

    def block(i: int) -> bytes:
        if i not in cache:
            off, size, _usize = struct.unpack_from("<III", bs, 12 * i)
            cache[i] = zlib.decompress(zz[off:off + size])
        return cache[i]

    width, fmt = (12, "<III") if four else (10, "<IIH")
    seen, out = set(), []
    for k in range(len(vs) // width):
        b, off, size = struct.unpack_from(fmt, vs, width * k)
        if size == 0 or (b, off) in seen:
            continue
        seen.add((b, off))
        out.append((b, block(b)[off:off + size].decode("utf-8", errors="replace")))
    return out


def osis_paragraphs(markup: str) -> list[str]:
    """Running text of an OSIS fragment: notes, tables and titles dropped, paragraph and
    line-group milestones made paragraph breaks."""
    x = re.sub(r"<note\b.*?</note>", " ", markup, flags=re.S)
    x = re.sub(r"<table\b.*?</table>", "\n\n", x, flags=re.S)
    x = re.sub(r"<title\b.*?</title>", "\n\n", x, flags=re.S)
    x = re.sub(r"<(div|p|lb|lg|list|item|chapter)\b[^>]*>", "\n\n", x)
    x = re.sub(r"<l\b[^>]*>", "\n\n", x)
    x = html.unescape(re.sub(r"<[^>]+>", "", x))
    return [p for p in (norm_space(s).lstrip("-").strip() for s in re.split(r"\n\s*\n", x)) if p]


def sword_source(pkg_root: Path, pkg: str, moddir: str, four: bool, lang: str) -> list[dict]:
    """Documents from a SWORD module, one section per chapter (OSIS <chapter osisID=...> marks)."""
    docs = []
    base = pkg_root / pkg / "usr/share/sword/modules" / moddir
    chapter_mark = re.compile(r'<chapter\b[^>]*\bsID="([^"]+)"[^>]*/>')
    for testament in ("ot", "nt"):
        prefix = base / testament
        if not prefix.with_suffix(".bzs" if not four else ".czs").is_file():
            continue
        sections: dict[str, list[str]] = {}
        order: list[str] = []
        current = f"{testament}-start"
        for _b, text in sword_entries(prefix, four):
            pieces = chapter_mark.split(text)  # text, id, text, id, text ...
            for i, piece in enumerate(pieces):
                if i % 2 == 1:
                    current = piece
                    continue
                pars = [p for p in osis_paragraphs(piece) if prose_ok(p, lang)]
                if pars:
                    if current not in sections:
                        sections[current] = []
                        order.append(current)
                    sections[current].extend(pars)
        for sec in order:
            docs.extend(make_documents(f"{pkg}/{sec}",
                                       f"{pkg}/usr/share/sword/modules/{moddir}/{testament}",
                                       sections[sec], lang))
    return docs


AUSTEN = [("sensesensibility", "Sense and Sensibility"), ("prideprejudice", "Pride and Prejudice"),
          ("mansfieldpark", "Mansfield Park"), ("emma", "Emma"),
          ("northangerabbey", "Northanger Abbey"), ("persuasion", "Persuasion")]


def austen_source(pkg_root: Path) -> list[dict]:
    pkg = "r-cran-janeaustenr"
    base = pkg_root / pkg / "usr/lib/R/site-library/janeaustenr/data"
    data = r_lazyload(base / "Rdata.rdx", base / "Rdata.rdb")
    docs = []
    chapter_re = re.compile(r"^\s*(CHAPTER|Chapter)\s+[0-9IVXLC]+\.?\s*$")
    for key, title in AUSTEN:
        lines = data[key]
        chapters: list[list[str]] = []
        cur_par: list[str] = []
        started = False
        for line in lines + [""]:
            line = (line or "").strip()
            if chapter_re.match(line):
                started = True
                chapters.append([])
                cur_par = []
                continue
            if not started:
                continue  # title page
            if line == "":
                if cur_par:
                    par = norm_space(" ".join(cur_par)).replace("_", "")
                    if not re.fullmatch(r"(?i)(volume\s+[ivx0-9]+|the end|finis)\.?", par):
                        chapters[-1].append(par)
                    cur_par = []
            else:
                cur_par.append(line)
        for ci, pars in enumerate(chapters, 1):
            docs.extend(make_documents(f"{pkg}/{key}/ch{ci:03d}", f"{pkg}/{key}", pars, "en"))
    return docs


# --------------------------------------------------------------------------------------------
# Repetitive human text: code, licences, changelogs, tab-separated data
# --------------------------------------------------------------------------------------------

def line_blocks(section_id: str, source: str, text: str, lang: str = "code") -> list[dict]:
    """Cut line-oriented text into documents: the 'paragraphs' are blank-line separated blocks,
    kept verbatim (indentation and line breaks preserved)."""
    blocks = [b.strip("\n") for b in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if b.strip()]
    return make_documents(section_id, source, blocks, lang)


def budget(docs: list[dict], limit: int) -> list[dict]:
    """A deterministic sample of documents (lowest id hashes first) of at most `limit` words,
    returned in their original order."""
    chosen, total = set(), 0
    for d in sorted(docs, key=lambda d: h64(d["id"])):
        n = units(d["text"])
        if total + n > limit:
            continue
        chosen.add(d["id"])
        total += n
    return [d for d in docs if d["id"] in chosen]


# Word budgets of the repetitive-text set (about 200k words in all).
CODE_BUDGET = {"python": 110_000, "cpython-changelog": 35_000, "debian-changelog": 20_000}


def code_sources(pkg_root: Path, log) -> list[dict]:
    out = []
    # Python standard library sources.
    docs = []
    pyroot = pkg_root / "libpython3.11-stdlib" / "usr/lib/python3.11"
    for f in sorted(pyroot.rglob("*.py")):
        rel = f.relative_to(pyroot).as_posix()
        if f.is_symlink() or not f.is_file():
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        docs.extend(line_blocks(f"libpython3.11-stdlib/{rel}",
                                f"libpython3.11-stdlib/usr/lib/python3.11/{rel}", text))
    out.append(("python", budget(docs, CODE_BUDGET["python"])))
    # Licence texts (all of them).
    docs = []
    lic = pkg_root / "base-files" / "usr/share/common-licenses"
    for f in sorted(lic.iterdir()) if lic.is_dir() else []:
        if f.is_file() and not f.is_symlink():
            docs.extend(line_blocks(f"base-files/common-licenses/{f.name}",
                                    f"base-files/usr/share/common-licenses/{f.name}",
                                    f.read_text(encoding="utf-8", errors="replace")))
    out.append(("licences", docs))
    # Tab-separated data (all), in blocks of 40 lines.
    docs = []
    tz = pkg_root / "tzdata" / "usr/share/zoneinfo"
    for name in ("zone1970.tab", "zone.tab", "iso3166.tab", "leapseconds"):
        f = tz / name
        if f.is_file():
            lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
            text = "\n\n".join("\n".join(lines[i:i + 40]) for i in range(0, len(lines), 40))
            docs.extend(line_blocks(f"tzdata/{name}", f"tzdata/usr/share/zoneinfo/{name}", text))
    out.append(("tables", docs))
    # Debian changelogs of every unpacked package.
    docs = []
    for f in sorted(pkg_root.glob("*/usr/share/doc/*/changelog*.gz")):
        rel = f.relative_to(pkg_root).as_posix()
        pkg = rel.split("/", 1)[0]
        text = gzip.decompress(f.read_bytes()).decode("utf-8", errors="replace")
        docs.extend(line_blocks(f"{pkg}/changelog/{f.name}", rel, text))
    out.append(("debian-changelog", budget(docs, CODE_BUDGET["debian-changelog"])))
    # CPython's own changelog page (whatsnew/changelog.html) as bullet lists.
    docs = []
    cl = pkg_root / "python3.11-doc" / PY_DOC / "whatsnew/changelog.html.gz"
    if cl.is_file():
        items: list[str] = []

        class Items(html.parser.HTMLParser):
            def __init__(self):
                super().__init__(convert_charrefs=True)
                self.cur = None

            def handle_starttag(self, tag, attrs):
                if tag == "li":
                    self.cur = []

            def handle_endtag(self, tag):
                if tag == "li" and self.cur is not None:
                    t = norm_space("".join(self.cur))
                    if t:
                        items.append("- " + t)
                    self.cur = None

            def handle_data(self, data):
                if self.cur is not None:
                    self.cur.append(data)

        p = Items()
        p.feed(gzip.decompress(cl.read_bytes()).decode("utf-8", errors="replace"))
        for s in range(0, len(items), 400):  # sections of 400 bullets, blocks of 25
            chunk = items[s:s + 400]
            text = "\n\n".join("\n".join(chunk[i:i + 25]) for i in range(0, len(chunk), 25))
            docs.extend(line_blocks(f"python3.11-doc/whatsnew/changelog.html/{s // 400:03d}",
                                    f"python3.11-doc/{PY_DOC}/whatsnew/changelog.html.gz", text))
    out.append(("cpython-changelog", budget(docs, CODE_BUDGET["cpython-changelog"])))
    result = []
    for kind, docs in out:
        log(f"code/{kind}: {len(docs)} docs, {sum(units(d['text']) for d in docs)} words")
        result.extend(docs)
    return result


# --------------------------------------------------------------------------------------------
# Source table
# --------------------------------------------------------------------------------------------

PY_DOC = "usr/share/doc/python3.11/html"
# Index pages, licence text, search and the changelog (a list, used in code/) are not prose.
PY_EXCLUDE = re.compile(r"^(genindex|py-modindex|search|license|copyright|about|bugs|download|"
                        r"contents|index)\.html$|^whatsnew/changelog\.html$|^_|/index\.html$")
HB_DOC = "usr/share/doc/debian-handbook/html"
HB_EXCLUDE = re.compile(r"^Common_Content/|^index\.html$|sect\.acknowledgments|^ix01|^pr01"
                        r"|^appendix|^sect\.reference")
REF_DIR = "usr/share/debian-reference"

# Language -> (debian-handbook folder, debian-reference package suffix, maint-guide package suffix)
LANGS = {
    "de": ("de-DE", "de", "de"), "fr": ("fr-FR", "fr", "fr"), "es": ("es-ES", "es", "es"),
    "it": ("it-IT", "it", "it"), "pt": ("pt-BR", "pt", None), "ru": ("ru-RU", None, "ru"),
    "ja": ("ja-JP", "ja", "ja"), "zh": ("zh-CN", "zh-cn", "zh-cn"),
}
# Minimum size of a language's held-out set: 100k words, or 300k characters for Chinese/Japanese.
LANG_MIN_UNITS = {"ja": 300_000, "zh": 300_000}
LANG_MIN_DEFAULT = 100_000


def english_docs(pkg_root: Path, log) -> list[dict]:
    docs = []
    t = time.time()
    d = html_source(pkg_root, "python3.11-doc", PY_DOC, "en", exclude=PY_EXCLUDE)
    log(f"python3.11-doc: {len(d)} docs, {sum(units(x['text']) for x in d)} words ({time.time() - t:.1f}s)")
    docs += d
    t = time.time()
    d = austen_source(pkg_root)
    log(f"r-cran-janeaustenr: {len(d)} docs, {sum(units(x['text']) for x in d)} words ({time.time() - t:.1f}s)")
    docs += d
    t = time.time()
    d = sword_source(pkg_root, "sword-comm-mhcc", "comments/zcom/mhcc", False, "en")
    log(f"sword-comm-mhcc: {len(d)} docs, {sum(units(x['text']) for x in d)} words ({time.time() - t:.1f}s)")
    docs += d
    t = time.time()
    d = html_source(pkg_root, "debian-handbook", f"{HB_DOC}/en-US", "en", exclude=HB_EXCLUDE)
    log(f"debian-handbook (en-US): {len(d)} docs, {sum(units(x['text']) for x in d)} words ({time.time() - t:.1f}s)")
    docs += d
    t = time.time()
    files = sorted((pkg_root / "debian-reference-en" / REF_DIR).glob("*.en.html"))
    files = [f for f in files if not f.name.startswith("index.")]
    d = html_source(pkg_root, "debian-reference-en", REF_DIR, "en", files=files)
    log(f"debian-reference-en: {len(d)} docs, {sum(units(x['text']) for x in d)} words ({time.time() - t:.1f}s)")
    docs += d
    return docs


def language_docs(pkg_root: Path, lang: str, log) -> list[dict]:
    hb, ref, mg = LANGS[lang]
    docs = []
    if (pkg_root / "debian-handbook" / HB_DOC / hb).is_dir():
        docs += html_source(pkg_root, "debian-handbook", f"{HB_DOC}/{hb}", lang, exclude=HB_EXCLUDE)
    if ref:
        pkg = f"debian-reference-{ref}"
        files = sorted((pkg_root / pkg / REF_DIR).glob(f"*.{ref}.html"))
        files = [f for f in files if not f.name.startswith("index.")]
        if files:
            docs += html_source(pkg_root, pkg, REF_DIR, lang, files=files)
    if mg:
        pkg = f"maint-guide-{mg}"
        rel = f"usr/share/doc/{pkg}/html"
        files = sorted((pkg_root / pkg / rel).glob(f"*.{mg}.html"))
        files = [f for f in files if not f.name.startswith("index.")]
        if files:
            docs += html_source(pkg_root, pkg, rel, lang, files=files)
    by = {}
    for d in docs:
        k = d["source"].split("/", 1)[0]
        by[k] = by.get(k, 0) + units(d["text"])
    log(f"{lang}: {len(docs)} docs, {sum(by.values())} units " + str(by))
    return docs


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

LICENCES = {
    "python3.11-doc": "PSF License Agreement for Python 3.11 (documentation)",
    "r-cran-janeaustenr": "novels public domain (Project Gutenberg transcriptions); package MIT",
    "sword-comm-mhcc": "public domain (Matthew Henry's Concise Commentary, 1706/1710)",
    "debian-handbook": "GPL-2+ or CC-BY-SA-3.0",
    "debian-reference": "GPL-2+ (Debian Reference, Osamu Aoki)",
    "maint-guide": "GPL-2+ (Debian New Maintainers' Guide)",
    "libpython3.11-stdlib": "PSF License",
    "base-files": "licence texts, each verbatim-copyable under its own terms",
    "tzdata": "public domain",
}


def licence_of(pkg: str) -> str:
    for k, v in LICENCES.items():
        if pkg == k or pkg.startswith(k + "-"):
            return v
    return "see the package's copyright file"


def write_jsonl(path: Path, docs: list[dict]) -> tuple[int, int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "source": d["source"], "text": d["text"]},
                               ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return len(docs), sum(units(d["text"]) for d in docs)


def dedupe(docs: list[dict]) -> list[dict]:
    """Drop documents whose text already appeared (identical pages in two packages)."""
    seen, out = set(), []
    for d in docs:
        k = hashlib.sha256(d["text"].encode()).digest()
        if k not in seen:
            seen.add(k)
            out.append(d)
    return out


def read_manifest(path: Path | None) -> list[dict]:
    """packages.tsv written by fetch-corpus.sh: name, version, .deb size in bytes."""
    rows = []
    if path and path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                rows.append({"package": parts[0], "version": parts[1], "deb_bytes": int(parts[2])})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", required=True, type=Path,
                    help="folder holding one unpacked Debian package per sub-folder")
    ap.add_argument("--out", required=True, type=Path, help="corpus folder (written)")
    ap.add_argument("--manifest", type=Path, help="packages.tsv (name, version, size)")
    ap.add_argument("--small", action="store_true", help="only en-small/ (300 + 300 documents)")
    ap.add_argument("--small-n", type=int, default=300)
    args = ap.parse_args()
    t0 = time.time()

    def log(msg):
        print(f"make_corpus: {msg}", file=sys.stderr, flush=True)

    outputs: list[tuple[str, list[dict]]] = []
    en = dedupe(english_docs(args.packages, log))
    train = [d for d in en if not is_heldout(d["id"])]
    held = [d for d in en if is_heldout(d["id"])]
    if args.small:
        def pick(docs):
            keep = {d["id"] for d in sorted(docs, key=lambda d: h64(d["id"]))[:args.small_n]}
            return [d for d in docs if d["id"] in keep]
        outputs += [("en-small/train.jsonl", pick(train)), ("en-small/heldout.jsonl", pick(held))]
    else:
        outputs += [("en/train.jsonl", train), ("en/heldout.jsonl", held)]
        for lang in LANGS:
            outputs.append((f"{lang}/heldout.jsonl", dedupe(language_docs(args.packages, lang, log))))
        outputs.append(("code/heldout.jsonl", dedupe(code_sources(args.packages, log))))

    files = []
    for name, docs in outputs:
        n_docs, n_units = write_jsonl(args.out / name, docs)
        lang = name.split("/", 1)[0]
        by_source: dict[str, list[int]] = {}
        lens = sorted(units(d["text"]) for d in docs)
        for d in docs:
            pkg = d["source"].split("/", 1)[0]
            s = by_source.setdefault(pkg, [0, 0])
            s[0] += 1
            s[1] += units(d["text"])
        entry = {"file": name, "documents": n_docs, "units": n_units,
                 "unit": "characters+words" if lang in ("ja", "zh") else "words",
                 "doc_length_min_median_max": [lens[0], lens[len(lens) // 2], lens[-1]] if lens else [],
                 "by_source": {k: {"documents": v[0], "units": v[1], "licence": licence_of(k)}
                               for k, v in sorted(by_source.items())}}
        if lang in LANGS:
            entry["meets_minimum"] = n_units >= LANG_MIN_UNITS.get(lang, LANG_MIN_DEFAULT)
        files.append(entry)

    manifest = read_manifest(args.manifest)
    summary = {"recipe": RECIPE_VERSION, "small": args.small, "heldout_fraction": HELDOUT_FRACTION,
               "seconds": round(time.time() - t0, 1), "packages": manifest, "files": files}
    stats_name = "stats-small.json" if args.small else "stats.json"
    (args.out / stats_name).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    write_readme(args.out)

    width = max(len(f["file"]) for f in files)
    for f in files:
        unit = "units (CJK chars + words)" if f["unit"] != "words" else "words"
        flag = "" if f.get("meets_minimum", True) else "   (below the 100k-word / 300k-char target)"
        print(f"{f['file']:<{width}}  {f['documents']:6d} docs  {f['units']:9d} {unit}{flag}")
    return 0


README = """Human-text corpus for swift-watermark (calibration and null checks)
=================================================================

Made by Tools/fetch-corpus.sh (Tools/make_corpus.py) from Debian packages, offline, no
hand-edited text. Never commit it: it lives in this cache folder only.

Files (JSON Lines; one document per line: {{"id", "source", "text"}}; paragraphs separated by a
blank line; 150..1500 words a document, CJK counted per character):
  en/train.jsonl, en/heldout.jsonl   English prose; held-out = SHA-256 of the id's section
                                     (the part before '#') in the lowest 30% of the range.
  en-small/{{train,heldout}}.jsonl     --small: 300 + 300 documents of the same English sources,
                                     the lowest id hashes of each split.
  de fr es it pt ru ja zh/heldout.jsonl   other languages (held-out only).
  code/heldout.jsonl                 repetitive human text: Python sources, licence texts,
                                     changelogs, tab-separated tables (verbatim lines).
  stats.json / stats-small.json      counts per file and source, package versions, sizes.

Sources and licences
  python3.11-doc        The Python 3.11 documentation (HTML). PSF License Agreement.
  r-cran-janeaustenr    Jane Austen's six novels (public domain texts; package MIT).
  sword-comm-mhcc       Matthew Henry's Concise Commentary on the Whole Bible (public domain).
  debian-handbook       The Debian Administrator's Handbook, en-US and translations
                        (GPL-2+ or CC-BY-SA-3.0).
  debian-reference-*    Debian Reference (Osamu Aoki), English and translations (GPL-2+).
  maint-guide-*         Debian New Maintainers' Guide translations (GPL-2+).
  libpython3.11-stdlib  Python standard library sources (PSF License).
  base-files            /usr/share/common-licenses (each licence text under its own terms).
  tzdata                zone1970.tab, zone.tab, iso3166.tab, leapseconds (public domain).
  Debian changelogs of the packages above; CPython's changelog (python3.11-doc).

Counts
{counts}
"""


def write_readme(out: Path) -> None:
    lines = []
    for name in ("stats.json", "stats-small.json"):
        p = out / name
        if not p.is_file():
            continue
        s = json.loads(p.read_text(encoding="utf-8"))
        for f in s["files"]:
            srcs = ", ".join(f"{k} {v['units']}" for k, v in f["by_source"].items())
            lines.append(f"  {f['file']:<24} {f['documents']:6d} docs {f['units']:9d} {f['unit']}  ({srcs})")
        if s.get("packages"):
            lines.append("  packages: " + ", ".join(f"{r['package']} {r['version']}" for r in s["packages"]))
    (out / "README.txt").write_text(README.format(counts="\n".join(lines)), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
