"""The export job: a worker writes the archive the page showed, into the workspace, or refuses clearly.

Run in-process through the worker's own entry point (:func:`core.workspace.worker.run_job`, what
``python -m core worker`` calls) with the CLI's handlers; the expected archives are written here with the
writer directly, from originals decoded here, not through the job.
"""

from __future__ import annotations

import io
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.augment.image import ImageAugConfig
from core.cli.worker import handlers
from core.data.image_io import load_files
from core.data.text_io import paste_dataset
from core.dataset.digest import export_digest
from core.dataset.export_job import export_config
from core.dataset.plan import plan
from core.dataset.recipe import Recipe
from core.dataset.writer import export_images, export_text
from core.workspace import jobs
from core.workspace.store import Store
from core.workspace.worker import run_job


def png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def class_zip() -> bytes:
    """Two classes of five images, as a .zip of class folders."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(10):
            zf.writestr(f"{'cat' if i < 5 else 'dog'}/{i}.png", png(i))
    return out.getvalue()


def image_recipe(**changes) -> Recipe:
    fields = {
        "kind": "images",
        "inputs": ["pets.zip"],
        "augmentation": ImageAugConfig(rotation_range=20.0).to_dict(),
        "variants_per_original": 2,
        "split": [0.6, 0.2, 0.2],
        "seed": 5,
    }
    return Recipe.from_dict({**fields, **changes})


def run(store: Store, ws: str, config: dict) -> jobs.Job:
    job_id = jobs.submit(store, ws, "export", config)
    run_job(store, job_id, handlers(), threading.Event())
    return jobs.get(store, job_id, ws)


@pytest.fixture
def uploaded(tmp_path):
    store = Store(tmp_path / "home")
    ws = store.create()
    data = class_zip()
    sha = store.put(ws, data, "pets.zip")
    return store, ws, data, {"files": [{"name": "pets.zip", "sha256": sha}]}


def test_an_image_export_job_writes_the_archive_the_writer_makes_from_the_same_files(uploaded, tmp_path):
    store, ws, data, spec = uploaded
    recipe = image_recipe()
    originals = load_files([("pets.zip", data)]).images  # decoded here, as the page decodes uploads
    digest = export_digest(recipe, originals, [])
    job = run(store, ws, export_config(recipe, spec, digest))
    assert job.status == "finished", job.message
    expected = tmp_path / "expected.zip"
    export_images(plan(recipe, [o.label for o in originals], []), originals, [], recipe, expected)
    (artifact,) = store.artifacts(ws, "export.images")
    assert store.read(ws, artifact["sha256"]) == expected.read_bytes()
    assert job.result["archive"] == artifact["sha256"] and artifact["meta"]["digest"] == digest
    assert artifact["meta"]["items"] == 10 + 2 * 6  # every original, 2 variants of each of the 6 train ones
    # A second export replaces the first: one archive per kind is kept.
    other = image_recipe(variants_per_original=0)
    again = run(store, ws, export_config(other, spec, export_digest(other, originals, [])))
    assert again.status == "finished"
    assert [a["sha256"] for a in store.artifacts(ws, "export.images")] == [again.result["archive"]]


def test_a_parquet_export_job_writes_the_zipped_parquet_folder(uploaded, tmp_path):
    import pyarrow.parquet as pq

    store, ws, data, spec = uploaded
    recipe = image_recipe()
    originals = load_files([("pets.zip", data)]).images
    job = run(store, ws, export_config(recipe, spec, export_digest(recipe, originals, []), "parquet"))
    assert job.status == "finished", job.message
    (artifact,) = store.artifacts(ws, "export.images")
    assert artifact["name"] == "auglab_images_parquet.zip" and artifact["meta"]["format"] == "parquet"
    with zipfile.ZipFile(io.BytesIO(store.read(ws, artifact["sha256"]))) as zf:
        shards = [n for n in zf.namelist() if n.endswith(".parquet")]
        assert "recipe.json" in zf.namelist() and "README.md" in zf.namelist()
        rows = {}
        for name in shards:
            table = pq.read_table(io.BytesIO(zf.read(name)))
            split = name.split("/")[-1].split("-")[0]
            rows[split] = rows.get(split, 0) + table.num_rows
    # 6 train originals with 2 variants each, 2 validation and 2 test originals (split 0.6 / 0.2 / 0.2).
    assert rows == {"train": 6 * 3, "validation": 2, "test": 2}


def test_a_pasted_text_export_matches_what_the_page_shows(tmp_path):
    """The page digests paste_dataset(text); the worker reads the kept file: both must agree."""
    store = Store(tmp_path / "home")
    ws = store.create()
    text = "\n".join(f"{word} line number {i}" for i, word in enumerate(["alpha", "beta", "gamma"] * 4))
    sha = store.put(ws, text.encode(), "Pasted text")  # the name the Text page keeps it under
    recipe = Recipe.from_dict({"kind": "text", "inputs": ["Pasted text"], "variants_per_original": 0})
    shown = paste_dataset(text).examples
    job = run(
        store,
        ws,
        export_config(
            recipe, {"files": [{"name": "Pasted text", "sha256": sha}]}, export_digest(recipe, shown, [])
        ),
    )
    assert job.status == "finished", job.message
    expected = tmp_path / "expected.zip"
    export_text(plan(recipe, [e.label for e in shown], []), shown, [], recipe, expected)
    (artifact,) = store.artifacts(ws, "export.text")
    assert store.read(ws, artifact["sha256"]) == expected.read_bytes()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("digest", "changed since the page showed this export"),  # the data is not what the page showed
        ("missing", "holds no file"),  # the upload is gone from the workspace
        ("keys", '"recipe", "data", "digest" and at most "format"'),  # a malformed job
        ("format", "Unknown export format 'tar'"),  # a format the app does not write
    ],
)
def test_an_export_that_cannot_match_the_page_fails_with_a_sentence_and_writes_nothing(
    uploaded, case, expected
):
    store, ws, _, spec = uploaded
    config = export_config(image_recipe(), spec, "0" * 32)
    if case == "missing":
        config["data"]["files"][0]["sha256"] = "f" * 64
    if case == "keys":
        del config["digest"]
    if case == "format":
        config["format"] = "tar"
    job = run(store, ws, config)
    assert job.status == "failed" and expected in job.message, job.message
    assert store.artifacts(ws, "export.images") == []


def test_a_stopped_export_keeps_no_archive(uploaded):
    store, ws, data, spec = uploaded
    recipe = image_recipe()
    digest = export_digest(recipe, load_files([("pets.zip", data)]).images, [])
    job_id = jobs.submit(store, ws, "export", export_config(recipe, spec, digest))
    jobs.request_stop(store, job_id, ws)  # asked before the worker got to it
    run_job(store, job_id, handlers(), threading.Event())
    job = jobs.get(store, job_id, ws)
    assert job.status == "stopped" and store.artifacts(ws, "export.images") == []
