"""Deterministic, offline text sources built from the running Python's standard library.

Used by gen_tokenizer_vectors.py (test corpus) and bench_tokenizers.py (benchmark corpus).
Everything here is a pure function of the Python version (stdlib docstrings, pydoc topics and
module sources) and of fixed RNG seeds, so no network is needed.  Another Python version gives
other (equally valid) texts; the committed vectors store the texts themselves.
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
import warnings

# A fixed list, so that the order (and so the corpus) does not depend on sys.modules.
STDLIB_MODULES = [
    "abc", "argparse", "ast", "asyncio", "base64", "bisect", "calendar", "cmd", "codecs",
    "collections", "colorsys", "configparser", "contextlib", "copy", "csv", "dataclasses",
    "datetime", "decimal", "difflib", "dis", "doctest", "email", "email.message",
    "email.utils", "enum", "filecmp", "fnmatch", "fractions", "ftplib", "functools", "getopt",
    "gettext", "glob", "gzip", "hashlib", "heapq", "hmac", "html", "html.parser",
    "http.client", "http.cookies", "http.server", "imaplib", "inspect", "io", "ipaddress",
    "itertools", "json", "json.decoder", "json.encoder", "locale", "logging",
    "logging.handlers", "lzma", "mailbox", "mimetypes", "operator", "optparse", "os",
    "pathlib", "pdb", "pickle", "pickletools", "platform", "plistlib", "poplib", "pprint",
    "pydoc", "queue", "quopri", "random", "re", "reprlib", "sched", "secrets", "selectors",
    "shelve", "shlex", "shutil", "smtplib", "socket", "socketserver", "sqlite3", "ssl",
    "statistics", "string", "struct", "subprocess", "symtable", "tarfile", "tempfile",
    "textwrap", "threading", "timeit", "tokenize", "trace", "traceback", "turtle", "typing",
    "unittest", "unittest.mock", "urllib.parse", "urllib.request", "uuid", "warnings",
    "wave", "weakref", "webbrowser", "xml.dom.minidom", "xml.etree.ElementTree",
    "xml.sax", "zipfile", "zipimport",
]


def _modules():
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in STDLIB_MODULES:
            try:
                out.append(importlib.import_module(name))
            except Exception:  # e.g. turtle without tkinter
                continue
    return out


def docstrings() -> list[str]:
    """Module, class and function docstrings of the fixed stdlib module list, in a fixed order."""
    seen = set()
    docs = []
    for mod in _modules():
        objs = [mod]
        for name in sorted(vars(mod)):
            obj = getattr(mod, name, None)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if getattr(obj, "__module__", None) == mod.__name__:
                    objs.append(obj)
                    if inspect.isclass(obj):
                        for mname in sorted(vars(obj)):
                            m = vars(obj)[mname]
                            if inspect.isfunction(m):
                                objs.append(m)
        for o in objs:
            d = inspect.getdoc(o)
            if d and len(d) > 40 and d not in seen:
                seen.add(d)
                docs.append(d)
    return docs


def pydoc_topics() -> list[str]:
    """The language reference texts that `help('TOPIC')` shows (pydoc_data.topics)."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return []
    return [topics[k] for k in sorted(topics)]


def sources() -> list[tuple[str, str]]:
    """(module name, source text) for the fixed module list."""
    out = []
    for mod in _modules():
        try:
            out.append((mod.__name__, inspect.getsource(mod)))
        except (OSError, TypeError):
            continue
    return out


def paragraphs(texts) -> list[str]:
    """Split texts into paragraphs (blank-line separated), dropping tiny ones."""
    out = []
    for t in texts:
        for p in re.split(r"\n\s*\n", t):
            p = p.strip("\n")
            if len(p) >= 30:
                out.append(p)
    return out


def python_version_tag() -> str:
    return "%d.%d.%d" % sys.version_info[:3]
