"""The session's synthetic pool: generated images and lines, each with where it came from.

Generators add to it (the GAN / VAE and LSTM pages, ``python -m core sample-...``); the export blends
it with the real and augmented examples and writes its provenance into the manifest.

There are two pools, one per kind of data: images (from GAN and VAE checkpoints alike) and text (from
LSTM checkpoints). :func:`samples_from_checkpoint` takes the pool's generator kind as its callers name
it (``"gan"`` for the image pool, as the pages, the export and its replay always have, or
``"images"``; ``"lstm"`` or ``"text"``) and reads an image checkpoint of either kind, the file's own
kind deciding the model.
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
    generator: str = "gan"  # "gan" or "vae": what made it (the manifest's origin column)


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
    """``n`` images (per class when the model is conditional) from a trained GAN or VAE, as pool items.

    Args:
        trainer: A ``GANTrainer`` or ``VAETrainer``.
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
    kind = getattr(trainer, "KIND", "gan")
    # One copy per image: a view would keep the whole generated batch alive as long as any item lives.
    return [
        SyntheticImage(np.array(array), label, digest, seed, i, kind)
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


IMAGE_KINDS = ("gan", "vae")  # checkpoint kinds that fill the image pool
POOL_KINDS = {
    "gan": IMAGE_KINDS,
    "vae": IMAGE_KINDS,
    "images": IMAGE_KINDS,
    "lstm": ("lstm",),
    "text": ("lstm",),
}


def image_trainer(payload: dict[str, Any], name: str) -> Any:
    """A ``GANTrainer`` or ``VAETrainer`` (by the payload's kind) that only samples.

    Raises:
        CheckpointError: As the trainers' ``from_checkpoint``.
    """
    if payload.get("kind") == "vae":
        from core.generators.vae import VAETrainer

        return VAETrainer.from_checkpoint(payload, name=name)
    from core.generators.gan import GANTrainer

    return GANTrainer.from_checkpoint(payload, name=name)


def samples_from_checkpoint(
    data: bytes,
    name: str,
    kind: str | tuple[str, ...],
    seed: int,
    n: int,
    settings: dict[str, Any] | None = None,
) -> list[SyntheticImage] | list[SyntheticText]:
    """Pool items sampled from checkpoint bytes: what a page, the CLI and an export's replay all call.

    Args:
        data: The checkpoint file's bytes.
        name: Its name, for messages.
        kind: The pool's generator kind (see the module docstring): ``"gan"``, ``"vae"`` or ``"images"``
            take a GAN or a VAE checkpoint; ``"lstm"`` or ``"text"`` an LSTM one; a tuple names the
            checkpoint kinds that will do exactly (``("vae",)``: a VAE only, as ``sample-vae`` asks).
        seed, n, settings: As :func:`image_samples` / :func:`text_samples`.

    Raises:
        CheckpointError: The file is not a readable checkpoint of ``kind`` (the message names it).
        ConfigError: A bad count, seed or sampling setting.
    """
    from core.generators.checkpoint import checkpoint_hash, load_checkpoint

    kinds = kind if isinstance(kind, tuple) else POOL_KINDS.get(kind)
    if not kinds or not set(kinds) <= {*IMAGE_KINDS, "lstm"}:
        raise ConfigError(f"Unknown generator kind {kind!r}; one of {', '.join(POOL_KINDS)}.")
    payload = load_checkpoint(data, name, kinds)
    digest = checkpoint_hash(data)
    if payload["kind"] in IMAGE_KINDS:
        return image_samples(image_trainer(payload, name), digest, seed, n)
    from core.generators.lstm import LSTMTrainer

    return text_samples(LSTMTrainer.from_checkpoint(payload, name=name), digest, seed, n, settings or {})
