"""The LSTM's text: tokens, the vocabulary, and the encoded training and validation streams.

- :func:`tokenize`: one example into character or word tokens (joining them gives the text back);
- :class:`Vocab`: tokens <-> ids, and ids back into text;
- :func:`build_corpus`: examples -> a sorted vocabulary and encoded training and validation ids (the
  *tail* of the text is held out, so validation measures how well the model writes text it never saw).

Units: every token stands for a number of characters of text, so losses can be reported in bits per
character (see :mod:`core.generators.lstm`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from core.data.text_io import TextExample
from core.errors import ConfigError

EOL = "<eol>"  # line end: closes every example; also the start-of-line context for sampling
UNK = "<unk>"  # a token seen only outside the training split, or beyond the word vocabulary
UNK_SPACE = " <unk>"  # word level: an unknown word that followed a space
LABEL_PREFIX = "<label:"  # label tokens are "<label:positive>"
LEVELS = ("char", "word")

# Word level: a word with the one space before it, a punctuation mark with the one space before it,
# or any other whitespace character on its own. Joining the tokens gives the text back exactly.
_WORD_TOKEN = re.compile(r" ?\w+| ?[^\w\s]|\s", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters: what "a word" means for the known-word share


class CorpusSettings(Protocol):
    """What :func:`build_corpus` reads of an :class:`~core.generators.lstm.model.LSTMConfig`."""

    level: str
    max_vocab: int
    val_fraction: float
    conditional: bool


# --------------------------------------------------------------------------------------------------
# Vocabulary and corpus


def tokenize(text: str, level: str) -> list[str]:
    """Split one example into tokens; ``"".join(tokenize(t, level)) == t`` for both levels.

    Args:
        text: The example's text.
        level: "char": one token per character; "word": a word or punctuation mark with the single
            space before it (``" ?\\w+"``, ``" ?[^\\w\\s]"``), any other whitespace character alone.
    """
    if level == "char":
        return list(text)
    return _WORD_TOKEN.findall(text)


def label_token(label: str) -> str:
    """The vocabulary entry of a label, e.g. ``"<label:positive>"``."""
    return f"{LABEL_PREFIX}{label}>"


def words_of(text: str) -> list[str]:
    """The words of ``text`` (runs of letters, case-folded), e.g. ``"Don't 3x"`` -> ``["don", "t", "x"]``."""
    return [word.casefold() for word in _WORD.findall(text)]


def line_hash(line: str) -> str:
    """A short digest of a stripped line; checkpoints keep these (not the text) for novelty."""
    return hashlib.sha256(line.strip().encode("utf-8")).hexdigest()[:16]


class Vocab:
    """Tokens <-> ids, and how to turn ids back into text.

    The order is: ``<eol>``, ``<unk>``, (word level) ``" <unk>"``, the label tokens in sorted label
    order, then the text tokens sorted by their Python string order. Same data, same vocabulary.
    """

    def __init__(self, tokens: Sequence[str], level: str, labels: Sequence[str]) -> None:
        self.level = level
        self.labels = list(labels)
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ConfigError("The vocabulary lists a token twice.")
        for special in self.specials(level, labels):
            if special not in self.index:
                raise ConfigError(f"The vocabulary lacks the special token {special!r}.")
        self.eol = self.index[EOL]
        self.unk = self.index[UNK]
        self.unk_space = self.index.get(UNK_SPACE, self.unk)
        self.label_ids = {label: self.index[label_token(label)] for label in self.labels}

    @staticmethod
    def specials(level: str, labels: Sequence[str]) -> list[str]:
        """The special tokens, in vocabulary order."""
        return (
            [EOL, UNK] + ([UNK_SPACE] if level == "word" else []) + [label_token(x) for x in sorted(labels)]
        )

    @classmethod
    def build(cls, token_counts: Counter[str], level: str, labels: Sequence[str], max_vocab: int) -> Vocab:
        """The vocabulary of training-split tokens (word level: the ``max_vocab`` most frequent)."""
        specials = cls.specials(level, labels)
        kept = [t for t in token_counts if t not in specials]
        if level == "word":
            kept = sorted(kept, key=lambda t: (-token_counts[t], t))[:max_vocab]
        return cls(specials + sorted(kept), level, sorted(labels))

    def __len__(self) -> int:
        return len(self.tokens)

    def encode_text(self, text: str) -> tuple[list[int], list[int]]:
        """Ids of a text's tokens and the characters each stands for (unknown ones included)."""
        ids, chars = [], []
        for token in tokenize(text, self.level):
            i = self.index.get(token)
            if i is None:
                i = self.unk_space if token.startswith(" ") else self.unk
            ids.append(i)
            chars.append(len(token))
        return ids, chars

    def unknown(self, text: str) -> list[str]:
        """The distinct tokens of ``text`` that are not in the vocabulary, in order of appearance."""
        return list(dict.fromkeys(t for t in tokenize(text, self.level) if t not in self.index))

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids: label tokens vanish, ``<eol>`` becomes a newline, unknowns stay visible."""
        out = []
        for i in ids:
            token = self.tokens[i]
            if i == self.eol:
                out.append("\n")
            elif token.startswith(LABEL_PREFIX) and i in self.label_ids.values():
                continue
            else:
                out.append(token)
        return "".join(out)


@dataclass(frozen=True)
class Corpus:
    """Encoded text ready for training.

    Attributes:
        vocab: The vocabulary (built from the training split only).
        labels: Sorted distinct labels (empty unless conditional).
        conditional: Whether each example starts with its label token.
        level: "char" or "word".
        val_fraction: Share of tokens held out at the end.
        train_ids: int64 ids of the training split, shape (N,).
        train_chars: int32 characters each training token stands for, shape (N,).
        val_ids: int64 ids of the held-out tail, shape (M,).
        val_chars: int32 characters each validation token stands for, shape (M,).
        train_lines: Stripped, non-empty texts of the examples that start in the training split.
        train_words: The words (:func:`words_of`) of those examples.
    """

    vocab: Vocab
    labels: list[str]
    conditional: bool
    level: str
    val_fraction: float
    train_ids: torch.Tensor
    train_chars: torch.Tensor
    val_ids: torch.Tensor
    val_chars: torch.Tensor
    train_lines: frozenset[str]
    train_words: frozenset[str] = frozenset()

    def unigram_bpc(self) -> float:
        """Bits per character of the validation tail under a unigram model of the training tokens.

        ``p(t) = (count_train(t) + 1) / (N_train + V)`` over the whole vocabulary (add-one smoothing,
        ``<eol>`` and label tokens counted like any token); bits of every validation token divided by
        the characters they stand for.
        """
        counts = torch.bincount(self.train_ids, minlength=len(self.vocab)).double() + 1.0
        log_p = torch.log2(counts / counts.sum())
        bits = -log_p[self.val_ids].sum().item()
        return bits / max(1, int(self.val_chars.sum()))


def suggested_conditional(examples: Sequence[TextExample]) -> bool:
    """Whether to condition on labels by default: every example labelled, with 2 labels or more."""
    labels = {ex.label for ex in examples}
    return bool(examples) and None not in labels and len(labels) >= 2


def build_corpus(examples: Sequence[TextExample], config: CorpusSettings) -> Corpus:
    """Encode examples as one stream: each example's tokens then ``<eol>``; the tail is held out.

    1. Each example becomes (label token when ``config.conditional``) + its tokens + ``<eol>``.
    2. The stream is cut at ``round(len * (1 - val_fraction))`` tokens: the tail is the validation split.
    3. The vocabulary is built from the training split only (word level: the ``max_vocab`` most frequent
       words); validation tokens outside it become ``<unk>``.

    Args:
        examples: The texts, in order (the last ones end up in the validation tail).
        config: Uses ``level``, ``max_vocab``, ``val_fraction`` and ``conditional``.

    Returns:
        The :class:`Corpus`.

    Raises:
        ConfigError: No text; conditional with unlabelled examples; too little text for a training
            window or for validation.
    """
    if not examples:
        raise ConfigError("There is no text to train on; load a dataset with at least a few lines.")
    labels: list[str] = []
    if config.conditional:
        unlabelled = [ex for ex in examples if ex.label is None]
        if unlabelled:
            first = unlabelled[0].origin or repr(unlabelled[0].text[:40])
            raise ConfigError(
                f"A label-conditional model needs a label on every example, but {len(unlabelled):,} of "
                f"{len(examples):,} have none (first: {first}); "
                "choose a label column, drop the unlabelled rows, or turn conditioning off."
            )
        labels = sorted({str(ex.label) for ex in examples})

    # 1. Token strings of the whole stream, and where each example starts.
    tokens: list[str] = []
    starts: list[int] = []
    for ex in examples:
        starts.append(len(tokens))
        if config.conditional:
            tokens.append(label_token(str(ex.label)))
        tokens.extend(tokenize(ex.text, config.level))
        tokens.append(EOL)
    # 2. The held-out tail.
    split = round(len(tokens) * (1.0 - config.val_fraction))
    if split < 3 or len(tokens) - split < 2:
        raise ConfigError(
            f"The text has only {len(tokens):,} tokens; with {config.val_fraction:.0%} held out for "
            "validation there is too little for training or validation; add text."
        )
    # 3. Vocabulary from the training split, then ids and character counts.
    vocab = Vocab.build(Counter(tokens[:split]), config.level, labels, config.max_vocab)
    specials = set(Vocab.specials(config.level, labels))
    ids, chars = [], []
    for token in tokens:
        i = vocab.index.get(token)
        if i is None:
            i = vocab.unk_space if token.startswith(" ") else vocab.unk
        ids.append(i)
        chars.append(1 if token == EOL else 0 if token in specials else len(token))
    train_lines = frozenset(
        ex.text.strip()
        for ex, start in zip(examples, starts, strict=True)
        if start < split and ex.text.strip()
    )
    train_words = frozenset(word for line in train_lines for word in words_of(line))
    id_tensor = torch.tensor(ids, dtype=torch.int64)
    char_tensor = torch.tensor(chars, dtype=torch.int32)
    return Corpus(
        vocab=vocab,
        labels=labels,
        conditional=config.conditional,
        level=config.level,
        val_fraction=config.val_fraction,
        train_ids=id_tensor[:split].clone(),
        train_chars=char_tensor[:split].clone(),
        val_ids=id_tensor[split:].clone(),
        val_chars=char_tensor[split:].clone(),
        train_lines=train_lines,
        train_words=train_words,
    )
