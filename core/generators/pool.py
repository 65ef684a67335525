"""The session's synthetic pool: generated images and lines, each with where it came from.

Generators add to it (the GAN and LSTM pages, ``python -m core sample-...``); the export blends it
with the real and augmented examples and writes its provenance into the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class SyntheticImage:
    """One generated image (uint8, HxW or HxWx3) and its provenance."""

    array: np.ndarray
    label: str | None
    checkpoint_sha256: str  # the generator's weights, as saved
    seed: int  # the sampling seed
    index: int  # position within that sampling call
    generator: str = "gan"


@dataclass(frozen=True)
class SyntheticText:
    """One generated line and its provenance, including the sampling settings."""

    text: str
    label: str | None
    checkpoint_sha256: str
    seed: int
    index: int
    settings: dict[str, Any] = field(default_factory=dict)  # prompt, temperature, top_k, max_len
    generator: str = "lstm"


def image_samples(trainer: Any, digest: str, seed: int, n: int) -> list[SyntheticImage]:
    """``n`` images (per class when the GAN is conditional) from a trained GAN, as pool items.

    Args:
        trainer: A ``GANTrainer``.
        digest: sha256 of the checkpoint the trainer was saved as (provenance).
        seed: The sampling seed.
        n: Samples per class (conditional) or in all (unconditional).
    """
    arrays, labels = trainer.generate(n, None, seed)
    classes = list(getattr(trainer, "classes", None) or [])
    conditional = labels is not None and bool(classes)
    return [
        SyntheticImage(np.asarray(array), classes[int(labels[i])] if conditional else None, digest, seed, i)
        for i, array in enumerate(arrays)
    ]


TEXT_DEFAULTS = {"prompt": "", "max_len": 200, "temperature": 0.8, "top_k": None, "label": None}


def text_samples(
    trainer: Any, digest: str, seed: int, n: int, settings: dict[str, Any]
) -> list[SyntheticText]:
    """``n`` lines from a trained LSTM, as pool items.

    Args:
        trainer: An ``LSTMTrainer``.
        digest: sha256 of the checkpoint (provenance).
        seed: The sampling seed.
        n: Number of lines.
        settings: Any of ``prompt``, ``max_len``, ``temperature``, ``top_k``, ``label`` (defaults:
            :data:`TEXT_DEFAULTS`); recorded with each line.
    """
    s = {**TEXT_DEFAULTS, **settings}
    lines = trainer.sample(s["prompt"], n, s["max_len"], s["temperature"], s["top_k"], seed, s["label"])
    return [SyntheticText(line, s["label"], digest, seed, i, dict(s)) for i, line in enumerate(lines)]


def samples_from_checkpoint(
    data: bytes, name: str, kind: str, seed: int, n: int, settings: dict[str, Any] | None = None
) -> list[SyntheticImage] | list[SyntheticText]:
    """Pool items sampled from checkpoint bytes: what a page, the CLI and an export's replay all call.

    Args:
        data: The checkpoint file's bytes.
        name: Its name, for messages.
        kind: ``"gan"`` or ``"lstm"``.
        seed, n, settings: As :func:`image_samples` / :func:`text_samples`.

    Raises:
        CheckpointError: The file is not a readable checkpoint of ``kind``.
    """
    from core.generators.checkpoint import checkpoint_hash, load_checkpoint

    payload = load_checkpoint(data, name, kind)
    digest = checkpoint_hash(data)
    if kind == "gan":
        from core.generators.gan import GANTrainer

        return image_samples(GANTrainer.from_checkpoint(payload), digest, seed, n)
    from core.generators.lstm import LSTMTrainer

    return text_samples(LSTMTrainer.from_checkpoint(payload), digest, seed, n, settings or {})
