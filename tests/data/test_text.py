"""deepgrad.datasets.text: the offline corpora, CharCorpus splits and vocabulary, words()."""

import os

import numpy as np
import pytest

from deepgrad.datasets.text import CORPORA, UNK, CharCorpus, load_text, words


def test_python_docs_is_the_stdlib_topics_text():
    from pydoc_data.topics import topics

    text = load_text("python-docs")
    assert len(text) > 200_000
    assert topics["assert"].strip("\n") in text
    # sorted topic order: the text is the same in every process
    assert text.index(topics["assert"].strip("\n")) < text.index(topics["with"].strip("\n"))
    assert text == load_text("python-docs")


@pytest.mark.skipif(not os.path.isdir("/usr/share/common-licenses"),
                    reason="no /usr/share/common-licenses here")
def test_licenses_corpus():
    text = load_text("licenses")
    assert "GNU GENERAL PUBLIC LICENSE" in text and len(text) > 50_000


def test_file_path_and_errors(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("héllo world\n", encoding="utf-8")
    assert load_text(path) == "héllo world\n"
    with pytest.raises(FileNotFoundError, match="neither a known corpus"):
        load_text(tmp_path / "missing.txt")
    assert set(CORPORA) >= {"python-docs", "licenses"}


def test_split_is_contiguous_and_vocab_from_train_only():
    text = "abcabcabca" * 18 + "xyz" * 4 + "zz"   # 180 + 12 + 2 = 194 characters
    corpus = CharCorpus("toy", text=text, split=(0.9, 0.05, 0.05))
    n_train, n_val = int(194 * 0.9), int(194 * 0.05)
    assert (len(corpus.train), len(corpus.val), len(corpus.test)) == (
        n_train, n_val, 194 - n_train - n_val)
    assert corpus.decode(corpus.train) == text[:n_train]
    assert corpus.chars == ["a", "b", "c", UNK]          # x, y, z only occur after training
    assert corpus.vocab_size == 4
    unk = corpus.stoi[UNK]
    assert (corpus.test == unk).all()
    assert corpus.encode("cab?").tolist() == [2, 0, 1, unk]
    assert corpus.train.dtype == np.int64
    assert corpus.decode(corpus.encode("abc")) == "abc"
    assert "194 characters, vocab 4" in repr(corpus)


def test_max_chars_split_validation_and_from_vocab():
    corpus = CharCorpus("python-docs", max_chars=1000)
    assert len(corpus.text) == 1000 and len(corpus.train) == 900
    with pytest.raises(ValueError, match="three fractions summing to 1"):
        CharCorpus("toy", text="abc", split=(0.5, 0.5))
    with pytest.raises(ValueError, match="no training text"):
        CharCorpus("toy", text="a")
    again = CharCorpus.from_vocab(corpus.chars)
    assert again.encode("The ").tolist() == corpus.encode("The ").tolist()


def test_words():
    assert words("Don't PANIC: 42 towels, the towel's!") == [
        "don't", "panic", "towels", "the", "towel's"]
    assert words("The End", lowercase=False) == ["The", "End"]
