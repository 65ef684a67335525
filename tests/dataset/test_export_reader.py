"""Tests for core.dataset.reader: an archive read back per split, its recipe, its checksums, and messages
that name the archive and the entry.

Archives are made here with zipfile (by hand) or by the writer from small hand-made inputs; expectations
come from those inputs, not from the reader.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from core.data.image_io import LoadedImage
from core.data.text_io import TextExample
from core.dataset.plan import plan
from core.dataset.reader import load_export, load_text_export, read_csv_member, recipe_of, verify_archive
from core.dataset.recipe import Recipe
from core.dataset.writer import export_images, export_text
from core.errors import AugLabError, ConfigError, InputError

TEXTS = [
    # (text, label): risky cells for spreadsheets among ordinary ones, quotes and line breaks
    ('=HYPERLINK("http://x","y")', "pos"),
    ("-- awful", "-1"),
    ("'=kept exactly", "=neg"),
    ('He said "fine",\nthen left.', "pos"),
    ("\tindented", None),
    ("plain", "neg"),
]


def png(value: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((4, 4), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def image_archive(tmp_path_factory) -> tuple[bytes, list[LoadedImage]]:
    """12 hand-made images in classes a and b, split 50/25/25, one variant each."""
    images = [LoadedImage(f"{k}.png", np.full((5, 5), 20 * k, np.uint8), "ab"[k % 2]) for k in range(12)]
    recipe = Recipe(split=(0.5, 0.25, 0.25), variants_per_original=1, augmentation={"rotation_range": 5})
    out = tmp_path_factory.mktemp("reader") / "images.zip"
    export_images(plan(recipe, [i.label for i in images]), images, [], recipe, out)
    return out.read_bytes(), images


@pytest.fixture(scope="module")
def text_archive(tmp_path_factory) -> bytes:
    examples = [TextExample(text, label, f"row {k}") for k, (text, label) in enumerate(TEXTS)]
    recipe = Recipe(kind="text", augmentation={"operations": ["RS"]}, split=(0.5, 0.25, 0.25))
    out = tmp_path_factory.mktemp("reader") / "text.zip"
    export_text(plan(recipe, [e.label for e in examples]), examples, [], recipe, out)
    return out.read_bytes()


def test_image_export_loads_back_per_split(image_archive):
    data, images = image_archive
    per_split = load_export(data, "images.zip")
    # 6 per class: 3 train, 1.5 val and 1.5 test (the halves alternate between classes); 3 variants.
    sizes = {split: Counter(i.label for i in d.images) for split, d in per_split.items()}
    assert sizes["train"] == {"a": 6, "b": 6}
    assert sizes["val"] + sizes["test"] == {"a": 3, "b": 3}
    assert all(d.problems == [] for d in per_split.values())  # manifest.csv and recipe.json are no problem
    # Originals come back pixel for pixel.
    by_name = {i.name.rsplit("/", 1)[-1]: i.array for d in per_split.values() for i in d.images}
    for k, image in enumerate(images):
        np.testing.assert_array_equal(by_name[f"{k:06d}.png"], image.array)


def test_wrapped_export_with_a_validation_folder():
    # A user unpacks, renames val/ to validation/ and zips the folder again (one wrapping folder).
    data = zip_of(
        {
            "ds/train/cat/1.png": png(),
            "ds/train/dog/2.png": png(),
            "ds/validation/cat/3.png": png(),
            "ds/test/dog/4.png": png(),
            "ds/recipe.json": b"{}",
        }
    )
    per_split = load_export(data, "ds.zip")
    got = {split: [i.label for i in d.images] for split, d in per_split.items()}
    assert got == {"train": ["cat", "dog"], "val": ["cat"], "test": ["dog"]}


def test_torchvision_image_folder_reads_train(image_archive, tmp_path):
    datasets = pytest.importorskip("torchvision.datasets")
    data, _ = image_archive
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path)
    folder = datasets.ImageFolder(str(tmp_path / "train"))
    assert folder.classes == ["a", "b"]
    assert Counter(folder.classes[t] for t in folder.targets) == {"a": 6, "b": 6}


def test_text_export_reads_back_exactly(text_archive):
    per_split = load_text_export(text_archive, "text.zip")
    got = sorted((e.text, e.label) for d in per_split.values() for e in d.examples)
    assert got == sorted(TEXTS, key=lambda t: (t[0], t[1] or ""))
    # data.csv read through the reader undoes the spreadsheet guard: the same rows as data.jsonl.
    with zipfile.ZipFile(io.BytesIO(text_archive)) as zf:
        rows = read_csv_member(zf, "text.zip", "data.csv")
    assert sorted((r["text"], r["label"] or None) for r in rows) == got


def test_verify_archive_finds_swapped_files(image_archive, text_archive):
    data, _ = image_archive
    assert verify_archive(data, "images.zip") == []
    assert verify_archive(text_archive, "text.zip") == []  # rows are checked against data.jsonl
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    first, second = sorted(n for n in members if n.endswith(".png"))[:2]
    swapped = zip_of({**members, first: members[second]})
    assert verify_archive(swapped, "images.zip") == [
        f"images.zip: {first} does not match its manifest sha256."
    ]
    with zipfile.ZipFile(io.BytesIO(text_archive)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    edited = members["data.jsonl"].replace(b"plain", b"PLAIN")
    bad = verify_archive(zip_of({**members, "data.jsonl": edited}), "text.zip")
    assert len(bad) == 1 and bad[0].startswith("text.zip: ") and "does not match" in bad[0]


OLD_RECIPE = json.dumps({"format": "auglab.recipe/1", "inputs": ["digits"]}).encode()


@pytest.mark.parametrize(
    ("call", "members", "error", "words"),
    [
        # not a zip at all
        ("verify", None, InputError, "x.zip: is not a readable zip archive"),
        # a zip without the manifest
        ("verify", {"train/a/1.png": png()}, InputError, "x.zip: manifest.csv: is not in the archive"),
        # an image outside the split folders: not an export
        ("load", {"train/a/1.png": png(), "cat/2.png": png()}, InputError, "x.zip: cat/2.png: is outside"),
        # a broken line of data.jsonl
        (
            "text",
            {"data.jsonl": b'{"text": "a", "label": null, "split": "train"}\n{oops\n'},
            InputError,
            "x.zip: data.jsonl line 2: is not valid JSON",
        ),
        # a line that is JSON but not a row
        ("text", {"data.jsonl": b'{"text": 3}\n'}, InputError, "x.zip: data.jsonl line 1: is not a row"),
        # no recipe
        ("recipe", {"data.csv": b"id\n"}, InputError, "x.zip: recipe.json: is not in the archive"),
        # a recipe that is not JSON
        (
            "recipe",
            {"recipe.json": b"{nope"},
            ConfigError,
            "x.zip: recipe.json: The recipe is not valid JSON",
        ),
        # a recipe of an older AugLab, wrapped in a folder
        (
            "recipe",
            {"ds/recipe.json": OLD_RECIPE},
            ConfigError,
            "x.zip: ds/recipe.json: This recipe has format",
        ),
    ],
)
def test_messages_name_the_archive_and_the_entry(call, members, error, words):
    data = b"not a zip" if members is None else zip_of(members)
    run = {
        "verify": lambda: verify_archive(data, "x.zip"),
        "load": lambda: load_export(data, "x.zip"),
        "text": lambda: load_text_export(data, "x.zip"),
        "recipe": lambda: recipe_of(data, "x.zip"),
    }[call]
    with pytest.raises(error) as err:
        run()
    assert str(err.value).startswith(words)
    assert isinstance(err.value, AugLabError)


def test_unusable_members_are_named_with_their_archive():
    data = zip_of({"train/a/1.png": png(), "train/a/2.png": b"not a png"})
    problems = load_export(data, "x.zip")["train"].problems
    assert [p.name for p in problems] == ["x.zip: train/a/2.png"]
