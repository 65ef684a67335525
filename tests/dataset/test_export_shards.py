"""Tests for the sharded export with the local engine: shard planning, the per-item render shared with
the zip, the ImageFolder directory, resuming, and what a failed or killed writer leaves.

Expectations come from elsewhere: the zip the writer wrote before the render was factored out (its
sha256, recorded then), the zip of the same recipe (an ImageFolder directory must hold its members
byte for byte, a Parquet row its manifest row and PNG), pyarrow reading the files, hashlib.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scale_cases import ROOT, make_input_zip, manifest_of, recipe_for

import core.dataset.writer as w
from core.cli.main import main
from core.data.image_io import LoadedImage
from core.data.images import load_digits
from core.data.text_io import TextExample
from core.dataset.plan import Plan, PlannedItem, plan
from core.dataset.recipe import Recipe
from core.dataset.replay import run_export
from core.dataset.sharded import export_parquet_zip, export_sharded
from core.dataset.shards import INDEX_NAME, TMP_DIR, plan_shards, rows_per_shard
from core.dataset.writer import export_images, export_text
from core.errors import ConfigError
from core.generators.pool import SyntheticImage, SyntheticText


def quiet(line: str) -> None:
    pass


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """36 random 16x16 RGB originals in 3 class folders, as a zip."""
    return make_input_zip(tmp_path_factory.mktemp("in") / "originals.zip")


@pytest.fixture(scope="module")
def reference(source, tmp_path_factory) -> tuple[Path, Path]:
    """The recipe's zip (today's writer) and its Parquet folder (local engine, 16 rows per shard)."""
    root = tmp_path_factory.mktemp("ref")
    recipe = recipe_for(source)
    run_export(recipe, root / "dataset.zip", notify=quiet)
    export_sharded(recipe, root / "parquet", "parquet", shard_rows=16, notify=quiet)
    return root / "dataset.zip", root / "parquet"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the export's own bookkeeping, by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not str(p.relative_to(folder)).startswith((".auglab", INDEX_NAME))
    }


# --------------------------------------------------------------------------------------------------
# Planning


@pytest.mark.parametrize(
    ("total", "item_bytes", "shard_mb", "shard_rows", "expected"),
    [
        (10_000, 12_288, None, None, 313),  # 256 MB holds 20,833 items; 32 shards of ceil(10,000 / 32)
        (1_000_000, 12_288, None, None, 20_833),  # large: the size decides, 256e6 // 12,288
        (100, 12_288, None, None, 256),  # small: never below 256 rows a shard (one shard here)
        (1_000_000, 12_288, 1.0, None, 81),  # --shard-mb 1: 1e6 // 12,288
        (5, 12_288, 1.0, 7, 7),  # --shard-rows wins
        (1_000, 10**9, None, None, 1),  # an item larger than a shard: one per shard
    ],
)
def test_rows_per_shard(total, item_bytes, shard_mb, shard_rows, expected):
    assert rows_per_shard(total, item_bytes, shard_mb, shard_rows) == expected


@pytest.mark.parametrize(("shard_mb", "shard_rows"), [(0.0, None), (-1.0, None), (None, 0), (None, True)])
def test_bad_shard_sizes_are_refused(shard_mb, shard_rows):
    with pytest.raises(ConfigError, match="--shard"):
        rows_per_shard(100, 10, shard_mb, shard_rows)


def test_shards_cut_each_split_evenly_in_plan_order():
    # 10 train, 3 val, no test; 4 rows a shard: train 4 + 3 + 3, val 3 (hand-worked)
    items = [PlannedItem(s, "a", "original", i, None, None, f"{i}.png") for i, s in enumerate(["train"] * 10)]
    items += [PlannedItem("val", "a", "original", 10 + i, None, None, f"v{i}.png") for i in range(3)]
    the_plan = Plan("images", tuple(items), {"a": "a"})
    shards = plan_shards(the_plan, "parquet", 4)
    assert [(s.split, s.start, s.stop, s.name) for s in shards] == [
        ("train", 0, 4, "data/train-00000-of-00003.parquet"),
        ("train", 4, 7, "data/train-00001-of-00003.parquet"),
        ("train", 7, 10, "data/train-00002-of-00003.parquet"),
        ("val", 10, 13, "data/validation-00000-of-00001.parquet"),
    ]
    assert plan_shards(the_plan, "imagefolder", 4)[0].name == ".auglab/parts/train-00000-of-00003.csv"


# --------------------------------------------------------------------------------------------------
# One render for every writer: the zip is unchanged, the other formats hold its bytes

GOLDEN_AUG = {
    "rotation_range": 15,
    "width_shift_range": 0.1,
    "zoom_range": 0.1,
    "brightness_range": [0.8, 1.2],
    "horizontal_flip": True,
}


def golden_images():
    rng = np.random.default_rng(3)
    pool = [
        SyntheticImage(rng.integers(0, 256, (8, 8), dtype=np.uint8), str(k % 3), f"{k % 3:x}" * 64, 5, k)
        for k in range(9)
    ]
    rgb = [
        LoadedImage(f"=rgb{i}.png", rng.integers(0, 256, (12, 10, 3), dtype=np.uint8), "=x") for i in range(3)
    ]
    originals = list(load_digits().images[:120]) + rgb
    recipe = Recipe(
        augmentation=GOLDEN_AUG,
        seed=11,
        variants_per_original=2,
        synthetic_per_class=2,
        split=(0.6, 0.2, 0.2),
        balance="both",
    )
    return recipe, originals, pool


def golden_text():
    examples = [
        TextExample(f'Example number {i} says, "hello" to\nthe world.', "pos" if i % 3 else "neg", f"row {i}")
        for i in range(30)
    ] + [TextExample("=no label here at all", None, "row 30")]
    pool = [
        SyntheticText(f"synthetic line {k}", "neg", "cd" * 32, 9, k, {"temperature": 0.8}) for k in range(4)
    ]
    recipe = Recipe(
        kind="text",
        augmentation={"operations": ["RS", "RD", "PI"]},
        seed=4,
        variants_per_original=2,
        synthetic_per_class=3,
    )
    return recipe, examples, pool


def zip_before_the_render(the_plan, originals, synthetic, recipe, out, extra=None):
    """The writer's loops as they were before the per-item render was factored out of them (verbatim
    but for the names of the writer's helpers), on the writer's zip plumbing."""
    import csv

    from core.augment.image import augment
    from core.augment.text import augment_text
    from core.dataset.csv_cells import escape_cell

    config = recipe.aug_config()
    manifest = w._Manifest()
    jsonl = io.BytesIO()
    with w._atomic_zip(out) as zf:
        w._write_member(zf, "recipe.json", recipe.to_json().encode("utf-8") + b"\n")
        if recipe.kind == "images":
            cached = None
            for item in the_plan.items:
                row = {"params": "{}"}
                if item.source == "synthetic":
                    sample = synthetic[item.synthetic_index]
                    image = np.asarray(sample.array)
                    row.update(w._synthetic_row(sample, "gan"))
                else:
                    if cached is None or cached[0] != item.parent:
                        cached = (item.parent, np.asarray(originals[item.parent].array))
                    image = cached[1]
                    row.update(parent_id=item.parent, origin=str(getattr(originals[item.parent], "name", "")))
                    if item.source == "augmented":
                        image, params = augment(image, config, recipe.seed, item.parent, item.variant)
                        row.update(variant=item.variant, params=w._json(w._params(params)), seed=recipe.seed)
                data = w.encode_png(image)
                path = the_plan.path(item)
                w._write_stored(zf, path, data)
                sha = hashlib.sha256(data).hexdigest()
                manifest.add(
                    path=path, split=item.split, label=item.label, source=item.source, sha256=sha, **row
                )
        else:
            info = w._info("data.csv", zipfile.ZIP_DEFLATED)
            with zf.open(info, "w", force_zip64=True) as member:
                text_out = io.TextIOWrapper(member, encoding="utf-8", newline="")
                writer = csv.writer(text_out, lineterminator="\r\n")
                writer.writerow(w.TEXT_COLUMNS)
                for item in the_plan.items:
                    row = {"params": "[]" if item.source == "augmented" else "{}"}
                    if item.source == "synthetic":
                        sample = synthetic[item.synthetic_index]
                        text = sample.text
                        row.update(w._synthetic_row(sample, "lstm"))
                        row["params"] = w._json(getattr(sample, "settings", {}) or {})
                    else:
                        example = originals[item.parent]
                        text = example.text
                        row.update(parent_id=item.parent, origin=getattr(example, "origin", ""))
                        if item.source == "augmented":
                            text, edits = augment_text(text, config, recipe.seed, item.parent, item.variant)
                            row.update(
                                variant=item.variant,
                                params=w._json([w._edit(e) for e in edits]),
                                seed=recipe.seed,
                            )
                    writer.writerow(
                        [item.name, escape_cell(text), w._cell(item.label), item.split, item.source]
                    )
                    record = {"id": item.name, "text": text, "label": item.label}
                    record |= {"split": item.split, "source": item.source}
                    jsonl.write(w._json_line(record).encode("utf-8", "surrogatepass") + b"\n")
                    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
                    manifest.add(
                        path=item.name,
                        split=item.split,
                        label=item.label,
                        source=item.source,
                        sha256=sha,
                        **row,
                    )
                text_out.flush()
                text_out.detach()
            jsonl.seek(0)
            w._copy_member(zf, "data.jsonl", jsonl)
        manifest.text.flush()
        w._copy_member(zf, "manifest.csv", manifest.spool)
        w._write_extra(zf, extra)
    manifest.close()


@pytest.mark.parametrize(
    "case",
    [
        "images",  # digits, RGB originals, a synthetic pool, balancing, a label starting with "="
        "text",  # text rows with synthetic lines and an unlabelled example
    ],
)
def test_the_zip_is_byte_for_byte_what_it_was(tmp_path, case):
    recipe, originals, pool = golden_images() if case == "images" else golden_text()
    the_plan = plan(recipe, [o.label for o in originals], [s.label for s in pool])
    extra = {"generators/a.pt": b"w"}
    write = export_images if case == "images" else export_text
    write(the_plan, originals, pool, recipe, tmp_path / "now.zip", extra_files=extra)
    zip_before_the_render(the_plan, originals, pool, recipe, tmp_path / "before.zip", extra)
    assert (tmp_path / "now.zip").read_bytes() == (tmp_path / "before.zip").read_bytes()


def test_imagefolder_holds_the_zips_members(source, reference, tmp_path):
    archive, _ = reference
    summary = export_sharded(recipe_for(source), tmp_path / "dir", "imagefolder", shard_rows=16, notify=quiet)
    with zipfile.ZipFile(archive) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    assert files_of(tmp_path / "dir") == members  # same paths, same PNGs, manifest.csv, recipe.json
    assert summary.items == len(members) - 2 and summary.shards == summary.items // 16 + 2


def test_parquet_rows_are_the_zips_manifest_rows_and_pngs(tmp_path):
    recipe, originals, pool = golden_images()
    export_sharded(
        recipe, tmp_path / "pq", "parquet", shard_rows=40, loaded=(originals, pool, {}), notify=quiet
    )
    the_plan = plan(recipe, [o.label for o in originals], [s.label for s in pool])
    export_images(the_plan, originals, pool, recipe, tmp_path / "d.zip")
    with zipfile.ZipFile(tmp_path / "d.zip") as zf:
        manifest = manifest_of(zf.read("manifest.csv"))
        pngs = {row["path"]: zf.read(row["path"]) for row in manifest}
    files = sorted(
        (tmp_path / "pq" / "data").glob("*.parquet"), key=lambda p: ("trvate".index(p.name[:2]), p.name)
    )
    table = [row for f in files for row in pq.read_table(f).to_pylist()]
    names = json.loads(pq.read_schema(files[0]).metadata[b"huggingface"])["info"]["features"]["label"][
        "names"
    ]
    assert names == sorted({o.label for o in originals})
    assert len(table) == len(manifest) == len(the_plan)
    for row, entry in zip(table, manifest, strict=True):
        assert row["image"]["bytes"] == pngs[entry["path"]] and row["image"]["path"] == entry["path"]
        assert hashlib.sha256(row["image"]["bytes"]).hexdigest() == row["sha256"] == entry["sha256"]
        cells = {k: "" if v is None else str(v) for k, v in row.items() if k not in ("image", "label")}
        cells["label"] = names[row["label"]]
        cells["origin"] = "'" + cells["origin"] if cells["origin"].startswith("=") else cells["origin"]
        if cells["label"].startswith("="):
            cells["label"] = "'" + cells["label"]
        assert cells == {k: v for k, v in entry.items() if k != "path"}
    assert {r["source"] for r in table} == {"original", "augmented", "synthetic"}


def test_text_parquet_rows_are_the_zips_rows(tmp_path):
    recipe, examples, pool = golden_text()
    export_sharded(recipe, tmp_path / "pq", "parquet", loaded=(examples, pool, {}), notify=quiet)
    the_plan = plan(recipe, [e.label for e in examples], [s.label for s in pool])
    export_text(the_plan, examples, pool, recipe, tmp_path / "t.zip")
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        lines = [json.loads(line) for line in zf.read("data.jsonl").decode("utf-8").splitlines()]
    files = [
        tmp_path / "pq" / "data" / f"{s}-00000-of-00001.parquet" for s in ("train", "validation", "test")
    ]
    table = [row for f in files if f.exists() for row in pq.read_table(f).to_pylist()]
    names = ["neg", "pos"]
    got = [
        {"id": r["id"], "text": r["text"], "label": None if r["label"] is None else names[r["label"]]}
        | {"split": r["split"], "source": r["source"]}
        for r in table
    ]
    assert got == lines  # text exactly as made, the unlabelled row's label null
    assert all(r["sha256"] == hashlib.sha256(r["text"].encode()).hexdigest() for r in table)


def test_the_pages_parquet_zip_holds_the_folder(tmp_path):
    recipe, originals, pool = golden_images()
    checkpoints = {"generators/a.pt": b"w"}
    export_sharded(recipe, tmp_path / "pq", "parquet", loaded=(originals, pool, checkpoints), notify=quiet)
    calls = []
    summary = export_parquet_zip(
        recipe, originals, pool, tmp_path / "p.zip", lambda d, t: calls.append((d, t)), checkpoints
    )
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    # The CLI's folder byte for byte (shards, card, recipe, checkpoints, index), nothing else.
    assert members == files_of(tmp_path / "pq") | {INDEX_NAME: (tmp_path / "pq" / INDEX_NAME).read_bytes()}
    assert {n for n in members if n.startswith("data/")} == {
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
        "data/validation-00000-of-00001.parquet",
        "data/test-00000-of-00001.parquet",
    }
    assert calls[-1] == (summary.items, summary.items)
    assert summary.bytes_written == (tmp_path / "p.zip").stat().st_size
    export_parquet_zip(recipe, originals, pool, tmp_path / "again.zip", None, checkpoints)
    assert (tmp_path / "again.zip").read_bytes() == (tmp_path / "p.zip").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.zip", "p.zip", "pq"]  # no scratch left


def test_imagefolder_is_for_images_only(tmp_path):
    recipe, examples, pool = golden_text()
    with pytest.raises(ConfigError, match="imagefolder is for images"):
        export_sharded(recipe, tmp_path / "x", "imagefolder", loaded=(examples, pool, {}))


# --------------------------------------------------------------------------------------------------
# Resuming, refusing, failing


def test_a_finished_export_is_kept_and_a_damaged_shard_rewritten(source, reference, tmp_path):
    _, first = reference
    folder = tmp_path / "pq"
    export_sharded(recipe_for(source), folder, "parquet", shard_rows=16, notify=quiet)
    assert files_of(folder) == files_of(first)
    again = export_sharded(recipe_for(source), folder, "parquet", shard_rows=16, notify=quiet)
    assert again.skipped == again.shards and again.bytes_written == 0
    shards = sorted((folder / "data").glob("*.parquet"))
    shards[0].write_bytes(shards[0].read_bytes()[:-1] + b"x")  # damaged: its sha256 no longer matches
    shards[-1].unlink()  # gone
    notes: list[str] = []
    third = export_sharded(recipe_for(source), folder, "parquet", shard_rows=16, notify=notes.append)
    assert third.shards - third.skipped == 2
    assert f"{third.shards - 2:,} of {third.shards:,} shards were already written" in notes[0]
    assert files_of(folder) == files_of(first)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        # a folder with someone's files and no index
        (lambda d: (d.mkdir(), (d / "notes.txt").write_text("mine")), "holds no auglab-index.json"),
        # the export of another recipe (another seed): never mixed shard by shard
        ("other seed", "holds another export"),
        # a file where the folder should be
        (lambda d: d.write_text("x"), "is a file"),
    ],
)
def test_folders_that_hold_something_else_are_refused(source, tmp_path, setup, message):
    folder = tmp_path / "out"
    if setup == "other seed":
        export_sharded(recipe_for(source, seed=6), folder, "parquet", notify=quiet)
    else:
        setup(folder)
    before = sorted(p.name for p in folder.rglob("*")) if folder.is_dir() else None
    with pytest.raises(ConfigError, match=message):
        export_sharded(recipe_for(source), folder, "parquet", notify=quiet)
    assert (sorted(p.name for p in folder.rglob("*")) if folder.is_dir() else None) == before


def complete_shards_only(folder: Path) -> list[str]:
    """Every Parquet file under data/ must be in the index with its sha256 and read whole."""
    index = json.loads((folder / INDEX_NAME).read_text())
    names = sorted(str(p.relative_to(folder)) for p in (folder / "data").glob("*"))
    for name in names:
        assert index["shards"][name]["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert pq.read_table(folder / name).num_rows == index["shards"][name]["rows"]
    assert not index["complete"]
    return names


def test_a_failing_writer_leaves_no_half_shard_and_the_rerun_completes(
    source, reference, tmp_path, monkeypatch
):
    import core.dataset.writer as writer

    real = writer.image_renderer
    calls = [0]

    def failing(*args):
        render = real(*args)

        def wrapped(item):
            calls[0] += 1
            if calls[0] == 40:  # in the third shard of 16
                raise RuntimeError("disk on fire")
            return render(item)

        return wrapped

    monkeypatch.setattr(writer, "image_renderer", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        export_sharded(recipe_for(source), tmp_path / "pq", "parquet", shard_rows=16, notify=quiet)
    assert complete_shards_only(tmp_path / "pq") == [
        "data/train-00000-of-00006.parquet",
        "data/train-00001-of-00006.parquet",
    ]
    assert list((tmp_path / "pq" / TMP_DIR).iterdir()) == []  # its temporary file removed
    monkeypatch.setattr(writer, "image_renderer", real)
    summary = export_sharded(recipe_for(source), tmp_path / "pq", "parquet", shard_rows=16, notify=quiet)
    assert summary.skipped == 2
    assert files_of(tmp_path / "pq") == files_of(reference[1])


KILLER = """
import os, signal, sys
import core.dataset.writer as writer
real = writer.image_renderer
calls = [0]
def killing(*args):
    render = real(*args)
    def wrapped(item):
        calls[0] += 1
        if calls[0] == 40:
            os.kill(os.getpid(), signal.SIGKILL)
        return render(item)
    return wrapped
writer.image_renderer = killing
from core.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_export_leaves_complete_shards_only_and_resumes(source, reference, tmp_path):
    recipe_file = tmp_path / "recipe.json"
    recipe_file.write_text(recipe_for(source).to_json())
    args = ["export", "--recipe", str(recipe_file), "--out", str(tmp_path / "pq"), "--format", "parquet"]
    args += ["--shard-rows", "16", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, "-c", KILLER, *args], env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert len(complete_shards_only(tmp_path / "pq")) == 2
    assert len(list((tmp_path / "pq" / TMP_DIR).iterdir())) == 1  # the shard it was writing, not renamed
    assert main(args) == 0
    assert files_of(tmp_path / "pq") == files_of(reference[1])
    assert list((tmp_path / "pq" / TMP_DIR).iterdir()) == []


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_parquet_from_an_exported_archive(reference, tmp_path, capsys):
    archive, first = reference
    args = ["export", "--recipe", str(archive), "--out", str(tmp_path / "pq"), "--format", "parquet"]
    assert main([*args, "--shard-rows", "16"]) == 0
    err = capsys.readouterr().err
    assert "shards (" in err and "done)" in err and "wrote" in err  # progress with rate, then a summary
    assert files_of(tmp_path / "pq") == files_of(first)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "processes"], "--format zip writes one archive in one process"),  # zip is one file
        (["--format", "imagefolder", "--engine", "ray", "--workers", "0"], "must be at least 1"),  # argparse
    ],
)
def test_cli_refuses_what_cannot_be_done(reference, tmp_path, capsys, extra, message):
    archive, _ = reference
    args = ["export", "--recipe", str(archive), "--out", str(tmp_path / "x.zip"), *extra]
    try:
        status = main(args)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_cli_writes_text_as_parquet(tmp_path, capsys):
    recipe = Recipe(kind="text", inputs=("reviews",), augmentation={"operations": ["RS"]})
    (tmp_path / "r.json").write_text(recipe.to_json())
    out = tmp_path / "t"
    assert (
        main(["export", "--recipe", str(tmp_path / "r.json"), "--out", str(out), "--format", "parquet"]) == 0
    )
    assert "24/24 examples, 3/3 shards" in capsys.readouterr().err
    assert sum(pq.read_table(f).num_rows for f in (out / "data").glob("*.parquet")) == 24
    assert (out / "README.md").read_text().startswith("---\nconfigs:")
    assert (out / "recipe.json").read_bytes() == recipe.to_json().encode() + b"\n"  # the zip's recipe.json
