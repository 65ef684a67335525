"""Tests for core.dataset.replay and ``python -m core export``: recipes (or archives) rebuilt headless.

Byte identity is the expectation wherever the inputs are the same: an archive rebuilt from its own
recipe.json, or from the archive itself, must equal the first one byte for byte. Counts of the built-in
samples are their documented sizes (1,797 digits, 7 photos, 24 reviews, 300 sentences).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from core.augment.image import ImageAugConfig
from core.cli.main import main
from core.data.images import DIGITS, load_digits
from core.dataset.plan import plan
from core.dataset.recipe import Recipe, SyntheticSource
from core.dataset.replay import load_recipe, run_export
from core.dataset.writer import export_images
from core.errors import ConfigError, InputError

AUG = ImageAugConfig(rotation_range=15, width_shift_range=0.1)
TEXT_AUG = {"operations": ["RS", "RD", "PI"]}  # no WordNet needed


def quiet(line: str) -> None:
    pass


def manifest_rows(path: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as zf:
        return list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))


def test_run_export_equals_the_direct_call(tmp_path):
    recipe = Recipe(inputs=("digits",), augmentation=AUG.to_dict(), seed=3, variants_per_original=1)
    summary = run_export(recipe, tmp_path / "cli.zip", notify=quiet)
    images = load_digits().images
    export_images(plan(recipe, [i.label for i in images]), images, [], recipe, tmp_path / "direct.zip")
    assert (tmp_path / "cli.zip").read_bytes() == (tmp_path / "direct.zip").read_bytes()
    train = summary.counts["train"].values()
    assert sum(c["augmented"] for c in train) == sum(c["original"] for c in train)  # one variant each
    assert summary.items == 1797 + sum(c["original"] for c in train)
    assert abs(summary.counts["train"]["3"]["original"] - 0.8 * 183) < 1  # 183 threes in the digits


@pytest.mark.parametrize(
    ("kind", "name", "originals"),
    [
        ("images", "digits", 1797),  # short name
        ("images", DIGITS, 1797),  # the pages' display name
        ("images", "photos", 7),  # every built-in, not only digits
        ("text", "reviews", 24),
        ("text", "sentences", 300),
    ],
)
def test_inputs_resolve_like_the_pages_and_the_cli(tmp_path, kind, name, originals):
    recipe = Recipe(kind=kind, inputs=(name,), augmentation={} if kind == "images" else TEXT_AUG)
    summary = run_export(recipe, tmp_path / "d.zip", notify=quiet)
    assert summary.items == originals


def test_text_recipe_reads_a_csv_path(tmp_path):
    source = tmp_path / "reviews.csv"
    source.write_text("text,label\nGreat value for money,pos\nBroke after a day,neg\nWorks well,pos\n")
    recipe = Recipe(kind="text", inputs=(str(source),), augmentation=TEXT_AUG, split=(1.0, 0.0, 0.0))
    summary = run_export(recipe, tmp_path / "t.zip", notify=quiet)
    assert summary.counts["train"]["pos"]["original"] == 2
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        assert b"Broke after a day" in zf.read("data.csv")


def test_missing_inputs_are_named(tmp_path):
    with pytest.raises(InputError, match=r"nowhere\.zip"):
        run_export(Recipe(inputs=("nowhere.zip",)), tmp_path / "a.zip", notify=quiet)
    with pytest.raises(ConfigError, match="no inputs"):
        run_export(Recipe(), tmp_path / "a.zip")
    with pytest.raises(ConfigError, match="does not exist"):
        run_export(Recipe(inputs=("digits",)), tmp_path / "no" / "a.zip", notify=quiet)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# Synthetic samples: regenerated from the checkpoint, checked against the recipe's sha256


@pytest.fixture(scope="module")
def gan_archive(tmp_path_factory):
    """An archive as the page writes it: digits, 2 synthetic per class from a checkpoint it carries."""
    from core.generators.checkpoint import checkpoint_hash, save_checkpoint
    from core.generators.gan import GANConfig, GANTrainer
    from core.generators.pool import samples_from_checkpoint

    classes = [str(d) for d in range(10)]
    trainer = GANTrainer(None, None, classes, GANConfig.dry_run(n_classes=10), device="cpu")
    weights = save_checkpoint(trainer.checkpoint())
    sha = checkpoint_hash(weights)
    pool = samples_from_checkpoint(weights, "gan.pt", "gan", 5, 2)
    recipe = Recipe(
        inputs=("digits",),
        seed=9,
        synthetic_per_class=2,
        max_total=1797 + 20,
        synthetic=(SyntheticSource(f"generators/{sha}.pt", sha, 5, 2),),  # what the page records
    )
    images = load_digits().images
    out = tmp_path_factory.mktemp("gan") / "dataset.zip"
    the_plan = plan(recipe, [i.label for i in images], [s.label for s in pool])
    export_images(the_plan, images, pool, recipe, out, extra_files={f"generators/{sha}.pt": weights})
    return out, sha, weights


def test_cli_rebuilds_an_archive_from_the_archive_itself(gan_archive, tmp_path, monkeypatch, capsys):
    archive, sha, _ = gan_archive
    monkeypatch.chdir(tmp_path)  # generators/<sha>.pt is not here: it is read from the archive
    assert main(["export", "--recipe", str(archive), "--out", "again.zip", "--quiet"]) == 0
    assert (tmp_path / "again.zip").read_bytes() == archive.read_bytes()
    assert f"{archive}: generators/{sha}.pt" in capsys.readouterr().err  # where the samples came from
    assert sum(r["source"] == "synthetic" for r in manifest_rows(tmp_path / "again.zip")) == 20


def test_rebuilt_from_the_unpacked_recipe(gan_archive, tmp_path, monkeypatch):
    archive, _, _ = gan_archive
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path)
    monkeypatch.chdir(tmp_path)  # the recipe's checkpoint path, generators/<sha>.pt, is here
    assert main(["export", "--recipe", "recipe.json", "--out", "again.zip", "--quiet"]) == 0
    assert (tmp_path / "again.zip").read_bytes() == archive.read_bytes()


def test_checkpoint_problems_are_named(gan_archive, tmp_path, monkeypatch, capsys):
    archive, sha, weights = gan_archive
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile(archive) as zf:
        recipe = json.loads(zf.read("recipe.json"))
    # A plain recipe.json whose checkpoint is nowhere: the path is named, and what to do.
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    assert main(["export", "--recipe", "recipe.json", "--out", "a.zip"]) == 2
    err = capsys.readouterr().err
    assert f"generators/{sha}.pt" in err and "--recipe" in err
    # Another checkpoint at that path: its sha256 is not the recipe's.
    (tmp_path / "generators").mkdir()
    (tmp_path / "generators" / f"{sha}.pt").write_bytes(weights + b"x")
    assert main(["export", "--recipe", "recipe.json", "--out", "a.zip"]) == 2
    err = capsys.readouterr().err
    assert f"generators/{sha}.pt: has sha256" in err and "not the recipe's" in err
    assert not (tmp_path / "a.zip").exists()


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_export_from_a_recipe_file(tmp_path, capsys):
    recipe = Recipe(inputs=("digits",), variants_per_original=0, max_total=1797)
    (tmp_path / "recipe.json").write_text(recipe.to_json())
    assert main(["export", "--recipe", str(tmp_path / "recipe.json"), "--out", str(tmp_path / "d.zip")]) == 0
    assert "1,797/1,797 examples" in capsys.readouterr().err
    assert len(manifest_rows(tmp_path / "d.zip")) == 1797


@pytest.mark.parametrize(
    ("content", "words"),
    [
        # a typo in a key
        (json.dumps({"inputs": ["digits"], "splitt": [1, 0, 0]}), "bad.json: Unknown setting(s) splitt"),
        # not JSON
        ("{oops", "bad.json: The recipe is not valid JSON"),
        # a recipe of an older AugLab: why it cannot be rebuilt, and what to do
        (json.dumps({"format": "auglab.recipe/1", "inputs": ["digits"]}), "bad.json: This recipe has format"),
        # no such file
        (None, "bad.json: does not exist"),
    ],
)
def test_cli_refuses_a_bad_recipe_naming_the_file(tmp_path, capsys, content, words):
    if content is not None:
        (tmp_path / "bad.json").write_text(content)
    assert main(["export", "--recipe", str(tmp_path / "bad.json"), "--out", str(tmp_path / "e.zip")]) == 2
    assert f"{tmp_path}/{words}" in capsys.readouterr().err
    assert not (tmp_path / "e.zip").exists()


def test_an_archive_of_an_older_auglab_is_refused_with_what_to_do(tmp_path):
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr("recipe.json", json.dumps({"format": "auglab.recipe/1", "inputs": ["digits"]}))
        zf.writestr("manifest.csv", "path\n")
    with pytest.raises(ConfigError) as err:
        load_recipe(old)
    message = str(err.value)
    assert message.startswith(f"{old}: recipe.json: This recipe has format auglab.recipe/1.")
    assert "older AugLab" in message and "byte for byte" in message and "auglab.recipe/3" in message
