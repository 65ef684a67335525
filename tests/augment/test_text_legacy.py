"""``auglab.text_aug/1`` files rebuild exactly what they made; ``auglab.text_aug/2`` reads and writes.

``test_text_v1_golden.json`` (beside this file) holds the variants AugLab made before
``auglab.text_aug/2``: its ``script`` entry was run once at commit bf40fb1 (whose text engine is that of
e82dfcc, the last change to it before this format; its ``TextAugConfig`` read the ``configs`` entries as
its own format), and its ``how`` entry says so. The expectations here are that file, written by the
old code, not computed by the new.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.augment.text import (
    CONFIG_FORMAT,
    V1_FORMAT,
    TextAugConfig,
    augment_text,
    augment_text_detailed,
    augment_variants,
)
from core.dataset.recipe import Recipe
from core.errors import ConfigError
from core.experiment.recipe import ExperimentRecipe

GOLDEN = json.loads((Path(__file__).with_name("test_text_v1_golden.json")).read_text(encoding="utf-8"))
CONFIGS = [TextAugConfig.from_dict(c) for c in GOLDEN["configs"]]
# Every synonym filter off, and the draws of auglab.text_aug/1: what a /1 file means now.
V1_MEANS = {
    "pos_filter": False,
    "senses": 0,
    "untagged_senses": True,
    "inflect": False,
    "rarity_filter": False,
    "names_filter": False,
    "blocklist": False,
    "multiword_sr": True,
    "multiword_ri": True,
    "legacy_draws": True,
}


def test_golden_file_is_what_it_says():
    assert "bf40fb1" in GOLDEN["how"]
    assert {c["format"] for c in GOLDEN["configs"]} == {V1_FORMAT}
    assert len(GOLDEN["cases"]) == 380 and sum(bool(c["edits"]) for c in GOLDEN["cases"]) > 300


@pytest.mark.parametrize("number", range(len(CONFIGS)))  # each configuration of the golden file
def test_v1_configuration_rebuilds_its_variants(wn, number):
    cases = [c for c in GOLDEN["cases"] if c["config"] == number]
    config = CONFIGS[number]
    for case in cases:
        text = GOLDEN["texts"][case["text"]]
        out, edits = augment_text(text, config, case["seed"], case["index"], case["variant"])
        assert (out, [list(e) for e in edits]) == (case["out"], case["edits"]), case
    # The batch call and the detailed call give the same for the same numbers.
    first = cases[0]
    text = GOLDEN["texts"][first["text"]]
    batch = augment_variants(text, config, first["seed"], first["index"], count=4)
    assert [out for out, _ in batch] == [c["out"] for c in cases if c["text"] == first["text"]]
    detailed = augment_text_detailed(text, config, first["seed"], first["index"], first["variant"])
    assert detailed.text == first["out"]


def test_v1_configuration_survives_a_round_trip(wn):
    for config in CONFIGS:
        again = TextAugConfig.from_json(config.to_json())  # written as /2, legacy_draws kept
        assert again == config and json.loads(config.to_json())["format"] == CONFIG_FORMAT
    for key, value in V1_MEANS.items():
        assert all(getattr(config, key) == value for config in CONFIGS), key


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": V1_FORMAT, "pos_filter": True}, "not part of an auglab.text_aug/1"),  # a /2 key
        ({"format": V1_FORMAT, "alpha_noise": 0.2}, "not part of an auglab.text_aug/1"),  # another
        ({"format": V1_FORMAT, "typo": 1}, "Unknown setting(s) typo"),  # a key of neither
        ({"legacy_draws": True, "operations": ["SR", "KB"]}, "knows only SR, RI, RS, RD, PI"),  # new op
        ({"legacy_draws": True, "inflect": True}, "turn legacy_draws off"),  # a filter with the old draws
    ],
)
def test_v1_mistakes_are_named(data, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TextAugConfig.from_dict(data)


def test_defaults_are_filters_on_new_operations_off():
    config = TextAugConfig()
    assert config.operations == ("SR", "RI", "RS", "RD")
    assert (
        config.pos_filter,
        config.inflect,
        config.rarity_filter,
        config.names_filter,
        config.blocklist,
    ) == (True,) * 5
    assert (config.senses, config.untagged_senses, config.legacy_draws) == (2, False, False)
    assert config.to_dict()["format"] == "auglab.text_aug/2"
    assert TextAugConfig.from_dict({}) == config  # no tag: the current format


def recipe_v2(augmentation: dict) -> dict:
    return {
        "format": "auglab.recipe/2",
        "kind": "text",
        "inputs": ["sentences"],
        "augmentation": augmentation,
        "variants_per_original": 2,
        "seed": 5,
    }


def test_recipe_v2_text_augmentation_is_read_as_v1(wn):
    # A version 2 export recipe's text augmentation had no format tag: it is read as auglab.text_aug/1
    # (core.dataset.recipe tags it), so the archive it rebuilds is the one it made.
    settings = {key: value for key, value in GOLDEN["configs"][1].items() if key != "format"}
    config = Recipe.from_dict(recipe_v2(settings)).aug_config()
    assert config == CONFIGS[1]
    case = next(c for c in GOLDEN["cases"] if c["config"] == 1)
    assert (
        augment_text(GOLDEN["texts"][case["text"]], config, case["seed"], case["index"], case["variant"])[0]
        == (case["out"])
    )


def test_experiment_recipe_keeps_the_text_format_tag(wn):
    # auglab.experiment/1 stores aug_config(...).to_dict(): the tag it carries decides how it is read.
    base = {"format": "auglab.experiment/1", "kind": "text", "inputs": ["sentences"], "seed": 0}
    old = ExperimentRecipe.from_dict({**base, "augmentation": GOLDEN["configs"][0]})
    assert old.aug_config() == CONFIGS[0] and old.aug_config().legacy_draws
    new = ExperimentRecipe.from_dict({**base, "augmentation": TextAugConfig(operations=("KB",)).to_dict()})
    assert new.aug_config() == TextAugConfig(operations=("KB",))
    again = ExperimentRecipe.from_dict(json.loads(json.dumps(new.to_dict())))
    assert again.aug_config() == new.aug_config()
