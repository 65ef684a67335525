"""Tiny data and recipes the experiment tests share (seconds per run, not minutes)."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import numpy as np

from core.data.image_io import LoadedImage
from core.data.sources import load_builtin_images
from core.data.text_io import TextExample
from core.data.texts import pydoc_sentences
from core.experiment import ExperimentRecipe
from core.generators.pool import SyntheticImage

# Nothing changes: every range zero (the sanity arm's augmentation).
IDENTITY_IMAGES: dict[str, Any] = {}
IDENTITY_TEXT = {"alpha_rs": 0.0, "p_rd": 0.0, "operations": ["RS", "RD"]}  # no WordNet needed
MILD_DIGITS = {
    "rotation_range": 12,
    "width_shift_range": 0.12,
    "height_shift_range": 0.12,
    "zoom_range": 0.1,
    "fill_mode": "constant",
}
FAST = {"min_steps": 15, "epochs": 1.0, "batch_size": 16}  # a few steps per fit


def digits(per_class: int) -> list[LoadedImage]:
    """The first ``per_class`` built-in digits of each class, in scikit-learn's order."""
    taken: dict[str, int] = {}
    out = []
    for image in load_builtin_images("digits").images:
        if taken.get(image.label, 0) < per_class:
            taken[image.label] = taken.get(image.label, 0) + 1
            out.append(image)
    return out


def images(labels: list[str | None], side: int = 8, seed: int = 0) -> list[LoadedImage]:
    """Random gray images with these labels."""
    rng = np.random.default_rng(seed)
    return [
        LoadedImage(f"img{i}.png", rng.integers(0, 256, (side, side), dtype=np.uint8), label)
        for i, label in enumerate(labels)
    ]


def synthetic_images(labels: list[str | None], seed: int = 1) -> list[SyntheticImage]:
    """Pool items with these labels (random pixels; only their provenance matters to the arms)."""
    rng = np.random.default_rng(seed)
    return [
        SyntheticImage(rng.integers(0, 256, (8, 8), dtype=np.uint8), label, "0" * 64, 0, i)
        for i, label in enumerate(labels)
    ]


def sentences(n: int = 80) -> list[TextExample]:
    """``n`` documentation sentences labelled "short" / "long" by length (both classes well filled)."""
    return [
        TextExample(s, "short" if len(s) < 70 else "long", f"sentence {i + 1}")
        for i, s in enumerate(pydoc_sentences(n))
    ]


def sentences_csv(n: int = 80) -> bytes:
    """:func:`sentences` as a CSV with a header: columns ``sentence`` and ``kind``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sentence", "kind"])
    for example in sentences(n):
        writer.writerow([example.text, example.label])
    return out.getvalue().encode()


def digits_recipe(**overrides: Any) -> ExperimentRecipe:
    """Both image models, two arms, two repeats, a few steps per fit."""
    values: dict[str, Any] = {
        "inputs": ("digits",),
        "augmentation": MILD_DIGITS,
        "variants_per_original": 2,
        "sizes": (0.5, 1.0),
        "repeats": 2,
        **FAST,
    }
    return ExperimentRecipe(**{**values, **overrides})


def poll(supervisor: Any, job_id: int, deadline_s: float = 90.0) -> Any:
    """Tick the supervisor until the job ends (a worker that takes this long is broken, not slow)."""
    from core.workspace import jobs

    end = time.monotonic() + deadline_s
    while True:
        supervisor.tick()
        job = jobs.get(supervisor.store, job_id)
        if not job.active:
            return job
        assert time.monotonic() < end, f"job {job_id} still {job.status} after {deadline_s} s: {job}"
        time.sleep(0.05)
