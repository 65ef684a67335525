"""The Export page with AppTest: blend what the Images / Text pages loaded, write it, open the archive."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from page_session import open_session
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
EXPORT = "pages/export.py"
DOWNLOAD = "Download the dataset (.zip)"


@pytest.fixture
def home() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()


def kept_archive(at: AppTest, kind: str = "images") -> bytes | None:
    """The last archive the page's export job kept in its workspace, read from the store on disk."""
    from core.workspace.store import Store

    store, ws = Store(), at.session_state["workspace.id"]
    kept = store.artifacts(ws, f"export.{kind}")
    assert len(kept) <= 1  # only the last archive is kept
    return store.read(ws, kept[0]["sha256"]) if kept else None


def write(at: AppTest, kind: str = "images") -> zipfile.ZipFile:
    """Click "Write the archive" and rerun the page (as its polling fragment does) until the export
    job, in a worker process, has finished and the page offers the download."""
    before = kept_archive(at, kind)
    next(b for b in at.button if b.label == "Write the archive").click().run()
    deadline = time.monotonic() + 120  # a worker starts in ~5 s; other tests share the machine
    while DOWNLOAD not in offered(at) or kept_archive(at, kind) in (None, before):
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert time.monotonic() < deadline, [p.proto.text for p in at.get("progress")]
        time.sleep(0.3)
        at.run()
    return zipfile.ZipFile(io.BytesIO(kept_archive(at, kind)))


def offered(at: AppTest) -> list[str]:
    """Labels of the download buttons the page shows."""
    return [element.proto.label for element in at.get("download_button")]


def load_digits_on_the_images_page(at: AppTest) -> None:
    at.switch_page("pages/images.py").run()
    digits = next(o for o in at.selectbox(key="img.builtin").options if o.startswith("Digits"))
    at.selectbox(key="img.builtin").set_value(digits).run()
    at.switch_page(EXPORT).run()


def test_the_archive_on_offer_is_always_the_one_of_what_is_shown(home: AppTest) -> None:
    from ui.export_controls import STALE

    load_digits_on_the_images_page(home)
    home.slider(key="export.variants").set_value(0).run()
    write(home)
    assert DOWNLOAD in offered(home) and home.success  # the archive of the 1,797 digits shown
    # 1. A new blend: the composition shows more examples than the archive holds; it is withdrawn.
    home.slider(key="export.variants").set_value(1).run()
    shown = int(home.subheader[0].value.removeprefix("Composition: ").split()[0].replace(",", ""))
    assert shown > 1797
    assert DOWNLOAD not in offered(home) and not home.success
    assert STALE in [info.value for info in home.info]
    # 2. Back to the blend it was made from: it is offered again (same inputs, same bytes).
    home.slider(key="export.variants").set_value(0).run()
    assert DOWNLOAD in offered(home) and not [i for i in home.info if i.value == STALE]
    # 2b. Another format: the zip of class folders is not what the page now asks for.
    home.radio(key="export.format").set_value("parquet").run()
    assert offered(home) == ["Download recipe.json"] and STALE in [info.value for info in home.info]
    home.radio(key="export.format").set_value("zip").run()
    assert DOWNLOAD in offered(home)
    # 3. Text mode never offers the image archive; each kind keeps its own last archive.
    home.switch_page("pages/text.py").run()  # loads the built-in reviews
    home.switch_page(EXPORT).run()
    home.segmented_control(key="export.kind").set_value("text").run()
    assert DOWNLOAD not in offered(home) and not home.success and not home.info
    archive = write(home, "text")
    assert "data.csv" in archive.namelist() and DOWNLOAD in offered(home)
    home.segmented_control(key="export.kind").set_value("images").run()
    assert DOWNLOAD in offered(home) and "1,797 examples" in home.success[0].value
    # 4. A reload (a new session on the same link), straight onto Export without opening the Images
    # page: the digits come back from the workspace's settings, and so does their archive.
    again = open_session(EXPORT, home.session_state["workspace.id"])
    assert not again.exception and not again.error
    assert DOWNLOAD in offered(again) and "1,797 examples" in again.success[0].value


def test_built_in_inputs_are_recorded_by_short_name(home: AppTest) -> None:
    load_digits_on_the_images_page(home)
    home.slider(key="export.variants").set_value(0).run()
    recipe = json.loads(write(home).read("recipe.json"))
    assert recipe["inputs"] == ["digits"] and recipe["format"] == "auglab.recipe/3"
    home.switch_page("pages/text.py").run()  # the built-in reviews
    home.switch_page(EXPORT).run()
    home.segmented_control(key="export.kind").set_value("text").run()
    assert json.loads(write(home, "text").read("recipe.json"))["inputs"] == ["reviews"]


def test_without_data_the_page_says_where_to_load_it(home: AppTest) -> None:
    home.switch_page(EXPORT).run()
    assert not home.exception
    assert "Images" in home.info[0].value


def test_digits_export_is_split_by_class_without_leakage_and_checksummed(home: AppTest) -> None:
    load_digits_on_the_images_page(home)
    home.slider(key="export.variants").set_value(1).run()
    archive = write(home)
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open("manifest.csv"), encoding="utf-8")))
    originals = [r for r in rows if r["source"] == "original"]
    assert len(originals) == 1797  # every original, once
    train_parents = {r["parent_id"] for r in originals if r["split"] == "train"}
    augmented = [r for r in rows if r["source"] == "augmented"]
    assert len(augmented) == len(train_parents)  # one variant per train original
    assert all(r["split"] == "train" and r["parent_id"] in train_parents for r in augmented)  # no leakage
    for row in rows[:: len(rows) // 50]:  # the recorded checksums match the files
        assert hashlib.sha256(archive.read(row["path"])).hexdigest() == row["sha256"]
        split, label = row["path"].split("/")[:2]
        assert (split, label) == (row["split"], row["label"])  # ImageFolder layout: split/class/file
    assert "recipe.json" in archive.namelist()


def test_text_export_has_csv_and_jsonl_with_splits(home: AppTest) -> None:
    home.switch_page("pages/text.py").run()  # loads the built-in reviews
    home.switch_page(EXPORT).run()
    home.segmented_control(key="export.kind").set_value("text").run()
    archive = write(home, "text")
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open("data.csv"), encoding="utf-8")))
    assert {"text", "label", "split"} <= set(rows[0])
    assert sum(r["source"] == "original" for r in rows) == 24
    assert len(archive.read("data.jsonl").decode().splitlines()) == len(rows)


def test_the_empty_page_offers_the_digits_and_then_blends_them(home: AppTest) -> None:
    home.switch_page(EXPORT).run()
    next(b for b in home.button if b.label.startswith("Or start from")).click().run()
    assert not home.exception
    assert home.subheader[0].value.startswith("Composition:")
    home.switch_page("pages/images.py").run()  # the Images page shows the same dataset
    assert home.selectbox(key="img.builtin").value.startswith("Digits")


def test_synthetic_digits_carry_their_generator_into_the_archive(
    home: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    home.switch_page("pages/gan.py").run()
    home.segmented_control(key="gan.budget_by").set_value("steps").run()
    home.number_input(key="gan.steps").set_value(30).run()
    next(b for b in home.button if b.label.startswith("Start")).click().run()
    deadline = time.monotonic() + 120
    while "Finished" not in " ".join(str(p.proto.text) for p in home.get("progress")):
        assert time.monotonic() < deadline
        time.sleep(0.5)
        home.run()
    home.number_input(key="gan.n").set_value(3).run()
    next(b for b in home.button if b.label == "Generate into the pool").click().run()
    home.switch_page("pages/images.py").run()
    digits = next(o for o in home.selectbox(key="img.builtin").options if o.startswith("Digits"))
    home.selectbox(key="img.builtin").set_value(digits).run()
    home.switch_page(EXPORT).run()
    home.slider(key="export.variants").set_value(0).run()
    home.number_input(key="export.per_class").set_value(3).run()
    archive = write(home)
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open("manifest.csv"), encoding="utf-8")))
    synthetic = [r for r in rows if r["source"] == "synthetic"]
    assert len(synthetic) == 30 and all(r["split"] == "train" for r in synthetic)  # 3 per class, train only
    digests = {r["generator_checkpoint_sha256"] for r in synthetic}
    assert len(digests) == 1
    (digest,) = digests
    checkpoint = archive.read(f"generators/{digest}.pt")  # the generator travels with its samples
    assert hashlib.sha256(checkpoint).hexdigest() == digest
    # Headless, in the unpacked archive: the recipe regenerates the same samples, byte for byte.
    from core.dataset.recipe import Recipe
    from core.dataset.replay import run_export

    archive.extractall(tmp_path / "unpacked")
    monkeypatch.chdir(tmp_path / "unpacked")
    recipe = Recipe.from_json((tmp_path / "unpacked" / "recipe.json").read_text())
    run_export(recipe, tmp_path / "again.zip", notify=lambda line: None)
    assert (tmp_path / "again.zip").read_bytes() == kept_archive(home)
