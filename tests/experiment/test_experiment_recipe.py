"""The experiment recipe: JSON round trip, defaults, and a sentence naming the key for each bad value."""

from __future__ import annotations

import json

import pytest

from core.errors import ConfigError
from core.experiment import ExperimentRecipe
from core.experiment.recipe import EXPERIMENT_FORMAT


def test_defaults_are_two_arms_all_models_of_the_kind_five_repeats_and_all_the_data() -> None:
    images, text = ExperimentRecipe(inputs=("digits",)), ExperimentRecipe(kind="text", inputs=("reviews",))
    assert images.arms == ("real", "real+augmented") and images.repeats == 5 and images.test_fraction == 0.2
    assert images.models == ("cnn", "linear") and text.models == ("bag", "embed")
    assert images.size_values == (1.0,) and images.size_unit == "fraction"


@pytest.mark.parametrize(
    "recipe",
    [
        # images, counts per class, every arm, a synthetic source
        ExperimentRecipe(
            inputs=("digits",),
            augmentation={"rotation_range": 12, "zoom_range": 0.1},
            variants_per_original=10,
            synthetic=({"checkpoint": "gan.pt", "sha256": "ab" * 32, "seed": 3, "n": 20},),
            arms=("real", "real+augmented", "real+synthetic", "real+augmented+synthetic"),
            per_class=(10, 5),
            models=("cnn",),
            repeats=2,
            seed=9,
            image_size=16,
        ),
        # text, fractions, EDA's variants by size
        ExperimentRecipe(kind="text", inputs=("a.csv",), variants_per_original="eda", sizes=(0.5, 0.1)),
    ],
)
def test_a_recipe_survives_json(recipe: ExperimentRecipe) -> None:
    text = recipe.to_json()
    assert json.loads(text)["format"] == EXPERIMENT_FORMAT
    assert ExperimentRecipe.from_json(text) == recipe


def test_sizes_are_sorted_and_deduplicated() -> None:
    assert ExperimentRecipe(sizes=[0.5, 0.1, 0.5]).sizes == (0.1, 0.5)
    assert ExperimentRecipe(per_class=[20, 5, 20]).size_values == (5, 20)


@pytest.mark.parametrize(
    "data, message",
    [
        # a typo of "repeats": unknown keys are refused, never taken as a default
        ({"repeat": 3}, "Unknown setting(s) repeat in the experiment recipe"),
        # another file's format
        ({"format": "auglab.recipe/2"}, "This is an export recipe"),
        ({"format": "auglab.image_aug/1"}, "not an experiment recipe (auglab.experiment/1)"),
        # not an object
        (["digits"], "An experiment recipe must be a JSON object"),
        ({"kind": "audio"}, "kind must be one of 'images', 'text'"),
        ({"inputs": "digits"}, "inputs must be a list of names or file paths"),
        ({"label_column": None}, "label_column must name the labels' column"),
        ({"augmentation": {"rotation": 10}}, "Unknown setting(s) rotation in the image augmentation"),
        ({"augmentation": {"rotation_range": 500}}, "rotation_range (degrees) must be a number in [0, 180]"),
        ({"variants_per_original": -1}, "variants_per_original must be a whole number from 0"),
        ({"variants_per_original": "eda"}, 'variants_per_original "eda" is for text'),
        ({"arms": ["real+augmented"]}, 'arms must include "real"'),
        ({"arms": ["real", "real+noise"]}, "Each entry of arms must be one of"),
        (
            {"sizes": [0.0]},
            "Each entry of sizes (a fraction of the train originals) must be a number in (0, 1]",
        ),
        ({"sizes": [1.5]}, "must be a number in (0, 1]"),
        ({"sizes": [0.5], "per_class": [10]}, "Give sizes (fractions) or per_class (counts), not both"),
        ({"per_class": [0]}, "Each entry of per_class must be a whole number from 1"),
        ({"models": ["bag"]}, "Each entry of models must be one of 'cnn', 'linear'"),
        ({"repeats": 0}, "repeats must be a whole number from 1 to 100"),
        ({"test_fraction": 0.0}, "test_fraction must be a number in (0, 0.9]"),
        ({"seed": -1}, "seed must be a whole number from 0"),
        ({"epochs": 0}, "epochs must be a number in (0, 10000]"),
        ({"min_steps": 0}, "min_steps must be a whole number from 1"),
        ({"batch_size": 0}, "batch_size must be a whole number from 1 to 4,096"),
        ({"budget_s": 0}, "budget_s must be a number in (0, 86400]"),
        ({"image_size": 4}, "image_size (pixels) must be a whole number from 8 to 128"),
        ({"synthetic": [{"seed": 1}]}, "Each synthetic source needs a checkpoint path"),
        ({"synthetic_per_original": -2}, "synthetic_per_original must be a whole number from 0"),
    ],
)
def test_a_bad_recipe_is_refused_with_a_sentence_naming_the_key(data, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ExperimentRecipe.from_dict(data)
    assert message in str(caught.value)


def test_text_recipes_check_the_text_augmentation() -> None:
    with pytest.raises(ConfigError, match="Unknown operation"):
        ExperimentRecipe(kind="text", augmentation={"operations": ["XX"]})


@pytest.mark.parametrize(
    "examples, expected",
    [
        (100, 16),  # EDA's table: below 500 training examples, 16 variants each
        (1000, 16),  # the row of 500
        (2500, 8),  # the row of 2,000
        (9000, 4),  # the row of 5,000 and above
    ],
)
def test_eda_variants_follow_the_papers_table(examples: int, expected: int) -> None:
    recipe = ExperimentRecipe(kind="text", variants_per_original="eda")
    assert recipe.variants_for(examples) == expected
    assert ExperimentRecipe(variants_per_original=3).variants_for(examples) == 3


def test_synthetic_samples_per_original_default_to_the_variants() -> None:
    assert ExperimentRecipe().synthetic_for(7) == 7
    assert ExperimentRecipe(synthetic_per_original=2).synthetic_for(7) == 2
