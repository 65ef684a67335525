"""core.generators.lstm.corpus: tokens that rebuild the text, the held-out tail, the vocabulary, labels,
and the unigram baseline computed here from the raw text."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch
from lstm_fixtures import TINY

from core.data.text_io import TextExample
from core.errors import ConfigError
from core.generators.lstm import (
    EOL,
    UNK,
    LSTMConfig,
    LSTMTrainer,
    build_corpus,
    label_token,
    suggested_conditional,
    tokenize,
)


@pytest.mark.parametrize(
    "text",
    [
        "Hello, world!  Two spaces.",  # punctuation and a double space
        " leading space and trailing ",  # spaces at the ends
        "tab\there, new\nline, don't stop",  # other whitespace, an apostrophe
        "naïve café — 3.14",  # non-ASCII letters and a dash
    ],
)
def test_word_tokens_rebuild_the_text(text):
    assert "".join(tokenize(text, "word")) == text
    assert "".join(tokenize(text, "char")) == text


def test_corpus_split_and_vocabulary(prose):
    corpus = build_corpus(prose, TINY)
    total = sum(len(ex.text) + 1 for ex in prose)  # each line and its line end
    n_train, n_val = corpus.train_ids.numel(), corpus.val_ids.numel()
    assert n_train + n_val == total
    assert n_val == total - round(total * 0.9)
    assert corpus.train_ids.dtype == torch.int64 and corpus.val_ids.dtype == torch.int64
    # The tail is held out: the validation ids spell the end of the text.
    tail = "".join(ex.text + "\n" for ex in prose)[-n_val:]
    assert corpus.vocab.decode(corpus.val_ids.tolist()) == "".join(
        c if c in corpus.vocab.index or c == "\n" else UNK for c in tail
    )
    # Sorted and deterministic: specials first, then the training characters in order.
    train_text = "".join(ex.text + "\n" for ex in prose)[:n_train]
    assert corpus.vocab.tokens == [EOL, UNK, *sorted(set(train_text) - {"\n"})]
    assert build_corpus(prose, TINY).vocab.tokens == corpus.vocab.tokens
    assert prose[0].text.strip() in corpus.train_lines and prose[-1].text.strip() not in corpus.train_lines


def test_conditional_corpus_has_label_tokens(reviews):
    config = LSTMConfig.dry_run(conditional=True)
    corpus = build_corpus(reviews, config)
    assert corpus.labels == ["negative", "positive"]
    assert corpus.vocab.tokens[:4] == [EOL, UNK, label_token("negative"), label_token("positive")]
    first = reviews[0]
    assert corpus.train_ids[0].item() == corpus.vocab.index[label_token(first.label)]


def test_conditional_needs_labels(prose):
    with pytest.raises(ConfigError, match=r"300 of 300 have none \(first: sentence 0\)"):
        build_corpus(prose, LSTMConfig.dry_run(conditional=True))


def test_too_little_text_is_refused():
    with pytest.raises(ConfigError, match="add text"):
        build_corpus([TextExample("a")], TINY)
    with pytest.raises(ConfigError, match="no text"):
        build_corpus([], TINY)


def test_unigram_baseline_from_character_counts(prose):
    """Computed here from the raw text: add-one smoothed train character frequencies."""
    corpus = build_corpus(prose, TINY)
    text = "".join(ex.text + "\n" for ex in prose)
    split = round(len(text) * 0.9)
    train, val = text[:split], text[split:]
    counts = Counter(train)
    vocab = set(train) | {"\n", "<unk>"}  # "\n" is the line-end token
    total = len(train) + len(vocab)
    bits = 0.0
    for c in val:
        key = c if c in counts else "<unk>"
        bits -= math.log2((counts.get(key, 0) + 1) / total)
    expected = bits / len(val)
    assert corpus.unigram_bpc() == pytest.approx(expected, rel=1e-9)
    assert LSTMTrainer(corpus, TINY).unigram_bpc == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["a", "b", "a"], True),  # every line labelled, two labels
        (["a", "a"], False),  # one label: nothing to choose between
        (["a", None, "b"], False),  # one line unlabelled: a conditional corpus would refuse it
        ([], False),  # no text
    ],
)
def test_suggested_conditional(labels, expected):
    assert suggested_conditional([TextExample("x", label) for label in labels]) is expected
