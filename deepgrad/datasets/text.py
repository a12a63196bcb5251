"""English text for language models, available offline: a character corpus and word tokens.

Named corpora (``load_text(name)``; anything else is read as a UTF-8 file path):

* ``"python-docs"`` (the default, ~465 K characters with Python 3.11): the reference-manual
  topics that ship with every CPython in the standard library, ``pydoc_data.topics.topics``
  (what ``help('assert')`` prints) -- English prose about the language with some grammar and
  code. Joined in sorted topic order, so a given Python version always gives the same text.
  Licence: the Python Software Foundation License Version 2 (code examples also Zero-Clause
  BSD), like the rest of the Python documentation.
* ``"licenses"`` (~270 K characters): the licence texts Debian installs in
  ``/usr/share/common-licenses`` (GPL, LGPL, GFDL, Apache, MPL, Artistic, BSD, CC0), joined in
  sorted file order. Each may be copied verbatim (most say "Everyone is permitted to copy and
  distribute verbatim copies of this license document").

``CharCorpus`` cuts the text into contiguous train / validation / test parts (90/5/5 by
default: the end of the text is never seen in training) and builds the character vocabulary
from the training part only; a character first seen in validation or test maps to the unknown
symbol ``UNK`` (always the last index), as it would for new text at sampling time.
"""

import os
import re

import numpy as np

__all__ = ["CORPORA", "UNK", "load_text", "CharCorpus", "words"]

UNK = "\ufffd"  # the Unicode replacement character stands for any character not in the vocab

_LICENSES = "/usr/share/common-licenses"


def _python_docs():
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip("\n") for key in sorted(topics)) + "\n"


def _licenses():
    if not os.path.isdir(_LICENSES):
        raise FileNotFoundError(f"{_LICENSES} not found (Debian's base-files package installs "
                                f"it); use 'python-docs' or a file path instead")
    texts = []
    for name in sorted(os.listdir(_LICENSES)):
        path = os.path.join(_LICENSES, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                texts.append(f.read().strip("\n"))
    return "\n\n".join(texts) + "\n"


# name -> (loader, one-line description with source and licence)
CORPORA = {
    "python-docs": (_python_docs, "CPython's pydoc_data.topics (the reference-manual topics "
                                  "in the standard library; PSF License v2)"),
    "licenses": (_licenses, f"the licence texts in {_LICENSES} (Debian base-files; verbatim "
                            f"copying permitted)"),
}


def load_text(source="python-docs"):
    """The text of the named corpus in :data:`CORPORA`, or of the UTF-8 file at ``source``."""
    source = os.fspath(source)
    if source in CORPORA:
        return CORPORA[source][0]()
    if not os.path.isfile(source):
        raise FileNotFoundError(f"load_text: {source!r} is neither a known corpus "
                                f"({', '.join(CORPORA)}) nor a file")
    with open(source, encoding="utf-8", errors="replace") as f:
        return f.read()


class CharCorpus:
    """A text as character ids, split into contiguous train / val / test parts.

    Args:
        source: a corpus name (``"python-docs"``, ``"licenses"``) or a file path.
        text: the text itself (then ``source`` is only its label).
        split: fractions (train, val, test) summing to 1; each part is a contiguous slice.
        max_chars: keep only the first ``max_chars`` characters (quick runs).

    Attributes: ``text``, ``chars`` (the vocabulary: sorted characters of the training part,
    then :data:`UNK`), ``stoi``, ``vocab_size``, and ``train`` / ``val`` / ``test`` (int64
    arrays of ids).
    """

    def __init__(self, source="python-docs", text=None, split=(0.9, 0.05, 0.05), max_chars=None):
        if len(split) != 3 or min(split) < 0 or abs(sum(split) - 1) > 1e-9:
            raise ValueError(f"CharCorpus: split must be three fractions summing to 1, got "
                             f"{split}")
        self.source = os.fspath(source)
        text = load_text(source) if text is None else text
        if max_chars is not None:
            text = text[:int(max_chars)]
        n = len(text)
        n_train = int(n * split[0])
        n_val = int(n * split[1])
        if n_train < 2:
            raise ValueError(f"CharCorpus: {n} characters leave no training text")
        self.text = text
        parts = (text[:n_train], text[n_train:n_train + n_val], text[n_train + n_val:])
        chars = sorted(set(parts[0]) - {UNK})
        self.chars = chars + [UNK]
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.train, self.val, self.test = (self.encode(p) for p in parts)

    @classmethod
    def from_vocab(cls, chars):
        """A corpus object with only a vocabulary (to encode prompts for a saved model)."""
        corpus = cls.__new__(cls)
        corpus.source, corpus.text = None, ""
        corpus.chars = list(chars)
        corpus.stoi = {c: i for i, c in enumerate(corpus.chars)}
        corpus.train = corpus.val = corpus.test = np.zeros(0, dtype=np.int64)
        return corpus

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        """Character ids (int64); characters not in the vocabulary become :data:`UNK`'s id."""
        unk = self.stoi[UNK]
        return np.fromiter((self.stoi.get(c, unk) for c in text), dtype=np.int64,
                           count=len(text))

    def decode(self, ids):
        """The string of ``ids`` (any iterable of ints, a NumPy array or a Tensor)."""
        ids = np.asarray(getattr(ids, "_data", ids)).reshape(-1)
        return "".join(self.chars[int(i)] for i in ids)

    def __repr__(self):
        return (f"CharCorpus({self.source!r}: {len(self.text):,} characters, vocab "
                f"{self.vocab_size}, train/val/test {len(self.train):,}/{len(self.val):,}/"
                f"{len(self.test):,})")


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?", re.IGNORECASE)


def words(text, lowercase=True):
    """The word tokens of ``text``: runs of letters (with an inner apostrophe, e.g. "don't"),
    lowercased by default -- punctuation, digits and symbols are dropped."""
    return _WORD.findall(text.lower() if lowercase else text)
