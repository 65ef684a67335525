"""One fingerprint of everything an archive is made from: recipe, originals and synthetic pool.

The Export page keys a finished archive by it and offers the archive only while the page still shows
the same fingerprint, so a download is always the archive of what is on screen. Two exports with the
same fingerprint write the same bytes (the writer is deterministic); any change to the recipe, an
original's pixels, text, label or name, or a synthetic sample changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

from core.dataset.recipe import Recipe


def export_digest(recipe: Recipe, originals: Iterable[Any], pool: Iterable[Any]) -> str:
    """The hex fingerprint of an export's inputs.

    Pixels are hashed as they come; everything else (labels, names, texts, provenance, shapes) goes into
    one list whose ``repr`` is hashed last. The shapes there fix where each image's bytes end, so two
    different inputs never share a byte stream. A few milliseconds for scikit-learn's 1,797 digits.

    Args:
        recipe: The recipe.
        originals: ``LoadedImage`` s (name, label, pixels) or ``TextExample`` s (text, label, origin).
        pool: ``SyntheticImage`` s or ``SyntheticText`` s (pixels or text, label and provenance).
    """
    h = hashlib.blake2b(digest_size=16, person=b"auglab-export")
    h.update(recipe.to_json().encode("utf-8"))
    meta: list[tuple[Any, ...]] = []
    for item in originals:
        if hasattr(item, "array"):
            meta.append(("image", item.label, getattr(item, "name", ""), *_pixels(h, item.array)))
        else:
            meta.append(("text", item.label, item.text, getattr(item, "origin", "")))
    for sample in pool:
        provenance = tuple(
            getattr(sample, a, None) for a in ("generator", "checkpoint_sha256", "seed", "index")
        )
        if hasattr(sample, "array"):
            meta.append(("synthetic image", sample.label, *provenance, *_pixels(h, sample.array)))
        else:
            settings = json.dumps(getattr(sample, "settings", {}), sort_keys=True, default=str)
            meta.append(("synthetic text", sample.label, *provenance, sample.text, settings))
    h.update(repr(meta).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _pixels(h: Any, array: Any) -> tuple[str, tuple[int, ...]]:
    """Hash an array's bytes; its dtype and shape, which say where those bytes end."""
    a = array if isinstance(array, np.ndarray) and array.flags.c_contiguous else np.ascontiguousarray(array)
    h.update(memoryview(a).cast("B"))
    return a.dtype.str, a.shape
