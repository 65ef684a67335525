"""A character- or word-level LSTM language model that writes new lines of text like the training ones.

Three parts, in the nanoGPT / pytorch-examples shape:

- :class:`LSTMConfig`, a frozen dataclass with a comment per default;
- :func:`build_corpus`: examples -> a sorted vocabulary and encoded training and validation ids (the
  *tail* of the text is held out, so validation measures how well the model writes text it never saw);
- :class:`LSTMModel` (embedding -> stacked LSTM -> linear, with :meth:`LSTMModel.generate`) and
  :class:`LSTMTrainer`, which implements :class:`core.generators.engine.Trainer` and saves checkpoints in the
  :mod:`core.generators.checkpoint` format.

No I/O happens here. Randomness never touches torch's global generator (Streamlit serves sessions as
threads of one process): weight initialisation, batch windows, dropout masks and sampling each draw from
their own ``torch.Generator`` seeded from ``(config.seed, stream)``.

Units: losses are reported in **bits per character** (bpc): the summed cross-entropy of the predicted
tokens in bits (nats / ln 2) divided by the number of characters of text those tokens stand for. A
character token stands for 1 character, the line-end token for 1 (the newline), a label token for 0,
a word-level token for its own length (``" the"`` is 4: the space it carries is text) and an unknown
token for the length of the text it replaced. At character level without labels this is exactly bits
per token.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core.config import from_mapping
from core.data.text_io import TextExample
from core.errors import ConfigError
from core.generators.checkpoint import FORMAT_VERSION, CheckpointError
from core.generators.engine import pick_device

EOL = "<eol>"  # line end: closes every example; also the start-of-line context for sampling
UNK = "<unk>"  # a token seen only outside the training split, or beyond the word vocabulary
UNK_SPACE = " <unk>"  # word level: an unknown word that followed a space
LABEL_PREFIX = "<label:"  # label tokens are "<label:positive>"
LEVELS = ("char", "word")

# Word level: a word with the one space before it, a punctuation mark with the one space before it,
# or any other whitespace character on its own. Joining the tokens gives the text back exactly.
_WORD_TOKEN = re.compile(r" ?\w+| ?[^\w\s]|\s", re.UNICODE)

# Generator streams derived from the config seed (one per kind of random choice).
_STREAM_INIT, _STREAM_BATCH, _STREAM_DROPOUT, _STREAM_PREVIEW, _STREAM_SAMPLE = range(5)

_VAL_STREAMS = 64  # the validation tail is cut into this many parallel streams ...
_VAL_CHUNK = 256  # ... read this many tokens at a time, the LSTM state carried between chunks
_PREVIEW_LEN = {"char": 60, "word": 15}  # tokens per preview sample


@dataclass(frozen=True)
class LSTMConfig:
    """Everything that defines a model and its training. Defaults are tuned for 2 CPU cores.

    Measured on CPython's ``pydoc_data.topics`` text (465k characters, 10% tail held out): the defaults
    reached 1.83 bits per character of validation text after 60 s on one busy core (468 steps); see
    bench/bench_lstm.py. Measured at 60 s: seq_len 64 + lr 5e-3 beat seq_len 128 + lr 3e-3, and 2x256
    beat 1x512 (1.86).
    """

    level: str = "char"  # "char" (small corpora) or "word" (larger corpora)
    max_vocab: int = 10_000  # word level: the most frequent words of the training split kept, rest -> <unk>
    embedding_dim: int = 64  # size of each token's embedding vector
    hidden_size: int = 256  # units per LSTM layer
    num_layers: int = 2  # stacked LSTM layers
    dropout: float = 0.0  # on the embeddings, between layers and before the output; 0 learns fastest
    seq_len: int = 64  # tokens per training window (backpropagation through time); 64 beat 128 in 60 s
    batch_size: int = 32  # windows per step, drawn at random positions of the training split
    lr: float = 5e-3  # Adam's learning rate; high for an LSTM, fine with clipping, fast on short budgets
    lr_decay_steps: int = 0  # steps over which the LR falls linearly to 10% (0 keeps it constant)
    grad_clip: float = 1.0  # gradient norm limit (0 disables clipping)
    val_fraction: float = 0.1  # share of the tokens at the END of the corpus held out for validation
    val_every: int = 200  # steps between validation passes (each reads the whole tail): ~3% of the time
    conditional: bool = False  # prefix each line with a label token, so generated lines carry labels
    seed: int = 0  # every random choice (init, batches, dropout, previews) derives from it

    def __post_init__(self) -> None:
        def whole(name: str, low: int, high: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}.")

        def number(name: str, low: float, high: float, low_open: bool = False) -> None:
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or not (low < value if low_open else low <= value) or value > high:
                bound = f"above {low:g}" if low_open else f"from {low:g}"
                raise ConfigError(f"{name} must be a number {bound} up to {high:g}, got {value!r}.")

        if self.level not in LEVELS:
            raise ConfigError(f"level must be 'char' or 'word', got {self.level!r}.")
        whole("max_vocab", 10, 200_000)
        whole("embedding_dim", 1, 4096)
        whole("hidden_size", 1, 8192)
        whole("num_layers", 1, 8)
        number("dropout", 0.0, 0.9)
        whole("seq_len", 2, 4096)
        whole("batch_size", 1, 4096)
        number("lr", 0.0, 1.0, low_open=True)
        whole("lr_decay_steps", 0, 10**9)
        number("grad_clip", 0.0, 1e6)
        number("val_fraction", 0.0, 0.5, low_open=True)
        whole("val_every", 1, 10**9)
        if not isinstance(self.conditional, bool):
            raise ConfigError(f"conditional must be true or false, got {self.conditional!r}.")
        whole("seed", 0, 2**63 - 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (str, int, float, bool values only)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LSTMConfig:
        """The config back from :meth:`to_dict`; unknown keys are refused, missing ones take defaults.

        Raises:
            ConfigError: Not a dict, an unknown key, or a value out of range.
        """
        return from_mapping(cls, values, "LSTM configuration")

    @classmethod
    def dry_run(cls, **changes: Any) -> LSTMConfig:
        """A tiny configuration that trains in milliseconds per step, for tests and smoke checks."""
        values = dict(embedding_dim=8, hidden_size=16, num_layers=2, seq_len=16, batch_size=4, val_every=5)
        values.update(changes)
        return cls(**values)


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


def _line_hash(line: str) -> str:
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


def build_corpus(examples: Sequence[TextExample], config: LSTMConfig) -> Corpus:
    """Encode examples as one stream: each example's tokens then ``<eol>``; the tail is held out.

    1. Each example becomes (label token when ``config.conditional``) + its tokens + ``<eol>``.
    2. The stream is cut at ``round(len * (1 - val_fraction))`` tokens: the tail is the validation split.
    3. The vocabulary is built from the training split only (word level: the ``max_vocab`` most frequent
       words); validation tokens outside it become ``<unk>``.

    Args:
        examples: The texts, in order (the last ones end up in the validation tail).
        config: Uses ``level``, ``max_vocab``, ``val_fraction``, ``conditional`` and ``seq_len``.

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
    )


# --------------------------------------------------------------------------------------------------
# Model


def payload_digest(payload: dict[str, Any]) -> str:
    """sha256 over a checkpoint's entries (except ``"digest"``): tensors by dtype, shape and bytes.

    torch's zip reader does not notice changed tensor bytes, so :meth:`LSTMTrainer.checkpoint` stores
    this digest and :meth:`LSTMTrainer.from_checkpoint` refuses a file whose content no longer matches.
    """
    h = hashlib.sha256()

    def feed(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
            h.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        elif isinstance(value, dict):
            h.update(f"D{len(value)}".encode())
            for key in sorted(value, key=repr):
                h.update(repr(key).encode("utf-8"))
                feed(value[key])
        elif isinstance(value, (list, tuple)):
            h.update(f"L{len(value)}".encode())
            for item in value:
                feed(item)
        else:
            h.update(f"V{value!r}".encode())

    feed({k: v for k, v in payload.items() if k != "digest"})
    return h.hexdigest()


def make_generator(seed: int, stream: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator seeded from ``(seed, stream)``; streams keep kinds of random choice independent."""
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + stream * 7_919 + 12_345) % (2**63 - 1))
    return generator


def _dropout(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout with a mask from ``generator`` (never the global RNG); identity without one."""
    if generator is None or p <= 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return x * keep / (1.0 - p)


class LSTMModel(nn.Module):
    """Embedding -> ``num_layers`` single-layer LSTMs -> linear head over the vocabulary.

    The layers are separate ``nn.LSTM`` modules rather than one multi-layer module so that dropout
    between them can draw its masks from a generator: ``nn.LSTM(dropout=...)`` and ``nn.Dropout`` use
    torch's global RNG, which this app never touches. Dropout is applied only when :meth:`forward` is
    given a generator, so the module has no train/eval mode to get wrong.
    """

    def __init__(self, vocab_size: int, config: LSTMConfig, generator: torch.Generator | None = None) -> None:
        """
        Args:
            vocab_size: Number of tokens.
            config: Sizes and dropout.
            generator: Draws the initial weights; default: one from ``(config.seed, init stream)``.
        """
        super().__init__()
        self.config = config
        self.vocab_size = vocab_size
        e, h = config.embedding_dim, config.hidden_size
        # Built on the meta device: nn modules initialise themselves from the global RNG, which must
        # stay untouched; real storage comes next and every parameter is drawn from our generator.
        self.embedding = nn.Embedding(vocab_size, e, device="meta")
        self.layers = nn.ModuleList(
            nn.LSTM(e if i == 0 else h, h, batch_first=True, device="meta") for i in range(config.num_layers)
        )
        self.head = nn.Linear(h, vocab_size, device="meta")
        self.to_empty(device="cpu")
        self.reset_parameters(generator or make_generator(config.seed, _STREAM_INIT))

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """PyTorch's default ranges, drawn from ``generator``; LSTM forget-gate biases start at 1."""
        nn.init.normal_(self.embedding.weight, 0.0, 1.0, generator=generator)
        h = self.config.hidden_size
        for layer in self.layers:
            bound = 1.0 / math.sqrt(h)
            for name, p in layer.named_parameters():
                nn.init.uniform_(p, -bound, bound, generator=generator)
                if name.startswith("bias_ih"):
                    p[h : 2 * h] = 1.0  # gates are ordered input, forget, cell, output
                elif name.startswith("bias_hh"):
                    p[h : 2 * h] = 0.0
        bound = 1.0 / math.sqrt(h)
        nn.init.uniform_(self.head.weight, -bound, bound, generator=generator)
        nn.init.uniform_(self.head.bias, -bound, bound, generator=generator)

    def forward(
        self,
        ids: torch.Tensor,
        state: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
        dropout_generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Next-token logits.

        Args:
            ids: int64 token ids, shape (batch, time).
            state: Per layer ``(h, c)``, each (1, batch, hidden_size), or None for zeros.
            dropout_generator: Draws the dropout masks; None (sampling, validation) means no dropout.

        Returns:
            Logits of shape (batch, time, vocab_size) and the new per-layer state.
        """
        p = self.config.dropout
        x = _dropout(self.embedding(ids), p, dropout_generator)
        new_state = []
        for i, layer in enumerate(self.layers):
            x, layer_state = layer(x, None if state is None else state[i])
            x = _dropout(x, p, dropout_generator)
            new_state.append(layer_state)
        return self.head(x), new_state

    @torch.no_grad()
    def generate(
        self,
        prompt_ids: torch.Tensor,
        max_len: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        stop_id: int | None = None,
        allowed: Sequence[int] | None = None,
    ) -> torch.Tensor:
        """Sample continuations of a batch of prompts.

        Args:
            prompt_ids: int64 ids, shape (batch, time) with time >= 1 (all rows the same length).
            max_len: Tokens to sample per row.
            temperature: Logits are divided by it (> 0; lower is more conservative).
            top_k: Sample among the k most likely tokens only; None for all.
            generator: The source of randomness (on the model's device); required for reproducibility.
            stop_id: Stop early once every row has produced this token.
            allowed: Only these token ids may be sampled (e.g. the label tokens).

        Returns:
            int64 ids of shape (batch, <= max_len); after a row's ``stop_id`` its tokens are meaningless.
        """
        logits, state = self(prompt_ids)
        last = logits[:, -1]
        mask = None
        if allowed is not None:
            mask = torch.full((self.vocab_size,), float("-inf"), device=last.device)
            mask[list(allowed)] = 0.0
        out = []
        done = torch.zeros(prompt_ids.shape[0], dtype=torch.bool, device=prompt_ids.device)
        for _ in range(max_len):
            scaled = last.float() / temperature
            if mask is not None:
                scaled = scaled + mask
            if top_k is not None and top_k < scaled.shape[-1]:
                kth = torch.topk(scaled, top_k, dim=-1).values[:, -1:]
                scaled = scaled.masked_fill(scaled < kth, float("-inf"))
            probs = torch.softmax(scaled, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator)
            out.append(nxt)
            if stop_id is not None:
                done |= nxt[:, 0] == stop_id
                if bool(done.all()):
                    break
            logits, state = self(nxt, state)
            last = logits[:, -1]
        return torch.cat(out, dim=1)


def stream_bits(
    forward: Any,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    streams: int = _VAL_STREAMS,
    chunk: int = _VAL_CHUNK,
) -> float:
    """Summed cross-entropy in bits of ``targets`` given ``inputs``, read as parallel streams.

    The sequence is cut into ``streams`` contiguous pieces read side by side, ``chunk`` tokens at a time,
    the recurrent state carried from chunk to chunk (each piece starts from a zero state). Deterministic.

    Args:
        forward: ``forward(ids (B, T), state) -> (logits (B, T, V), state)``.
        inputs: int64 ids, shape (M,); ``inputs[i]`` is the token before ``targets[i]``.
        targets: int64 ids, shape (M,).
        streams: Pieces read in parallel.
        chunk: Tokens per forward call.

    Returns:
        Bits (a float).
    """
    m = targets.numel()
    streams = max(1, min(streams, m))
    length = -(-m // streams)
    pad = streams * length - m
    x = torch.cat([inputs, inputs.new_zeros(pad)]).view(streams, length)
    y = torch.cat([targets, targets.new_full((pad,), -100)]).view(streams, length)
    state, nats = None, 0.0
    with torch.no_grad():
        for start in range(0, length, chunk):
            logits, state = forward(x[:, start : start + chunk], state)
            nats += F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).float(),
                y[:, start : start + chunk].reshape(-1),
                reduction="sum",
            ).item()
    return nats / math.log(2)


# --------------------------------------------------------------------------------------------------
# Trainer


class LSTMTrainer:
    """Trains an :class:`LSTMModel` on a :class:`Corpus`; implements :class:`core.generators.engine.Trainer`.

    Thread safety: ``step``, ``validate``, ``preview``, ``sample``, ``state`` and ``checkpoint`` hold
    one lock, so a page may sample while the engine's worker thread trains.

    Attributes:
        config: The configuration.
        vocab: The vocabulary.
        labels: Sorted labels (empty unless conditional).
        steps_done: Optimisation steps taken.
        unigram_bpc: The unigram baseline's bits per character on the validation tail.
        last_val_bpc: The latest validation figure, or None.
    """

    def __init__(
        self,
        corpus: Corpus | None,
        config: LSTMConfig,
        device: torch.device | str | None = None,
        *,
        _vocab: Vocab | None = None,
    ) -> None:
        """
        Args:
            corpus: From :func:`build_corpus` with the same config; None only via :meth:`from_checkpoint`.
            config: The configuration.
            device: Where the model lives; default CUDA when a GPU is visible, else the CPU.

        Raises:
            ConfigError: The corpus was built with other data settings, or its training split is
                shorter than one window.
        """
        self.config = config
        self.device = torch.device(device) if device is not None else pick_device()
        self.corpus = corpus
        if corpus is not None:
            built = (corpus.level, corpus.conditional, corpus.val_fraction)
            if built != (config.level, config.conditional, config.val_fraction):
                raise ConfigError(
                    "The corpus was built with other settings (level, conditional, val_fraction) than "
                    "this config; build it again with the same config."
                )
            if corpus.train_ids.numel() < 3:
                raise ConfigError("The training text is too short; add text.")
        vocab = corpus.vocab if corpus is not None else _vocab
        if vocab is None:
            raise ConfigError("An LSTM trainer needs a corpus (or a checkpoint's vocabulary).")
        self.vocab = vocab
        self.labels = list(vocab.labels)
        self.model = LSTMModel(len(vocab), config).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.steps_done = 0
        self.last_val_bpc: float | None = None
        self._lock = threading.RLock()
        self._batch_generator = make_generator(config.seed, _STREAM_BATCH)
        self._dropout_generator = make_generator(config.seed, _STREAM_DROPOUT, self.device)
        self.unigram_bpc = corpus.unigram_bpc() if corpus is not None else float("nan")
        self._line_hashes = (
            frozenset(_line_hash(line) for line in corpus.train_lines) if corpus is not None else frozenset()
        )
        if corpus is not None:
            self._train = corpus.train_ids.to(self.device)
            self._train_chars = corpus.train_chars.to(self.device)
            # The validation inputs start with the last training token, so every tail token is predicted.
            self._val_inputs = torch.cat([corpus.train_ids[-1:], corpus.val_ids[:-1]]).to(self.device)
            self._val_targets = corpus.val_ids.to(self.device)
            self._val_char_total = max(1, int(corpus.val_chars.sum()))
            self._window = min(config.seq_len, corpus.train_ids.numel() - 1)

    # ---- training ---------------------------------------------------------------------------------

    def _lr(self) -> float:
        decay = self.config.lr_decay_steps
        if decay <= 0:
            return self.config.lr
        return self.config.lr * (1.0 - 0.9 * min(1.0, self.steps_done / decay))

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A batch of random training windows: inputs, targets (both (B, T) int64) and target characters."""
        n, t = self._train.numel(), self._window
        starts = torch.randint(0, n - t, (self.config.batch_size,), generator=self._batch_generator)
        index = starts.to(self.device)[:, None] + torch.arange(t + 1, device=self.device)
        ids = self._train[index]
        return ids[:, :-1], ids[:, 1:], self._train_chars[index[:, 1:]]

    def step(self) -> dict[str, float]:
        """One Adam step on a random batch: ``{"train_bpc": ...}``, plus ``"val_bpc"`` every ``val_every``."""
        if self.corpus is None:
            raise ConfigError(
                "This model was loaded from a checkpoint without its text; load the text to train it."
            )
        with self._lock:
            x, y, chars = self.batch()
            logits, _ = self.model(x, dropout_generator=self._dropout_generator)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.grad_clip > 0:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            for group in self.optimizer.param_groups:
                group["lr"] = self._lr()
            self.optimizer.step()
            self.steps_done += 1
            bits = loss.item() * y.numel() / math.log(2)
            out = {"train_bpc": bits / max(1, int(chars.sum()))}
            if self.steps_done % self.config.val_every == 0:
                out["val_bpc"] = self.validate()
            return out

    def validate(self) -> float:
        """Bits per character of the whole held-out tail (see :func:`stream_bits`); deterministic.

        Raises:
            ConfigError: No corpus (a checkpoint loaded without its text).
        """
        if self.corpus is None:
            raise ConfigError("This model was loaded without its text, so there is nothing to validate on.")
        with self._lock:
            bits = stream_bits(self.model, self._val_inputs, self._val_targets)
            self.last_val_bpc = bits / self._val_char_total
            return self.last_val_bpc

    # ---- sampling ---------------------------------------------------------------------------------

    def _prompt_ids(self, prompt: str, label: str | None) -> list[int]:
        unknown = self.vocab.unknown(prompt)
        if unknown:
            what = "characters" if self.vocab.level == "char" else "words"
            raise ConfigError(
                f"The prompt has {what} the model never saw in training: "
                f"{', '.join(repr(t) for t in unknown[:10])}{' ...' if len(unknown) > 10 else ''}; "
                "remove them."
            )
        head = [self.vocab.eol]
        if label is not None:
            head.append(self.vocab.label_ids[label])
        return head + self.vocab.encode_text(prompt)[0]

    def sample_labelled(
        self,
        prompt: str,
        n: int,
        max_len: int,
        temperature: float,
        top_k: int | None,
        seed: int,
        label: str | None = None,
    ) -> list[tuple[str, str | None]]:
        """Like :meth:`sample`, plus each line's label; a conditional model draws it if none is given."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ConfigError(f"The number of lines must be a whole number of at least 1, got {n!r}.")
        if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len < 1:
            raise ConfigError(f"The maximum length must be a whole number of at least 1, got {max_len!r}.")
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
            raise ConfigError(f"The temperature must be a number above 0, got {temperature!r}.")
        if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1):
            raise ConfigError(f"top_k must be a whole number of at least 1 (or none), got {top_k!r}.")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f"The seed must be a whole number of at least 0, got {seed!r}.")
        if label is not None and label not in self.vocab.label_ids:
            if not self.labels:
                raise ConfigError(
                    f"This model was not trained on labels, so it cannot write {label!r} lines."
                )
            raise ConfigError(
                f"Unknown label {label!r}; this model knows {', '.join(map(repr, self.labels))}."
            )
        self._prompt_ids(prompt, None)  # refuse unknown prompt characters before any work
        with self._lock:
            generator = make_generator(seed, _STREAM_SAMPLE, self.device)
            if self.labels and label is None:
                start = torch.full((n, 1), self.vocab.eol, dtype=torch.int64, device=self.device)
                drawn = self.model.generate(
                    start, 1, temperature, None, generator, allowed=list(self.vocab.label_ids.values())
                )
                by_id = {i: name for name, i in self.vocab.label_ids.items()}
                line_labels = [by_id[int(i)] for i in drawn[:, 0]]
            else:
                line_labels = [label] * n
            rows = [self._prompt_ids(prompt, lab) for lab in line_labels]
            ids = torch.tensor(rows, dtype=torch.int64, device=self.device)
            out = self.model.generate(
                ids, max_len, temperature, top_k, generator, stop_id=self.vocab.eol
            ).tolist()
        lines = []
        for row in out:
            if self.vocab.eol in row:
                row = row[: row.index(self.vocab.eol)]
            lines.append(prompt + self.vocab.decode(row))
        return list(zip(lines, line_labels, strict=True))

    def sample(
        self,
        prompt: str,
        n: int,
        max_len: int,
        temperature: float,
        top_k: int | None,
        seed: int,
        label: str | None = None,
    ) -> list[str]:
        """Write ``n`` lines that start with ``prompt``; the same arguments give the same lines.

        Args:
            prompt: Text each line starts with (may be empty); every character (word) must be in the
                vocabulary.
            n: Lines to write.
            max_len: Tokens sampled after the prompt (characters at char level, tokens at word level);
                a line also ends at the model's line end.
            temperature: Above 0; 1 samples the model as trained, lower is safer, higher wilder.
            top_k: Sample among the k most likely tokens only (>= 1), or None for all.
            seed: Seeds the sampling generator.
            label: Conditional models: the label to write; None lets the model draw one per line
                (see :meth:`sample_labelled` to get it).

        Returns:
            The lines (prompt included, line end excluded).

        Raises:
            ConfigError: Unknown prompt characters or label, or an argument out of range.
        """
        return [line for line, _ in self.sample_labelled(prompt, n, max_len, temperature, top_k, seed, label)]

    def novelty(self, lines: Sequence[str]) -> float:
        """Share (0..1) of the stripped, non-empty lines that are not training lines (0 when none)."""
        kept = [line.strip() for line in lines if line.strip()]
        if not kept:
            return 0.0
        return sum(_line_hash(line) not in self._line_hashes for line in kept) / len(kept)

    def preview(self) -> list[str]:
        """Three short lines from an empty prompt and one fixed seed, so previews compare across steps.

        One batched call per label (one in all when unconditional): the engine asks every second, and
        batching keeps that near 2% of the training time on 2 CPU cores.
        """
        labels: list[str | None] = list(self.labels) or [None]
        per_label = max(1, 3 // len(labels))
        seed = (self.config.seed * 31 + _STREAM_PREVIEW * 1009) % (2**62)
        lines = []
        for label in labels[:3]:
            for line in self.sample("", per_label, _PREVIEW_LEN[self.vocab.level], 0.8, None, seed, label):
                lines.append(line if label is None else f"[{label}] {line}")
        return lines

    # ---- state and checkpoints -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """A deep copy of weights, optimiser, step count and generator states."""
        with self._lock:
            return {
                "model": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
                "optimizer": copy.deepcopy(self.optimizer.state_dict()),
                "steps": self.steps_done,
                "batch_generator": self._batch_generator.get_state(),
                "dropout_generator": self._dropout_generator.get_state(),
                "last_val_bpc": self.last_val_bpc,
            }

    def load_state(self, state: dict[str, Any]) -> None:
        """Go back to a state from :meth:`state` (copied, so the state can be loaded again)."""
        with self._lock:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
            self.steps_done = int(state["steps"])
            self._batch_generator.set_state(state["batch_generator"].clone())
            self._dropout_generator.set_state(state["dropout_generator"].clone())
            self.last_val_bpc = state.get("last_val_bpc")

    def checkpoint(self) -> dict[str, Any]:
        """The dict for :func:`checkpoint.save_checkpoint`; loads with ``weights_only=True``."""
        with self._lock:
            state = self.state()
            payload = {
                "kind": "lstm",
                "format_version": FORMAT_VERSION,
                "model": {k: v.cpu() for k, v in state["model"].items()},
                "config": self.config.to_dict(),
                "vocab": list(self.vocab.tokens),
                "labels": list(self.labels),
                "optimizer": state["optimizer"],
                "steps": self.steps_done,
                "generators": {
                    "batch": state["batch_generator"],
                    "dropout": state["dropout_generator"].cpu(),
                },
                "unigram_bpc": float(self.unigram_bpc),
                "val_bpc": self.last_val_bpc,
                "train_line_hashes": sorted(self._line_hashes),
            }
        payload["digest"] = payload_digest(payload)
        return payload

    @classmethod
    def from_checkpoint(
        cls, payload: dict[str, Any], corpus: Corpus | None = None, device: torch.device | str | None = None
    ) -> LSTMTrainer:
        """A trainer from :meth:`checkpoint`'s dict (as :func:`checkpoint.load_checkpoint` returns it).

        Args:
            payload: The checkpoint dict.
            corpus: The training text, to continue training and validate; its vocabulary must equal
                the checkpoint's. Without it the trainer can sample and judge novelty, not train.
            device: Where the model lives.

        Raises:
            CheckpointError: Not an LSTM checkpoint, or its config, vocabulary or weights do not fit.
        """
        if not isinstance(payload, dict) or payload.get("kind") != "lstm":
            kind = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
            raise CheckpointError(f"This is a {kind!r} checkpoint, not an LSTM one.")
        if payload.get("format_version") != FORMAT_VERSION:
            raise CheckpointError(
                f"The checkpoint has format version {payload.get('format_version')!r}; "
                f"this AugLab reads {FORMAT_VERSION}."
            )
        if payload.get("digest") != payload_digest(payload):
            raise CheckpointError(
                "The checkpoint's content does not match its digest: the file was changed or damaged after "
                "AugLab saved it. Use an unmodified copy."
            )
        try:
            config = LSTMConfig.from_dict(payload["config"])
        except (ConfigError, KeyError, TypeError) as exc:
            raise CheckpointError(f"The checkpoint's config is not usable: {exc}") from None
        tokens, labels = payload.get("vocab"), payload.get("labels", [])
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise CheckpointError("The checkpoint's vocabulary is missing or not a list of strings.")
        if not isinstance(labels, list) or not all(isinstance(t, str) for t in labels):
            raise CheckpointError("The checkpoint's labels are not a list of strings.")
        try:
            vocab = Vocab(tokens, config.level, labels)
        except ConfigError as exc:
            raise CheckpointError(f"The checkpoint's vocabulary is not usable: {exc}") from None
        if corpus is not None and corpus.vocab.tokens != vocab.tokens:
            raise CheckpointError(
                f"The checkpoint's vocabulary ({len(vocab):,} tokens) differs from this text's "
                f"({len(corpus.vocab):,} tokens); load the text it was trained on, or train a new model."
            )
        model_state = payload.get("model")
        if not isinstance(model_state, dict):
            raise CheckpointError("The checkpoint has no model weights.")
        emb = model_state.get("embedding.weight")
        if not isinstance(emb, torch.Tensor) or tuple(emb.shape) != (len(vocab), config.embedding_dim):
            shape = tuple(emb.shape) if isinstance(emb, torch.Tensor) else None
            raise CheckpointError(
                f"The checkpoint's embedding has shape {shape}, but its vocabulary of {len(vocab):,} tokens "
                f"and embedding_dim {config.embedding_dim} need {(len(vocab), config.embedding_dim)}."
            )
        try:
            trainer = cls(corpus, config, device, _vocab=vocab)
        except ConfigError as exc:
            raise CheckpointError(f"The checkpoint does not fit this text: {exc}") from None
        try:
            trainer.model.load_state_dict(model_state, strict=True)
        except (RuntimeError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0][:300]
            raise CheckpointError(f"The checkpoint's weights do not match its config: {first}") from None
        try:
            if "optimizer" in payload and payload["optimizer"] is not None:
                trainer.optimizer.load_state_dict(payload["optimizer"])
            generators = payload.get("generators") or {}
            if "batch" in generators:
                trainer._batch_generator.set_state(generators["batch"])
            if "dropout" in generators:
                trainer._dropout_generator.set_state(
                    generators["dropout"].to(trainer._dropout_generator.device)
                )
        except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(
                f"The checkpoint's optimiser or generator state is not usable: {exc}"
            ) from None
        trainer.steps_done = int(payload.get("steps", 0))
        val = payload.get("val_bpc")
        trainer.last_val_bpc = float(val) if isinstance(val, (int, float)) else None
        if corpus is None:
            unigram = payload.get("unigram_bpc")
            trainer.unigram_bpc = float(unigram) if isinstance(unigram, (int, float)) else float("nan")
            hashes = payload.get("train_line_hashes") or []
            trainer._line_hashes = frozenset(h for h in hashes if isinstance(h, str))
        return trainer
