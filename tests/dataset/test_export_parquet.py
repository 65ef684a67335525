"""Tests that a Parquet export reads in Hugging Face ``datasets`` unchanged: splits, counts, ClassLabel
labels, images, through the ``parquet`` builder and through the folder's dataset card.

Expected counts and labels come from the zip of the same recipe (its manifest), images from decoding
its PNGs with Pillow.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import datasets
import numpy as np
import pytest
from PIL import Image
from scale_cases import CLASSES, make_input_zip, manifest_of, recipe_for

from core.data.image_io import LoadedImage
from core.dataset.recipe import Recipe
from core.dataset.replay import run_export
from core.dataset.sharded import export_sharded

HF_NAMES = {"train": "train", "val": "validation", "test": "test"}


def quiet(line: str) -> None:
    pass


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The recipe as a zip and as Parquet (3 training shards), and the zip's manifest."""
    root = tmp_path_factory.mktemp("hf")
    source = make_input_zip(root / "originals.zip")
    recipe = recipe_for(source)
    run_export(recipe, root / "d.zip", notify=quiet)
    export_sharded(recipe, root / "pq", "parquet", shard_rows=30, notify=quiet)
    with zipfile.ZipFile(root / "d.zip") as zf:
        manifest = manifest_of(zf.read("manifest.csv"))
        pngs = {row["path"]: zf.read(row["path"]) for row in manifest}
    return root / "pq", manifest, pngs


@pytest.mark.parametrize(
    "how",
    [
        "builder",  # datasets.load_dataset("parquet", data_dir=...): features from the schema metadata
        "card",  # datasets.load_dataset(folder): the README's YAML header names the splits and features
    ],
)
def test_datasets_reads_splits_counts_and_class_labels(exported, how, tmp_path):
    folder, manifest, pngs = exported
    cache = str(tmp_path / "cache")  # not the user's ~/.cache/huggingface
    if how == "builder":
        loaded = datasets.load_dataset("parquet", data_dir=str(folder), cache_dir=cache)
    else:
        loaded = datasets.load_dataset(str(folder), cache_dir=cache)
    expected = Counter((HF_NAMES[r["split"]], r["label"].lstrip("'"), r["source"]) for r in manifest)
    assert set(loaded) == {"train", "validation", "test"}
    for split, ds in loaded.items():
        label = ds.features["label"]
        assert isinstance(label, datasets.ClassLabel) and label.names == sorted(CLASSES)
        assert isinstance(ds.features["image"], datasets.Image)
        got = Counter(
            (split, label.int2str(r["label"]), r["source"]) for r in ds.select_columns(["label", "source"])
        )
        assert got == Counter({k: v for k, v in expected.items() if k[0] == split})
    first = loaded["train"][0]
    png = np.asarray(Image.open(io.BytesIO(pngs[manifest[0]["path"]])))
    assert np.array_equal(np.asarray(first["image"]), png)


def test_unlabelled_examples_have_a_null_label(tmp_path):
    rng = np.random.default_rng(1)
    images = [
        LoadedImage(f"{i}.png", rng.integers(0, 256, (6, 6), dtype=np.uint8), "a" if i % 2 else None)
        for i in range(10)
    ]
    recipe = Recipe(inputs=("mine",), split=(1.0, 0.0, 0.0))
    export_sharded(recipe, tmp_path / "pq", "parquet", loaded=(images, [], {}), notify=quiet)
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "pq"), cache_dir=str(tmp_path / "c"))[
        "train"
    ]
    assert ds.features["label"].names == ["a"]
    assert sorted(ds["label"], key=lambda v: (v is None, v)) == [0] * 5 + [None] * 5
