"""The session's synthetic pool: generated images and lines, each with where it came from.

Generators add to it (the GAN and LSTM pages, ``python -m core sample-...``); the export blends it
with the real and augmented examples and writes its provenance into the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import ConfigError


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

    Returns:
        The items in generation order (class by class when conditional); ``label`` is the class name,
        or None for an unconditional GAN.

    Raises:
        ConfigError: A bad count or seed.
    """
    arrays, labels = trainer.generate(n, None, seed)
    classes = [str(c) for c in getattr(trainer, "classes", None) or []]
    names = [classes[int(i)] for i in labels] if labels is not None and classes else [None] * len(arrays)
    # One copy per image: a view would keep the whole generated batch alive as long as any item lives.
    return [
        SyntheticImage(np.array(array), label, digest, seed, i)
        for i, (array, label) in enumerate(zip(arrays, names, strict=True))
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

    Returns:
        The items; each carries the label it was written with (a conditional model asked for no label
        draws one per line, and that is the item's label).

    Raises:
        ConfigError: A bad setting, an unknown label or prompt characters the model never saw.
    """
    unknown = sorted(set(settings) - set(TEXT_DEFAULTS))
    if unknown:
        known = ", ".join(TEXT_DEFAULTS)
        raise ConfigError(f"Unknown sampling setting(s) {', '.join(unknown)}; the known ones are {known}.")
    s = {**TEXT_DEFAULTS, **settings}
    drawn = trainer.sample_labelled(
        s["prompt"], n, s["max_len"], s["temperature"], s["top_k"], seed, s["label"]
    )
    return [SyntheticText(line, label, digest, seed, i, dict(s)) for i, (line, label) in enumerate(drawn)]


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
        CheckpointError: The file is not a readable checkpoint of ``kind`` (the message names it).
        ConfigError: A bad count, seed or sampling setting.
    """
    from core.generators.checkpoint import checkpoint_hash, load_checkpoint

    payload = load_checkpoint(data, name, kind)
    digest = checkpoint_hash(data)
    if kind == "gan":
        from core.generators.gan import GANTrainer

        return image_samples(GANTrainer.from_checkpoint(payload, name=name), digest, seed, n)
    from core.generators.lstm import LSTMTrainer

    return text_samples(LSTMTrainer.from_checkpoint(payload, name=name), digest, seed, n, settings or {})
