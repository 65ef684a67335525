"""Tests for core.dataset.digest: the fingerprint the Export page keys its archive by.

Whatever changes the archive's bytes must change the fingerprint; equal inputs built afresh give equal
fingerprints.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.data.image_io import LoadedImage
from core.data.text_io import TextExample
from core.dataset.digest import export_digest
from core.dataset.recipe import Recipe
from core.generators.pool import SyntheticImage, SyntheticText


def images() -> list[LoadedImage]:
    return [LoadedImage(f"{k}.png", np.full((3, 3), k, np.uint8), "ab"[k % 2]) for k in range(4)]


def pool() -> list[SyntheticImage]:
    return [SyntheticImage(np.full((3, 3), 7, np.uint8), "a", "cd" * 32, 1, k) for k in range(2)]


BASE = Recipe(inputs=("x.zip",), variants_per_original=1)


def with_pixel(items):
    array = items[2].array.copy()
    array[0, 0] += 1
    return [*items[:2], replace(items[2], array=array), *items[3:]]


@pytest.mark.parametrize(
    ("recipe", "originals", "synthetic"),
    [
        (replace(BASE, seed=1), images(), pool()),  # a recipe setting
        (replace(BASE, inputs=("y.zip",)), images(), pool()),  # the inputs the recipe names
        (BASE, with_pixel(images()), pool()),  # one pixel of one original
        (BASE, [*images()[:3], replace(images()[3], label="b2")], pool()),  # a label
        (BASE, [*images()[:3], replace(images()[3], name="other.png")], pool()),  # a name (manifest origin)
        (BASE, images()[:3], pool()),  # one original fewer
        (BASE, images(), pool()[:1]),  # one synthetic sample fewer
        (BASE, images(), [replace(pool()[0], seed=2), pool()[1]]),  # a sample's provenance
    ],
)
def test_any_change_changes_the_fingerprint(recipe, originals, synthetic):
    assert export_digest(recipe, originals, synthetic) != export_digest(BASE, images(), pool())


def test_equal_inputs_built_afresh_have_equal_fingerprints():
    assert export_digest(BASE, images(), pool()) == export_digest(
        Recipe.from_json(BASE.to_json()), images(), pool()
    )
    texts = [TextExample("a b", "x", "row 1"), TextExample("=c", None, "row 2")]
    lines = [SyntheticText("gen", "x", "ef" * 32, 3, 0, {"temperature": 0.8})]
    text_recipe = Recipe(kind="text")
    assert export_digest(text_recipe, texts, lines) == export_digest(text_recipe, list(texts), list(lines))
    assert export_digest(text_recipe, texts, lines) != export_digest(text_recipe, texts[:1], lines)
