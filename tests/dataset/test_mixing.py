"""MixUp and CutMix at export (core.dataset.mixing): the plan, the pixels, the manifest, the soft labels.

Mixed pixels are recomputed here from the manifest with numpy (the weighted sum, a slice pasted) from
images made by ``augment``; partners and lambdas are checked against the documented rule, item by item,
without the plan around them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from core.augment.image import ImageAugConfig, augment
from core.data.images import load_digits
from core.dataset.mixing import plan_mix, read_soft_labels
from core.dataset.plan import plan
from core.dataset.reader import read_csv_member
from core.dataset.recipe import Recipe
from core.dataset.writer import export_images
from core.errors import ConfigError

AUG = ImageAugConfig(rotation_range=10, zoom_range=0.1)


def recipe(**kwargs) -> Recipe:
    base = {"inputs": ("digits",), "augmentation": AUG.to_dict(), "seed": 5, "variants_per_original": 2}
    return Recipe(**{**base, **kwargs})


@pytest.fixture(scope="module")
def digits():
    """The first 60 digits (six per class)."""
    return load_digits().images[:60]


def labels_of(images) -> list[str | None]:
    return [img.label for img in images]


# --------------------------------------------------------------------------------------------------
# The recipe


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mixing": "cutout"}, "mixing"),  # not a kind of mixing
        ({"mixing": "mixup", "mixing_p": 1.5}, "mixing_p"),  # not a probability
        ({"mixing": "mixup", "mixing_alpha": 0}, "mixing_alpha"),  # Beta(0, 0) is no distribution
        ({"kind": "text", "augmentation": {}, "mixing": "mixup"}, "images"),  # text cannot be mixed
    ],
)
def test_bad_mixing_settings_are_refused(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        recipe(**kwargs)


def test_a_version_2_recipe_loads_with_mixing_off_and_round_trips():
    old = {"format": "auglab.recipe/2", "inputs": ["digits"], "augmentation": AUG.to_dict(), "seed": 1}
    loaded = Recipe.from_dict(old)
    assert loaded.mixing == "none"
    mixed = recipe(mixing="both", mixing_p=0.3, mixing_alpha=0.4)
    assert Recipe.from_json(mixed.to_json()) == mixed


# --------------------------------------------------------------------------------------------------
# The plan


@pytest.mark.parametrize("mixing", ["mixup", "cutmix", "both"])
def test_each_item_is_planned_alone_from_seed_parent_and_variant(digits, mixing):
    r = recipe(mixing=mixing, mixing_p=0.6, mixing_alpha=0.7)
    the_plan = plan(r, labels_of(digits))
    train = sorted({i.parent for i in the_plan.items if i.split == "train" and i.source == "original"})
    labels = labels_of(digits)
    augmented = [i for i in the_plan.items if i.source == "augmented"]
    mixed = [i for i in augmented if i.mix is not None]
    assert 0.3 * len(augmented) < len(mixed) < 0.9 * len(augmented)  # p = 0.6 of 72 items
    for item in augmented:
        # Any shard recomputes any item from (seed, parent, variant) and the train list alone.
        again = plan_mix(r.seed, mixing, 0.6, 0.7, item.parent, item.variant, train, labels)
        assert again == item.mix
        if item.mix is None:
            assert item.label == labels[item.parent]
            continue
        spec = item.mix
        assert spec.partner in train and spec.partner != item.parent
        assert spec.kind in (("mixup", "cutmix") if mixing == "both" else (mixing,))
        assert 0.0 <= spec.lam <= 1.0
        # The image's folder is its majority label (its own on a tie).
        assert item.label == (labels[item.parent] if spec.lam >= 0.5 else labels[spec.partner])
        assert f"_{spec.kind}" in item.name and item.split == "train"
        if spec.kind == "cutmix":
            x0, y0, x1, y1 = spec.box
            assert 0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1
            assert spec.lam == pytest.approx(1 - (x1 - x0) * (y1 - y0))


def test_partners_cover_the_other_train_originals(digits):
    train = list(range(0, 60, 2))
    partners = Counter()
    for variant in range(600):
        spec = plan_mix(1, "mixup", 1.0, 1.0, 10, variant, train, labels_of(digits))
        partners[spec.partner] += 1
    assert set(partners) == set(train) - {10}  # every other train original, never the item's own
    # Uniform: Pearson's chi-square over the 29 partners has 28 degrees of freedom (mean 28); above 80
    # has a probability below 1e-6.
    expected = 600 / 29
    assert sum((n - expected) ** 2 / expected for n in partners.values()) < 80


def test_mixing_off_plans_exactly_as_before(digits):
    labels = labels_of(digits)
    before = plan(recipe(), labels)
    assert all(item.mix is None for item in before.items)
    assert plan(recipe(mixing="mixup", mixing_p=0.0), labels).items == before.items


def test_only_labels_move_counts_stay(digits):
    labels = labels_of(digits)
    plain = plan(recipe(), labels)
    mixed = plan(recipe(mixing="both", mixing_p=1.0), labels)
    key = lambda p: Counter((i.split, i.source) for i in p.items)  # noqa: E731
    assert key(plain) == key(mixed)
    assert {(i.parent, i.variant) for i in plain.items} == {(i.parent, i.variant) for i in mixed.items}


# --------------------------------------------------------------------------------------------------
# The archive


@pytest.fixture(scope="module")
def mixed_archive(digits, tmp_path_factory):
    r = recipe(mixing="both", mixing_p=0.8, mixing_alpha=1.0, split=(0.8, 0.2, 0.0))
    the_plan = plan(r, labels_of(digits))
    out = tmp_path_factory.mktemp("mix") / "dataset.zip"
    export_images(the_plan, digits, [], r, out)
    return r, the_plan, out


def test_mixed_pixels_and_manifest_are_what_the_rule_says(digits, mixed_archive):
    r, the_plan, out = mixed_archive
    config = r.aug_config()
    with zipfile.ZipFile(out) as zf:
        rows = {row["path"]: row for row in read_csv_member(zf, str(out), "manifest.csv")}
        checked = Counter()
        for item in the_plan.items:
            if item.mix is None:
                continue
            row = rows[the_plan.path(item)]
            mix = json.loads(row["params"])["mix"]
            own, _ = augment(digits[item.parent].array, config, r.seed, item.parent, item.variant)
            other, _ = augment(
                digits[mix["partner_id"]].array, config, r.seed, mix["partner_id"], item.variant
            )
            written = np.asarray(Image.open(io.BytesIO(zf.read(the_plan.path(item)))))
            if mix["kind"] == "mixup":
                lam = mix["lam"]
                expected = np.clip(np.rint(lam * own + (1 - lam) * other.astype(float)), 0, 255)
                assert np.abs(written.astype(int) - expected.astype(int)).max() <= 1
            else:
                x0, y0, x1, y1 = mix["box"]
                expected = own.copy()
                expected[y0:y1, x0:x1] = other[y0:y1, x0:x1]
                np.testing.assert_array_equal(written, expected)
                assert mix["lam"] == pytest.approx(1 - (x1 - x0) * (y1 - y0) / own.size, abs=1e-4)
            own_label, partner_label = digits[item.parent].label, digits[mix["partner_id"]].label
            expected_soft = Counter({own_label: mix["lam"]})
            expected_soft[partner_label] += 1 - mix["lam"]
            assert mix["soft_label"] == pytest.approx(dict(expected_soft), abs=1e-4)
            assert row["parent_id"] == str(item.parent) and mix["partner_variant"] == item.variant
            checked[mix["kind"]] += 1
    assert checked["mixup"] and checked["cutmix"]


def test_soft_labels_read_back_for_every_image(mixed_archive):
    _, the_plan, out = mixed_archive
    soft = read_soft_labels(out)
    assert set(soft) == {the_plan.path(i) for i in the_plan.items}
    for item in the_plan.items:
        weights = soft[the_plan.path(item)]
        assert sum(weights.values()) == pytest.approx(1.0, abs=1e-3)
        if item.mix is None:
            assert weights == {item.label: 1.0}
        else:
            # The folder's label holds the majority share.
            assert weights[item.label] >= 0.5 - 1e-3 or item.mix.lam < 0.5


def test_an_archive_without_mixing_is_byte_for_byte_the_same(digits, tmp_path):
    labels = labels_of(digits)
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    export_images(plan(recipe(), labels), digits, [], recipe(), a)
    off = recipe(mixing="cutmix", mixing_p=0.0)
    export_images(plan(off, labels), digits, [], off, b)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = [n for n in za.namelist() if n != "recipe.json"]  # the recipe names its own settings
        assert names == [n for n in zb.namelist() if n != "recipe.json"]
        for name in names:
            assert za.read(name) == zb.read(name), name
