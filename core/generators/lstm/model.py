"""The LSTM language model and its configuration, in the nanoGPT / pytorch-examples shape, with no I/O.

- :class:`LSTMConfig`: a frozen dataclass with a comment per default;
- :class:`LSTMModel`: embedding -> stacked LSTM -> linear, with :meth:`LSTMModel.generate`;
- :func:`stream_bits`: the summed cross-entropy of a long token stream, read as parallel streams.

Randomness never touches torch's global generator (Streamlit serves sessions as threads of one
process): the initial weights come from the stream ``(config.seed, "lstm", "init")`` of
:mod:`core.seeding`, and dropout masks and sampling draw from the generators passed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core.config import check_bool, check_choice, check_float, check_int, check_seed, from_mapping
from core.generators.lstm.corpus import LEVELS
from core.seeding import torch_generator

_VAL_STREAMS = 64  # the validation tail is cut into this many parallel streams ...
_VAL_CHUNK = 256  # ... read this many tokens at a time, the LSTM state carried between chunks
# Whole-number settings and their ranges, inclusive.
_WHOLE_RANGES = (
    ("max_vocab", 10, 200_000),
    ("embedding_dim", 1, 4096),
    ("hidden_size", 1, 8192),
    ("num_layers", 1, 8),
    ("seq_len", 2, 4096),
    ("batch_size", 1, 4096),
    ("lr_decay_steps", 0, 10**9),
    ("val_every", 0, 10**9),
)


@dataclass(frozen=True)
class LSTMConfig:
    """Everything that defines a model and its training. Defaults are tuned for the page's 40-second demo
    on one CPU thread (the app's worker).

    Measured on CPython's ``pydoc_data.topics`` text (465k characters, 10% tail held out), 40 s of CPU
    time each (validation bits per character): 1x256 with 32-token windows 1.80, with 64-token windows
    1.83; 1x192 1.84; 2x128 1.86; 1x384 1.85; 2x256 (the previous default) 1.94, with a quarter of the
    steps; batch 16 or Adam 1e-2 no better. See bench/bench_lstm.py.
    """

    level: str = "char"  # "char" (small corpora) or "word" (larger corpora)
    max_vocab: int = 10_000  # word level: the most frequent words of the training split kept, rest -> <unk>
    embedding_dim: int = 64  # size of each token's embedding vector
    hidden_size: int = 256  # units per LSTM layer
    num_layers: int = 1  # stacked LSTM layers; one learns more in 40 s than two
    dropout: float = 0.0  # on the embeddings, between layers and before the output; 0 learns fastest
    seq_len: int = 32  # tokens per training window (truncated backpropagation through time)
    batch_size: int = 32  # windows per step, drawn at random positions of the training split
    lr: float = 5e-3  # Adam's learning rate; high for an LSTM, fine with clipping, fast on short budgets
    lr_decay_steps: int = 0  # steps over which the LR falls linearly to 10% (0 keeps it constant)
    grad_clip: float = 1.0  # gradient norm limit (0 disables clipping)
    val_fraction: float = 0.1  # share of the tokens at the END of the corpus held out for validation
    val_every: int = 0  # steps between validation passes (0: none by count; see val_every_s)
    val_every_s: float = 5.0  # seconds of training between validation passes, so the curve shows early
    conditional: bool = False  # prefix each line with a label token, so generated lines carry labels
    seed: int = 0  # every random choice (init, batches, dropout, previews) derives from it

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:  # plain Python types, so numpy scalars never reach JSON
            object.__setattr__(self, name, value)

        put("level", check_choice("level", self.level, LEVELS))
        for name, low, high in _WHOLE_RANGES:
            put(name, check_int(name, getattr(self, name), low, high))
        put("dropout", check_float("dropout", self.dropout, 0.0, 0.9))
        put("lr", check_float("lr", self.lr, 0.0, 1.0, low_open=True))
        put("grad_clip", check_float("grad_clip", self.grad_clip, 0.0, 1e6))
        put("val_fraction", check_float("val_fraction", self.val_fraction, 0.0, 0.5, low_open=True))
        put("val_every_s", check_float("val_every_s", self.val_every_s, 0.0, 24 * 3600.0))
        put("conditional", check_bool("conditional", self.conditional))
        put("seed", check_seed("seed", self.seed))

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
        values = dict(
            embedding_dim=8,
            hidden_size=16,
            num_layers=2,
            seq_len=16,
            batch_size=4,
            val_every=5,
            val_every_s=0.0,
        )
        values.update(changes)
        return cls(**values)


# --------------------------------------------------------------------------------------------------
# Model


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
            generator: Draws the initial weights; default: the stream ``(config.seed, "lstm", "init")``.
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
        self.reset_parameters(generator or torch_generator(config.seed, "lstm", "init"))

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
