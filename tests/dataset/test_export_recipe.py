"""Tests for core.dataset.recipe: validation with a sentence, the JSON round trip, and old formats refused."""

from __future__ import annotations

import json
import math

import pytest

from core.dataset.recipe import Recipe, SyntheticSource
from core.errors import ConfigError


@pytest.mark.parametrize(
    "recipe",
    [
        # images, every field away from its default
        Recipe(
            kind="images",
            inputs=("digits", "cats.zip"),
            augmentation={"rotation_range": 10, "horizontal_flip": True},
            seed=42,
            variants_per_original=3,
            synthetic_share=0.25,
            balance="both",
            max_total=5000,
            split=(0.7, 0.2, 0.1),
            synthetic=({"checkpoint": "g.pt", "sha256": "ab" * 32, "seed": 1, "n": 10},),
        ),
        # text, with CSV columns and an unlabelled column choice
        Recipe(
            kind="text",
            inputs=("reviews.csv",),
            text_column="body",
            label_column=None,
            augmentation={"operations": ["RS", "RD"]},
        ),
    ],
)
def test_recipe_json_round_trip(recipe):
    again = Recipe.from_json(recipe.to_json())
    assert again == recipe
    data = json.loads(recipe.to_json())
    assert data["format"] == "auglab.recipe/3"
    assert data["split"] == dict(zip(("train", "val", "test"), recipe.split, strict=True))


def test_synthetic_sources_become_dataclasses():
    recipe = Recipe(synthetic=({"checkpoint": "g.pt", "sha256": "ab" * 32, "seed": 1, "n": 10},))
    assert recipe.synthetic == (SyntheticSource("g.pt", "ab" * 32, 1, 10),)
    assert Recipe(kind="text", augmentation={"operations": ["RS", "RD"]}).aug_config().operations == (
        "RS",
        "RD",
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"colour": "blue"}, "Unknown setting(s) colour"),  # a typo must not pass silently
        ({"variants_per_original": -1}, "variants_per_original must be a whole number from 0"),
        ({"variants_per_original": 10**9}, "variants_per_original must be a whole number from 0"),  # a slip
        ({"synthetic_per_class": -3}, "synthetic_per_class must be a whole number"),
        ({"max_total": -1}, "max_total must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"variants_per_original": True}, "variants_per_original"),  # a bool is not a count
        ({"split": {"train": 0.8, "val": 0.1, "test": 0.2}}, "must add up to 1"),
        ({"split": {"train": 0.8, "val": 0.2}}, "exactly train, val and test"),
        ({"split": [0.5, 0.5]}, "3 fractions"),
        ({"split": {"train": 1.1, "val": -0.1, "test": 0.0}}, "train fraction must be a number in [0, 1]"),
        ({"kind": "audio"}, "kind must be one of 'images', 'text'"),
        ({"balance": "yes"}, "balance must be one of"),
        ({"include_synthetic": "no"}, "include_synthetic must be true or false"),
        ({"synthetic_share": 1.0}, "synthetic_share must be a number in [0, 1)"),
        ({"synthetic_share": 0.2, "synthetic_per_class": 5}, "not both"),
        ({"inputs": "digits"}, "inputs must be a list"),
        ({"inputs": [""]}, "inputs must be non-empty strings"),
        ({"augmentation": {"rotation_range": 500}}, "rotation_range"),
        ({"augmentation": {"spin": 1}}, "Unknown setting(s) spin"),
        ({"synthetic": [{"checkpoint": "g.pt", "n": -1}]}, "synthetic n must be a whole number"),
        ({"synthetic": [{"checkpoint": "g.pt", "temperature": 1}]}, "Unknown setting(s) temperature"),
        ({"synthetic": [{"n": 1}]}, "needs a checkpoint path"),
        ({"format": "auglab.image_aug/1"}, "not an AugLab export recipe"),
    ],
)
def test_recipe_refuses_with_a_sentence(change, words):
    data = {**json.loads(Recipe().to_json()), **change}
    with pytest.raises(ConfigError) as err:
        Recipe.from_json(json.dumps(data))
    assert words in str(err.value)
    assert str(err.value).endswith((".", ")"))


@pytest.mark.parametrize(
    "data",
    [
        {"format": "auglab.recipe/1", "inputs": ["digits"]},  # what AugLab wrote before core.seeding
        {"format": "auglab.recipe/1", "inputs": ["digits"], "split": {"train": 1, "val": 0, "test": 0}},
    ],
)
def test_format_1_is_refused_with_what_to_do(data):
    with pytest.raises(ConfigError) as err:
        Recipe.from_dict(data)
    message = str(err.value)
    assert "auglab.recipe/1" in message and "older AugLab" in message
    assert "byte for byte" in message  # why: the split and variants were drawn differently
    assert '"auglab.recipe/3"' in message and "remove" in message  # what to do
    # Doing what it says works: the same recipe without the format line, or with the new one.
    rest = {k: v for k, v in data.items() if k != "format"}
    assert Recipe.from_dict(rest) == Recipe.from_dict({**rest, "format": "auglab.recipe/3"})


@pytest.mark.parametrize(
    ("kind", "augmentation", "read_as"),
    [
        # Untagged text: the synonyms version 2 drew, that is text_aug/1.
        ("text", {"alpha_sr": 0.2}, {"format": "auglab.text_aug/1", "alpha_sr": 0.2}),
        # Tagged text: the tag is kept.
        (
            "text",
            {"format": "auglab.text_aug/1", "alpha_sr": 0.2},
            {"format": "auglab.text_aug/1", "alpha_sr": 0.2},
        ),
        # Images: nothing added, the new operations keep their defaults (off).
        ("images", {"rotation_range": 5}, {"rotation_range": 5}),
    ],
)
def test_format_2_is_read_as_before(kind, augmentation, read_as):
    from core.augment.image import ImageAugConfig
    from core.augment.text import TextAugConfig

    data = {"format": "auglab.recipe/2", "kind": kind, "inputs": ["x"], "augmentation": augmentation}
    recipe = Recipe.from_dict(data)
    assert recipe.to_dict()["format"] == "auglab.recipe/3"
    config_class = TextAugConfig if kind == "text" else ImageAugConfig
    assert recipe.aug_config() == config_class.from_dict(read_as)


def test_fractions_within_tolerance_are_accepted():
    recipe = Recipe(split=(0.7, 0.2, 0.1 + 5e-7))  # float noise from a slider
    assert math.isclose(sum(recipe.split), 1.0, abs_tol=1e-6)


def test_not_json_is_refused():
    with pytest.raises(ConfigError, match="not valid JSON"):
        Recipe.from_json("{recipe")
