"""The Export page with AppTest: blend what the Images / Text pages loaded, write it, open the archive."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()


def write(at: AppTest) -> zipfile.ZipFile:
    next(b for b in at.button if b.label == "Write the archive").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from ui.export_controls import LAST

    path, _ = at.session_state[LAST]
    return zipfile.ZipFile(io.BytesIO(Path(path).read_bytes()))


def test_without_data_the_page_says_where_to_load_it(home: AppTest) -> None:
    home.switch_page("pages/export.py").run()
    assert not home.exception
    assert "Images" in home.info[0].value


def test_digits_export_is_split_by_class_without_leakage_and_checksummed(home: AppTest) -> None:
    home.switch_page("pages/images.py").run()
    digits = next(o for o in home.selectbox(key="img.builtin").options if o.startswith("Digits"))
    home.selectbox(key="img.builtin").set_value(digits).run()
    home.switch_page("pages/export.py").run()
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
    home.switch_page("pages/export.py").run()
    home.segmented_control(key="export.kind").set_value("text").run()
    archive = write(home)
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open("data.csv"), encoding="utf-8")))
    assert {"text", "label", "split"} <= set(rows[0])
    assert sum(r["source"] == "original" for r in rows) == 24
    assert len(archive.read("data.jsonl").decode().splitlines()) == len(rows)


def test_the_empty_page_offers_the_digits_and_then_blends_them(home: AppTest) -> None:
    home.switch_page("pages/export.py").run()
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
    home.switch_page("pages/export.py").run()
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
    from core.dataset.blend import Recipe
    from core.dataset.export import run_export

    archive.extractall(tmp_path / "unpacked")
    monkeypatch.chdir(tmp_path / "unpacked")
    recipe = Recipe.from_json((tmp_path / "unpacked" / "recipe.json").read_text())
    run_export(recipe, tmp_path / "again.zip", notify=lambda line: None)
    from ui.export_controls import LAST

    assert (tmp_path / "again.zip").read_bytes() == Path(home.session_state[LAST][0]).read_bytes()
