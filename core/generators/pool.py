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
