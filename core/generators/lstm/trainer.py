"""The LSTM's trainer: Adam steps on random windows, validation in bits per character, sampling, checkpoints.

:class:`LSTMTrainer` implements :class:`core.generators.engine.Trainer` and saves checkpoints in the
:mod:`core.generators.checkpoint` format.

Random streams (:mod:`core.seeding`), each a ``torch.Generator`` of its own: ``(config.seed, "lstm",
"init")`` for the weights, ``"batch"`` for the windows, ``"dropout"`` for the masks, ``"preview"`` for the
previews, and ``(seed, "lstm", "sample")`` for :meth:`LSTMTrainer.sample`. The batch and dropout states
travel with ``state()`` and the checkpoint.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core.config import check_float, check_int, check_seed
from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, check_payload, seal
from core.generators.engine import pick_device
from core.generators.lstm.corpus import Corpus, Vocab, line_hash, words_of
from core.generators.lstm.model import LSTMConfig, LSTMModel, stream_bits
from core.seeding import torch_generator

_PREVIEW_LEN = {"char": 60, "word": 15}  # tokens per preview sample
MAX_LINES = 100_000  # lines per sample() call
MAX_SAMPLE_LEN = 100_000  # tokens per sampled line
MAX_TEMPERATURE = 100.0  # far past where samples are noise
VAL_SHARE = 0.05  # a time-scheduled validation pass waits until it costs at most this share of the time


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
        self._optimizer: torch.optim.Adam | None = None
        self._pending_optimizer: dict[str, Any] | None = None  # a checkpoint's, loaded on first use
        self.steps_done = 0
        self.last_val_bpc: float | None = None
        self._trained_s = 0.0  # seconds of training since the last validation
        self._val_s = 0.0  # seconds the last validation pass took
        self._lock = threading.RLock()
        self._batch_generator = torch_generator(config.seed, "lstm", "batch")
        self._dropout_generator = torch_generator(config.seed, "lstm", "dropout", device=self.device)
        self.unigram_bpc = corpus.unigram_bpc() if corpus is not None else float("nan")
        self._line_hashes = (
            frozenset(line_hash(line) for line in corpus.train_lines) if corpus is not None else frozenset()
        )
        self._train_words = corpus.train_words if corpus is not None else frozenset()
        if corpus is not None:
            self._train = corpus.train_ids.to(self.device)
            self._train_chars = corpus.train_chars.to(self.device)
            # The validation inputs start with the last training token, so every tail token is predicted.
            self._val_inputs = torch.cat([corpus.train_ids[-1:], corpus.val_ids[:-1]]).to(self.device)
            self._val_targets = corpus.val_ids.to(self.device)
            self._val_char_total = max(1, int(corpus.val_chars.sum()))
            self._window = min(config.seq_len, corpus.train_ids.numel() - 1)

    @property
    def optimizer(self) -> torch.optim.Adam:
        """The Adam optimiser, made on first use.

        A model loaded only to sample never needs it, and the first optimiser of a process imports
        ``torch._dynamo`` (over a second): ``python -m core sample-lstm`` is spared it.
        """
        if self._optimizer is None:
            optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)
            pending, self._pending_optimizer = self._pending_optimizer, None
            if pending is not None:
                optimizer.load_state_dict(pending)
            self._optimizer = optimizer
        return self._optimizer

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

    def _validation_due(self, step_s: float) -> bool:
        """Whether to validate after this step: every ``val_every`` steps, or after ``val_every_s``
        seconds of training since the last pass (validation time not counted), stretched so that
        validating takes at most 5% of the time (:data:`VAL_SHARE`) when one pass is slow. Validation
        changes nothing the model learns, so a schedule in seconds keeps training reproducible."""
        cfg = self.config
        if cfg.val_every and self.steps_done % cfg.val_every == 0:
            return True
        self._trained_s += step_s
        if cfg.val_every_s and self._trained_s >= max(cfg.val_every_s, self._val_s / VAL_SHARE):
            self._trained_s = 0.0
            return True
        return False

    def step(self) -> dict[str, float]:
        """One Adam step on a random batch: ``{"train_bpc": ...}``, plus ``"val_bpc"`` when due
        (see :meth:`_validation_due`)."""
        if self.corpus is None:
            raise ConfigError(
                "This model was loaded from a checkpoint without its text; load the text to train it."
            )
        with self._lock:
            started = time.perf_counter()
            x, y, chars = self.batch()
            logits, _ = self.model(x, dropout_generator=self._dropout_generator)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            optimizer = self.optimizer
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.grad_clip > 0:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            for group in optimizer.param_groups:
                group["lr"] = self._lr()
            optimizer.step()
            self.steps_done += 1
            bits = loss.item() * y.numel() / math.log(2)
            out = {"train_bpc": bits / max(1, int(chars.sum()))}
            if self._validation_due(time.perf_counter() - started):
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
            started = time.perf_counter()
            bits = stream_bits(self.model, self._val_inputs, self._val_targets)
            self._val_s = time.perf_counter() - started
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
        n = check_int("The number of lines", n, 1, MAX_LINES)
        max_len = check_int("The maximum length", max_len, 1, MAX_SAMPLE_LEN)
        temperature = check_float("The temperature", temperature, 0.0, MAX_TEMPERATURE, low_open=True)
        if top_k is not None:
            top_k = check_int("top_k (None for all tokens)", top_k, 1)
        seed = check_seed("The sampling seed", seed)
        if label is not None and label not in self.vocab.label_ids:
            if not self.labels:
                raise ConfigError(
                    f"This model was not trained on labels, so it cannot write {label!r} lines."
                )
            raise ConfigError(
                f"Unknown label {label!r}; this model knows {', '.join(map(repr, self.labels))}."
            )
        self._prompt_ids(prompt, None)  # refuse unknown prompt characters before any work
        generator = torch_generator(seed, "lstm", "sample", device=self.device)
        return self._sample(prompt, n, max_len, temperature, top_k, generator, label)

    def _sample(
        self,
        prompt: str,
        n: int,
        max_len: int,
        temperature: float,
        top_k: int | None,
        generator: torch.Generator,
        label: str | None,
    ) -> list[tuple[str, str | None]]:
        """:meth:`sample_labelled` on checked arguments, drawing from ``generator``."""
        with self._lock:
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
            seed: The sampling seed: the stream ``(seed, "lstm", "sample")``.
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
        return sum(line_hash(line) not in self._line_hashes for line in kept) / len(kept)

    def known_word_share(self, lines: Sequence[str]) -> float | None:
        """Share (0..1) of the words in ``lines`` that occur in the training text (None: no words).

        Words are runs of letters, case-folded (:func:`~core.generators.lstm.corpus.words_of`). Real
        text in the training text's language scores near 1; gibberish that is "novel" only because its
        words do not exist scores far lower. Novelty alone cannot tell the two apart.
        """
        words = [word for line in lines for word in words_of(line)]
        if not words:
            return None
        return sum(word in self._train_words for word in words) / len(words)

    def preview(self) -> list[str]:
        """Three short lines from an empty prompt and a fixed stream, so previews compare across steps.

        The stream is ``(config.seed, "lstm", "preview")``, started afresh on every call.

        One batched call per label (one in all when unconditional): the engine asks every second, and
        batching keeps that near 2% of the training time on 2 CPU cores.
        """
        labels: list[str | None] = list(self.labels) or [None]
        per_label = max(1, 3 // len(labels))
        generator = torch_generator(self.config.seed, "lstm", "preview", device=self.device)
        lines = []
        for label in labels[:3]:
            drawn = self._sample("", per_label, _PREVIEW_LEN[self.vocab.level], 0.8, None, generator, label)
            lines.extend(line if label is None else f"[{label}] {line}" for line, _ in drawn)
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
                "train_words": sorted(self._train_words),
            }
        return seal(payload)

    @classmethod
    def from_checkpoint(
        cls,
        payload: dict[str, Any],
        corpus: Corpus | None = None,
        device: torch.device | str | None = None,
        name: str = "The checkpoint",
    ) -> LSTMTrainer:
        """A trainer from :meth:`checkpoint`'s dict (as :func:`checkpoint.load_checkpoint` returns it).

        Args:
            payload: The checkpoint dict.
            corpus: The training text, to continue training and validate; its vocabulary must equal
                the checkpoint's. Without it the trainer can sample and judge novelty, not train.
            device: Where the model lives.
            name: The file's name, for messages.

        Raises:
            CheckpointError: Not an LSTM checkpoint of this version, altered, or its config, vocabulary
                or weights do not fit.
        """
        check_payload(payload, name, "lstm")
        try:
            config = LSTMConfig.from_dict(payload["config"])
        except (ConfigError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{name} holds a configuration that is not usable: {exc}") from None
        tokens, labels = payload.get("vocab"), payload.get("labels", [])
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise CheckpointError(f"{name}: its vocabulary is missing or not a list of strings.")
        if not isinstance(labels, list) or not all(isinstance(t, str) for t in labels):
            raise CheckpointError(f"{name}: its labels are not a list of strings.")
        try:
            vocab = Vocab(tokens, config.level, labels)
        except ConfigError as exc:
            raise CheckpointError(f"{name}: its vocabulary is not usable: {exc}") from None
        if corpus is not None and corpus.vocab.tokens != vocab.tokens:
            raise CheckpointError(
                f"The vocabulary of {name} ({len(vocab):,} tokens) differs from this text's "
                f"({len(corpus.vocab):,} tokens); load the text it was trained on, or train a new model."
            )
        model_state = payload.get("model")
        if not isinstance(model_state, dict):
            raise CheckpointError(f"{name} has no model weights.")
        emb = model_state.get("embedding.weight")
        if not isinstance(emb, torch.Tensor) or tuple(emb.shape) != (len(vocab), config.embedding_dim):
            shape = tuple(emb.shape) if isinstance(emb, torch.Tensor) else None
            raise CheckpointError(
                f"{name}: its embedding has shape {shape}, but its vocabulary of {len(vocab):,} tokens "
                f"and embedding_dim {config.embedding_dim} need {(len(vocab), config.embedding_dim)}."
            )
        try:
            trainer = cls(corpus, config, device, _vocab=vocab)
        except ConfigError as exc:
            raise CheckpointError(f"{name} does not fit this text: {exc}") from None
        try:
            trainer.model.load_state_dict(model_state, strict=True)
        except (RuntimeError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0][:300]
            raise CheckpointError(f"{name}: its weights do not match its config: {first}") from None
        try:
            if isinstance(payload.get("optimizer"), dict):
                trainer._pending_optimizer = payload["optimizer"]
                if corpus is not None:  # a sampler makes its optimiser (and loads this) only if asked to
                    trainer.optimizer  # noqa: B018 - made now, so that a bad state is refused now
            generators = payload.get("generators") or {}
            if "batch" in generators:
                trainer._batch_generator.set_state(generators["batch"])
            if "dropout" in generators:
                trainer._dropout_generator.set_state(
                    generators["dropout"].to(trainer._dropout_generator.device)
                )
        except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{name}: its optimiser or generator state is not usable: {exc}") from None
        steps = payload.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise CheckpointError(f"{name}: its step count is not valid ({steps!r}).")
        trainer.steps_done = steps
        val = payload.get("val_bpc")
        trainer.last_val_bpc = float(val) if isinstance(val, (int, float)) else None
        if corpus is None:
            unigram = payload.get("unigram_bpc")
            trainer.unigram_bpc = float(unigram) if isinstance(unigram, (int, float)) else float("nan")
            hashes = payload.get("train_line_hashes") or []
            trainer._line_hashes = frozenset(h for h in hashes if isinstance(h, str))
            words = payload.get("train_words") or []
            trainer._train_words = frozenset(w for w in words if isinstance(w, str))
        return trainer
