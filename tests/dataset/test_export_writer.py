"""Tests for core.dataset.writer: the archive's layout, contents, provenance, determinism and atomicity.

PNGs are decoded with Pillow (not the OpenCV that wrote them) and compared with core.augment.image.augment
run here from the manifest's parent, variant and seed; checksums are recomputed with hashlib; CSV files
are read with the csv module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from core.augment.image import ImageAugConfig, augment
from core.augment.text import TextAugConfig, augment_text
from core.data.image_io import LoadedImage
from core.data.images import load_digits
from core.data.text_io import TextExample, load_csv
from core.dataset.plan import plan
from core.dataset.reader import verify_archive
from core.dataset.recipe import Recipe
from core.dataset.writer import export_images, export_text
from core.errors import ConfigError
from core.generators.pool import SyntheticImage, SyntheticText

AUG = ImageAugConfig(rotation_range=15, width_shift_range=0.1, zoom_range=0.1, brightness_range=(0.8, 1.2))
RECIPE = Recipe(
    inputs=("digits",),
    augmentation=AUG.to_dict(),
    seed=11,
    variants_per_original=2,
    synthetic_per_class=2,
    split=(0.6, 0.2, 0.2),
)


@pytest.fixture(scope="module")
def digits():
    """The first 150 digits (about 15 per class)."""
    return load_digits().images[:150]


@pytest.fixture(scope="module")
def pool():
    """Hand-made synthetic 8x8 images for classes 0 and 1, from two fake checkpoints."""
    rng = np.random.default_rng(3)
    return [
        SyntheticImage(rng.integers(0, 256, (8, 8), dtype=np.uint8), str(k % 2), f"{k % 2:x}" * 64, 5, k)
        for k in range(6)
    ]


@pytest.fixture(scope="module")
def exported(digits, pool, tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    the_plan = plan(RECIPE, [img.label for img in digits], [s.label for s in pool])
    calls = []
    summary = export_images(
        the_plan,
        digits,
        pool,
        RECIPE,
        root / "dataset.zip",
        progress=lambda done, total: calls.append((done, total)),
        extra_files={"generators/abc.pt": b"weights"},
    )
    data = (root / "dataset.zip").read_bytes()
    return the_plan, summary, data, calls


def manifest_rows(data: bytes) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_layout_and_summary(exported, digits):
    the_plan, summary, data, calls = exported
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    images = [n for n in names if n.endswith(".png")]
    assert names[0] == "recipe.json" and names[-2:] == ["manifest.csv", "generators/abc.pt"]
    assert len(images) == len(the_plan) == summary.items
    assert {n.split("/")[0] for n in images} == {"train", "val", "test"}
    assert all(len(n.split("/")) == 3 and n.split("/")[1] in "0123456789" for n in images)
    # Fixed date and permissions, PNGs stored, text deflated.
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.compress_type for i in infos if i.filename.endswith(".png")} == {zipfile.ZIP_STORED}
    assert {i.compress_type for i in infos if i.filename.endswith((".csv", ".json"))} == {
        zipfile.ZIP_DEFLATED
    }
    # 150 originals, 2 variants of each of the 90 train originals (0.6 x 15 per class), 2 + 2 synthetic.
    assert summary.counts["train"]["0"] == {"original": 9, "augmented": 18, "synthetic": 2}
    assert sum(c["original"] for s in summary.counts.values() for c in s.values()) == 150
    assert summary.bytes_written == len(data)
    assert calls[0] == (0, len(the_plan)) and calls[-1] == (len(the_plan), len(the_plan))
    assert json.loads(zipfile.ZipFile(io.BytesIO(data)).read("recipe.json")) == json.loads(RECIPE.to_json())


def test_manifest_checksums_and_provenance(exported, digits, pool):
    _, _, data, _ = exported
    rows = manifest_rows(data)
    assert verify_archive(data, "dataset.zip") == []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for row in rows:
            content = zf.read(row["path"])
            assert hashlib.sha256(content).hexdigest() == row["sha256"]
            image = decode(content)
            if row["source"] == "synthetic":
                sample = pool[int(row["sample_index"])]
                assert row["generator_checkpoint_sha256"] == sample.checkpoint_sha256
                assert row["seed"] == "5" and row["parent_id"] == "" and row["params"] == "{}"
                np.testing.assert_array_equal(image, sample.array)
                continue
            parent = digits[int(row["parent_id"])]
            assert row["label"] == parent.label == row["path"].split("/")[1]
            if row["source"] == "original":
                assert row["params"] == "{}" and row["origin"] == parent.name
                np.testing.assert_array_equal(image, parent.array)
            else:
                assert row["split"] == "train" and row["seed"] == "11"
                expected, params = augment(parent.array, AUG, 11, int(row["parent_id"]), int(row["variant"]))
                np.testing.assert_array_equal(image, expected)
                assert json.loads(row["params"]) == params.to_dict()


def test_no_val_or_test_original_has_relatives(exported):
    _, _, data, _ = exported
    rows = manifest_rows(data)
    held_out = {r["parent_id"] for r in rows if r["source"] == "original" and r["split"] != "train"}
    assert held_out
    assert not [r for r in rows if r["source"] == "augmented" and r["parent_id"] in held_out]
    assert {r["split"] for r in rows if r["source"] != "original"} == {"train"}


def test_deterministic_archive(exported, digits, pool, tmp_path):
    the_plan, _, data, _ = exported
    export_images(
        the_plan, digits, pool, RECIPE, tmp_path / "again.zip", extra_files={"generators/abc.pt": b"weights"}
    )
    assert (tmp_path / "again.zip").read_bytes() == data
    # The callable form of originals gives the same bytes.
    export_images(
        the_plan,
        lambda i: digits[i].array,
        pool,
        RECIPE,
        tmp_path / "callable.zip",
        extra_files={"generators/abc.pt": b"weights"},
    )
    rows = {r["path"]: r["sha256"] for r in manifest_rows((tmp_path / "callable.zip").read_bytes())}
    assert rows == {r["path"]: r["sha256"] for r in manifest_rows(data)}


def test_rgb_and_rgba_keep_their_colours(tmp_path):
    rng = np.random.default_rng(1)
    images = [
        LoadedImage("rgb.png", rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), "x"),
        LoadedImage("rgba.png", rng.integers(0, 256, (6, 4, 4), dtype=np.uint8), "x"),
    ]
    recipe = Recipe(split=(1.0, 0.0, 0.0))
    export_images(plan(recipe, ["x", "x"]), images, [], recipe, tmp_path / "c.zip")
    with zipfile.ZipFile(tmp_path / "c.zip") as zf:
        for k, image in enumerate(images):
            np.testing.assert_array_equal(decode(zf.read(f"train/x/{k:06d}.png")), image.array)


class Cancelled(Exception):
    pass


def test_failed_export_leaves_nothing(digits, tmp_path):
    recipe = Recipe(variants_per_original=1)
    the_plan = plan(recipe, [img.label for img in digits])

    def cancel(done, total):
        if done == 5:
            raise Cancelled

    with pytest.raises(Cancelled):
        export_images(the_plan, digits, [], recipe, tmp_path / "out.zip", progress=cancel)
    assert list(tmp_path.iterdir()) == []
    # An earlier archive at the destination survives a failed export untouched.
    (tmp_path / "out.zip").write_bytes(b"old")
    with pytest.raises(Cancelled):
        export_images(the_plan, digits, [], recipe, tmp_path / "out.zip", progress=cancel)
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]
    assert (tmp_path / "out.zip").read_bytes() == b"old"


# --------------------------------------------------------------------------------------------------
# Text

TEXT_AUG = TextAugConfig(operations=("RS", "RD", "PI"))  # no WordNet needed


def test_text_export(tmp_path):
    examples = [
        TextExample(f'Example number {i} says, "hello" to\nthe world.', "pos" if i % 3 else "neg", f"row {i}")
        for i in range(30)
    ] + [TextExample("no label here at all", None, "row 30")]
    pool = [
        SyntheticText(f"synthetic line {k}", "neg", "cd" * 32, 9, k, {"temperature": 0.8}) for k in range(4)
    ]
    recipe = Recipe(
        kind="text",
        augmentation=TEXT_AUG.to_dict(),
        seed=4,
        variants_per_original=2,
        synthetic_per_class=3,
    )
    the_plan = plan(recipe, [e.label for e in examples], [s.label for s in pool])
    summary = export_text(the_plan, examples, pool, recipe, tmp_path / "text.zip")
    data = (tmp_path / "text.zip").read_bytes()
    export_text(the_plan, examples, pool, recipe, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["recipe.json", "data.csv", "data.jsonl", "manifest.csv"]
        csv_bytes = zf.read("data.csv")
        lines = [json.loads(line) for line in zf.read("data.jsonl").decode("utf-8").splitlines()]
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8"), newline="")))
    manifest = manifest_rows(data)
    assert len(rows) == len(lines) == len(manifest) == len(the_plan) == summary.items
    assert Counter(r["source"] for r in rows) == {"original": 31, "augmented": 2 * 25, "synthetic": 3}
    for row, line, entry in zip(rows, lines, manifest, strict=True):
        assert line == {**row, "label": row["label"] or None}
        assert entry["path"] == row["id"] and entry["split"] == row["split"]
        assert entry["sha256"] == hashlib.sha256(row["text"].encode("utf-8")).hexdigest()
        if row["source"] == "augmented":
            parent = int(entry["parent_id"])
            assert row["split"] == "train"
            text, edits = augment_text(examples[parent].text, TEXT_AUG, 4, parent, int(entry["variant"]))
            assert row["text"] == text
            assert json.loads(entry["params"]) == [e._asdict() for e in edits]
        elif row["source"] == "original":
            assert row["text"] == examples[int(entry["parent_id"])].text
        else:
            assert row["split"] == "train" and entry["generator_checkpoint_sha256"] == "cd" * 32
    # Held-out examples have no variants; the CSV loads back with the app's own loader.
    held_out = {e["parent_id"] for e in manifest if e["source"] == "original" and e["split"] != "train"}
    assert held_out and not [e for e in manifest if e["source"] == "augmented" and e["parent_id"] in held_out]
    loaded = load_csv(csv_bytes, "data.csv", "text", "label")
    assert [(e.text, e.label) for e in loaded.examples] == [(r["text"], r["label"] or None) for r in rows]


def test_text_failure_leaves_nothing(tmp_path):
    recipe = Recipe(kind="text", augmentation=TEXT_AUG.to_dict(), variants_per_original=1)
    examples = [TextExample(f"line {i} of text", None) for i in range(10)]

    def cancel(done, total):
        if done == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        export_text(plan(recipe, [None] * 10), examples, [], recipe, tmp_path / "t.zip", progress=cancel)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="use export_text"):
        export_images(plan(recipe, [None] * 10), examples, [], recipe, tmp_path / "t.zip")


# --------------------------------------------------------------------------------------------------
# CSV cells a spreadsheet would run (OWASP's CSV injection)

RISKY = [
    # (text, label, origin of the original, what the csv module reads back from data.csv: text, label)
    (
        '=HYPERLINK("http://evil.example","click")',
        "pos",
        "a.csv row 2",
        ('\'=HYPERLINK("http://evil.example","click")', "pos"),
    ),
    ("+1 for this", "=1+1", "a.csv row 3", ("'+1 for this", "'=1+1")),  # a formula label too
    ("-- terrible", "-1", "a.csv row 4", ("'-- terrible", "-1")),  # numeric label kept as a number
    ("@home it works", "pos", "a.csv row 5", ("'@home it works", "pos")),
    ("\t=2", "neg", "a.csv row 6", ("'\t=2", "neg")),
    ("'=already quoted", "neg", "a.csv row 7", ("''=already quoted", "neg")),
    ("plain text", "neg", "=evil.csv row 8", ("plain text", "neg")),  # the origin goes to the manifest
]


def test_text_csv_cells_cannot_run_as_formulas(tmp_path):
    examples = [TextExample(text, label, origin) for text, label, origin, _ in RISKY]
    recipe = Recipe(kind="text", augmentation=TEXT_AUG.to_dict(), split=(1.0, 0.0, 0.0))
    export_text(plan(recipe, [e.label for e in examples]), examples, [], recipe, tmp_path / "t.zip")
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("data.csv").decode("utf-8"), newline="")))
        lines = [json.loads(line) for line in zf.read("data.jsonl").decode("utf-8").splitlines()]
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"), newline="")))
    by_id = {r["id"]: r for r in rows}
    exact = {line["id"]: line for line in lines}
    entry = {m["path"]: m for m in manifest}
    for k, (text, label, _origin, (csv_text, csv_label)) in enumerate(RISKY):
        row_id = f"{k:06d}"
        assert (by_id[row_id]["text"], by_id[row_id]["label"]) == (csv_text, csv_label)
        assert (exact[row_id]["text"], exact[row_id]["label"]) == (text, label)  # JSONL: the data, exact
        assert entry[row_id]["label"] == csv_label
        assert entry[row_id]["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()  # of the data
    assert entry["000006"]["origin"] == "'=evil.csv row 8"


def test_image_manifest_cells_cannot_run_as_formulas(tmp_path):
    images = [LoadedImage('=HYPERLINK("x").png', np.zeros((4, 4), np.uint8), "@cat")]
    recipe = Recipe(split=(1.0, 0.0, 0.0))
    export_images(plan(recipe, ["@cat"]), images, [], recipe, tmp_path / "i.zip")
    with zipfile.ZipFile(tmp_path / "i.zip") as zf:
        (row,) = csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"), newline=""))
        assert zf.namelist()[1] == "train/@cat/000000.png"  # the folder keeps the class name
    assert (row["origin"], row["label"], row["path"]) == (
        '\'=HYPERLINK("x").png',
        "'@cat",
        "train/@cat/000000.png",
    )


def test_text_archive_carries_its_generator_checkpoints(tmp_path):
    pool = [SyntheticText(f"line {k}", None, "ef" * 32, 1, k) for k in range(3)]
    recipe = Recipe(kind="text", augmentation=TEXT_AUG.to_dict(), synthetic_per_class=3)
    examples = [TextExample("an original", None)]
    the_plan = plan(recipe, [None], [None] * 3)
    export_text(the_plan, examples, pool, recipe, tmp_path / "t.zip", extra_files={"generators/x.pt": b"w"})
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        assert zf.namelist()[-1] == "generators/x.pt" and zf.read("generators/x.pt") == b"w"
