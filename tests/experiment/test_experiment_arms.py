"""Which examples each fit trains and tests on: pairing, nesting, no leakage, and the data checks.

Nothing is trained here: the :class:`~core.experiment.Experiment` is built and its training items are
read, which is what every fit trains on.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from experiment_data import MILD_DIGITS, digits, images, synthetic_images

from core.augment.image import ImageAugConfig, augment
from core.data.text_io import TextExample
from core.errors import AugLabError, ConfigError, InputError
from core.experiment import Experiment, ExperimentError, ExperimentRecipe, run_experiment
from core.experiment.arms import AUGMENTED, ORIGINAL, SYNTHETIC
from core.experiment.runner import FitSpec

ALL_ARMS = ("real", "real+augmented", "real+synthetic", "real+augmented+synthetic")
PER_CLASS = 20  # digits per class: 16 train + 4 test with test_fraction 0.2
K = 3


@pytest.fixture(scope="module")
def experiment() -> Experiment:
    recipe = ExperimentRecipe(
        inputs=("digits",),
        augmentation=MILD_DIGITS,
        variants_per_original=K,
        arms=ALL_ARMS,
        sizes=(0.25, 0.5, 1.0),
        repeats=3,
        seed=5,
    )
    # A pool of 30 samples per class, but only 20 of class "9": the largest size wants 16 x 3 = 48.
    pool_labels = [str(c) for c in range(10) for _ in range(30 if c != 9 else 20)]
    return Experiment(recipe, digits(PER_CLASS), synthetic_images(pool_labels))


def _by_source(items) -> dict[str, list]:
    out: dict[str, list] = {ORIGINAL: [], AUGMENTED: [], SYNTHETIC: []}
    for item in items:
        out[item.source].append(item)
    return out


def test_the_split_holds_every_original_once_with_four_test_digits_per_class(experiment) -> None:
    for repeat in range(3):
        plan = experiment.plan(repeat)
        assert sorted(plan.train + plan.test) == list(range(10 * PER_CLASS))
        assert Counter(experiment.labels[i] for i in plan.test) == dict.fromkeys(experiment.classes, 4)
    assert experiment.plan(0).test != experiment.plan(1).test  # each repeat draws its own split


def test_every_arm_of_a_repeat_and_size_trains_on_the_same_real_originals(experiment) -> None:
    for repeat in range(3):
        for size_index, fraction in enumerate((0.25, 0.5, 1.0)):
            reals = [
                [
                    (i.index, i.label)
                    for i in _by_source(experiment.training_items(FitSpec(repeat, size_index, "cnn", a)))[
                        ORIGINAL
                    ]
                ]
                for a in ALL_ARMS
            ]
            assert all(r == reals[0] for r in reals)
            # floor(fraction x 16 + 1/2) of each class's 16 train originals
            expected = math.floor(fraction * 16 + 0.5)
            assert Counter(label for _, label in reals[0]) == dict.fromkeys(experiment.classes, expected)


def test_sizes_are_nested_within_a_repeat(experiment) -> None:
    for repeat in range(3):
        subsets = [
            {i.index for i in experiment.training_items(FitSpec(repeat, s, "cnn", "real"))} for s in range(3)
        ]
        assert subsets[0] < subsets[1] < subsets[2]


def test_no_test_original_nor_any_variant_of_one_is_ever_trained_on(experiment) -> None:
    for spec in experiment.fits:
        test = set(experiment.plan(spec.repeat).test)
        items = experiment.training_items(spec)
        assert not {i.index for i in items if i.source in (ORIGINAL, AUGMENTED)} & test


def test_k_variants_of_each_training_original_and_synthetic_samples_per_class(experiment) -> None:
    items = experiment.training_items(FitSpec(1, 2, "cnn", "real+augmented+synthetic"))
    parts = _by_source(items)
    originals = {i.index for i in parts[ORIGINAL]}
    # Every training original has variants 0..K-1, and nothing else has any.
    variants = Counter(i.index for i in parts[AUGMENTED])
    assert variants == dict.fromkeys(originals, K)
    assert {i.variant for i in parts[AUGMENTED]} == set(range(K))
    # K synthetic samples per training original of the class (16 x 3 = 48), as far as the pool goes.
    per_class = Counter(i.label for i in parts[SYNTHETIC])
    assert per_class == {**{str(c): 30 for c in range(9)}, "9": 20}
    pool_labels = [s.label for s in experiment.synthetic]
    assert all(pool_labels[i.index] == i.label for i in parts[SYNTHETIC])
    assert len({i.index for i in parts[SYNTHETIC]}) == len(parts[SYNTHETIC])  # never twice
    assert any("'9': 48 synthetic samples wanted, 20 in the pool" in n for n in experiment.notes)


def test_variants_are_the_exports_pixels(experiment) -> None:
    """Variant v of original i is augment(image, config, seed, i, v), the export's own call."""
    config = ImageAugConfig.from_dict(MILD_DIGITS)
    for item in _by_source(experiment.training_items(FitSpec(0, 0, "cnn", "real+augmented")))[AUGMENTED][:12]:
        image = digits(PER_CLASS)[item.index].array
        expected, _ = augment(image, config, 5, item.index, item.variant)
        assert np.array_equal(experiment.bank.example(item)[..., 0], expected)


def test_the_real_arm_adds_nothing_and_the_synthetic_arm_no_variant(experiment) -> None:
    assert {i.source for i in experiment.training_items(FitSpec(0, 1, "cnn", "real"))} == {ORIGINAL}
    assert {i.source for i in experiment.training_items(FitSpec(0, 1, "cnn", "real+synthetic"))} == {
        ORIGINAL,
        SYNTHETIC,
    }


def test_fits_run_repeat_by_repeat_then_size_model_arm(experiment) -> None:
    order = [(f.repeat, f.size_index, f.model, f.arm) for f in experiment.fits]
    assert order == sorted(
        order, key=lambda t: (t[0], t[1], ("cnn", "linear").index(t[2]), ALL_ARMS.index(t[3]))
    )
    assert len(order) == 3 * 3 * 2 * 4


# ---------------------------------------------------------------------------------------------
# Data that cannot support the experiment: a sentence each


def _labels(counts: dict[str, int]) -> list[str]:
    return [label for label, n in counts.items() for _ in range(n)]


@pytest.mark.parametrize(
    "originals, overrides, message",
    [
        # unlabelled images
        (images(["a"] * 10 + [None] * 3), {}, "An experiment needs a label on every example, and 3 of 13"),
        # unlabelled text
        (
            [TextExample("some text", None, "line 1"), TextExample("more", "b", "line 2")],
            {"kind": "text"},
            "An experiment needs a label on every example, and 1 of 2 have none (e.g. line 1)",
        ),
        # one class only
        (
            images(["cat"] * 12),
            {},
            "needs at least two classes to tell apart, and every example is labelled 'cat'",
        ),
        # a class too small to give one test example and one training example
        (
            images(_labels({"a": 10, "b": 1})),
            {},
            "too small to split into train and test with test_fraction 0.2 ('b' has 1); with 5 examples",
        ),
        # a size fraction that leaves a class without a training example: 0.05 x 8 rounds to 0
        (
            images(_labels({"a": 40, "b": 10})),
            {"sizes": (0.05, 1.0)},
            "Size 0.05 leaves 1 class(es) without a training example ('b'",
        ),
        # more per class than a class has
        (
            images(_labels({"a": 40, "b": 10})),
            {"per_class": (12,)},
            "per_class 12 asks for more train originals than 1 class(es)",
        ),
        # a synthetic arm and no synthetic sample
        (
            images(_labels({"a": 10, "b": 10})),
            {"arms": ("real", "real+synthetic")},
            "need labelled synthetic samples",
        ),
        # no data at all
        ([], {}, "the inputs hold no example"),
    ],
)
def test_data_that_cannot_support_the_experiment_gets_a_sentence(originals, overrides, message) -> None:
    recipe = ExperimentRecipe(**overrides)
    with pytest.raises(ExperimentError) as caught:
        Experiment(recipe, originals)
    assert message in str(caught.value)
    assert isinstance(caught.value, AugLabError)


def test_the_smallest_size_that_keeps_a_class_is_suggested() -> None:
    with pytest.raises(ExperimentError, match=r"Use a size of at least 0\.063"):
        Experiment(ExperimentRecipe(sizes=(0.05,)), images(_labels({"a": 40, "b": 10})))


def test_synthetic_samples_of_unknown_classes_are_left_out_with_a_note() -> None:
    recipe = ExperimentRecipe(arms=("real", "real+synthetic"))
    pool = synthetic_images(["a", "a", "zebra", None])
    experiment = Experiment(recipe, images(_labels({"a": 10, "b": 10})), pool)
    assert [s.label for s in experiment.synthetic] == ["a", "a"]
    assert "2 synthetic samples have no label or a class the real data lacks; not used." in experiment.notes


@pytest.mark.parametrize(
    "recipe, error, message",
    [
        # a generator checkpoint that is not there
        (
            ExperimentRecipe(
                inputs=("digits",),
                arms=("real", "real+synthetic"),
                synthetic=({"checkpoint": "nowhere/gan.pt", "n": 5},),
            ),
            InputError,
            "nowhere/gan.pt: (a generator checkpoint of the recipe) is not a file here",
        ),
        # an input that is neither a built-in sample nor a file
        (
            ExperimentRecipe(inputs=("no_such_folder/cats.zip",)),
            InputError,
            "is not a built-in sample and not a file",
        ),
        # no inputs at all
        (ExperimentRecipe(), ConfigError, "The recipe has no inputs"),
    ],
)
def test_missing_inputs_and_checkpoints_are_named(recipe, error, message) -> None:
    with pytest.raises(error) as caught:
        run_experiment(recipe)
    assert message in str(caught.value)
