"""Tests for core.data.sources: built-in samples by short or display name, files by path, and clear
errors naming whatever could not be resolved.

The samples' contents are checked against their origins (scikit-learn, the CSV in assets/, CPython's
pydoc_data), never against the loaders under test.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from pydoc_data.topics import topics

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from core.data.sources import (
    builtin_names,
    display_names,
    load_builtin_images,
    load_builtin_text,
    resolve_images,
    resolve_text,
    short_name,
)
from core.data.texts import pydoc_sentences
from core.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[2]


def png(value: int, size: tuple[int, int] = (6, 5)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full(size, value, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "shorts"),
    [
        ("images", ["digits", "photos"]),  # the image samples the CLI and recipes name
        ("text", ["reviews", "sentences", "pydoc"]),  # the text samples
    ],
)
def test_short_and_display_names_agree(kind: str, shorts: list[str]) -> None:
    assert builtin_names(kind) == shorts
    displays = display_names(kind)
    assert len(displays) == len(shorts) and len(set(displays)) == len(displays)
    assert [short_name(display) for display in displays] == shorts
    assert [short_name(short) for short in shorts] == shorts  # a short name is its own short name


@pytest.mark.parametrize(
    ("short", "count", "classes"),
    [
        ("digits", len(load_digits().target), [str(d) for d in range(10)]),  # scikit-learn's digits
        ("photos", 7, []),  # five scikit-image photos and scikit-learn's two, unlabelled
    ],
)
def test_image_samples_load_by_either_name(short: str, count: int, classes: list[str]) -> None:
    display = display_names("images")[builtin_names("images").index(short)]
    by_short, by_display = load_builtin_images(short), load_builtin_images(display)
    assert len(by_short.images) == len(by_display.images) == count
    assert by_short.classes == classes
    assert [i.name for i in by_short.images] == [i.name for i in by_display.images]


def _reviews_in_the_csv() -> int:
    return len((ROOT / "assets" / "sample_reviews.csv").read_text().strip().splitlines()) - 1  # less header


def _pydoc_lines() -> int:
    return sum(1 for text in topics.values() for line in text.splitlines() if line.strip())


@pytest.mark.parametrize(
    ("short", "count", "labels"),
    [
        ("reviews", _reviews_in_the_csv(), ["negative", "positive"]),  # assets/sample_reviews.csv
        ("sentences", 300, []),  # 300 prose sentences, unlabelled
        ("pydoc", _pydoc_lines(), []),  # every non-blank line of the documentation topics
    ],
)
def test_text_samples_load_by_either_name(short: str, count: int, labels: list[str]) -> None:
    display = display_names("text")[builtin_names("text").index(short)]
    by_short, by_display = load_builtin_text(short), load_builtin_text(display)
    assert len(by_short.examples) == count and by_short.labels == labels
    assert [e.text for e in by_short.examples] == [e.text for e in by_display.examples]


@pytest.mark.parametrize(
    ("load", "name", "listed"),
    [
        (load_builtin_images, "digitz", "digits, photos"),  # a typo
        (load_builtin_images, "reviews", "digits, photos"),  # a text sample asked for as images
        (load_builtin_text, "photos", "reviews, sentences, pydoc"),  # an image sample asked for as text
        (load_builtin_text, "", "reviews, sentences, pydoc"),  # nothing
    ],
)
def test_a_bad_sample_name_is_an_input_error_naming_it(load, name: str, listed: str) -> None:
    with pytest.raises(InputError) as info:
        load(name)
    assert info.value.name == name and listed in info.value.reason


@pytest.mark.parametrize(
    "resolve",
    [
        lambda path: resolve_images([path]),  # an image that does not exist
        lambda path: resolve_text([path]),  # a text file that does not exist
    ],
)
def test_a_missing_path_is_an_input_error_naming_it(resolve, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(InputError) as info:
        resolve(missing)
    assert info.value.name == missing and "not a file" in info.value.reason


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a file"):
        resolve_images([str(tmp_path)])


def test_image_paths_and_samples_mix_and_skipped_entries_name_the_archive(tmp_path: Path) -> None:
    (tmp_path / "one.png").write_bytes(png(9))
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cats/a.png", png(1))
        zf.writestr("cats/readme.txt", b"notes")
    said: list[str] = []

    dataset = resolve_images([str(tmp_path / "one.png"), str(archive), "photos"], notify=said.append)

    assert [i.name for i in dataset.images[:2]] == ["one.png", "cats/a.png"]
    assert len(dataset.images) == 2 + 7 and dataset.name == "3 inputs"
    assert said == [f"skipped {p}" for p in dataset.problems]
    assert said[0].startswith("skipped photos.zip: cats/readme.txt: is not an image")


def test_one_image_input_names_the_dataset_after_it(tmp_path: Path) -> None:
    (tmp_path / "one.png").write_bytes(png(9))
    assert resolve_images([str(tmp_path / "one.png")]).name == "one.png"
    assert resolve_images(["digits"]).name == display_names("images")[0]


CSV = b"review,stars,lang\nGreat phone,5,en\nTerrible,1,en\n"


@pytest.mark.parametrize(
    ("content", "options", "texts", "labels"),
    [
        # the default columns: text and label
        (b"text,label\nhello,pos\nbye,neg\n", {}, ["hello", "bye"], ["pos", "neg"]),
        # other column names
        (CSV, {"text_column": "review", "label_column": "stars"}, ["Great phone", "Terrible"], ["5", "1"]),
        # no label column
        (CSV, {"text_column": "review", "label_column": None}, ["Great phone", "Terrible"], [None, None]),
        # a file without a header row
        (
            b"Great phone,pos\nTerrible,neg\n",
            {"text_column": "column 1", "label_column": "column 2", "header": False},
            ["Great phone", "Terrible"],
            ["pos", "neg"],
        ),
    ],
)
def test_csv_paths_with_their_columns(
    content: bytes, options: dict, texts: list[str], labels: list, tmp_path: Path
) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes(content)
    dataset = resolve_text([str(path)], **options)
    assert [e.text for e in dataset.examples] == texts
    assert [e.label for e in dataset.examples] == labels
    assert dataset.name == "reviews.csv"


def test_a_missing_csv_column_is_an_input_error_listing_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes(CSV)
    with pytest.raises(InputError) as info:
        resolve_text([str(path)])  # no "text" column here
    assert info.value.name == "reviews.csv" and "'review', 'stars', 'lang'" in info.value.reason


def test_a_txt_path_and_a_sample_mix_and_notices_are_passed_on(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"first\n\nsecond\n")
    said: list[str] = []
    dataset = resolve_text([str(path), "reviews"], notify=said.append)
    assert [e.text for e in dataset.examples[:2]] == ["first", "second"]
    assert len(dataset.examples) == 2 + _reviews_in_the_csv()
    assert said and said[0].startswith("notes.txt: skipped 1 empty")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"count": 0}, 0),  # none asked for: none given (it used to give all of them)
        ({"count": 5}, 5),  # the first five
        ({"count": 3, "min_words": 6, "max_words": 6}, 3),  # exactly six words each
    ],
)
def test_pydoc_sentences_counts(arguments: dict, expected: int) -> None:
    sentences = pydoc_sentences(**arguments)
    assert len(sentences) == expected
    low, high = arguments.get("min_words", 6), arguments.get("max_words", 40)
    assert all(low <= len(s.split()) <= high for s in sentences)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"count": -1}, "count"),  # negative
        ({"min_words": 0}, "min_words"),  # an empty sentence
        ({"min_words": 10, "max_words": 5}, "max_words"),  # an empty range
        ({"count": 2.0}, "count"),  # not whole
    ],
)
def test_pydoc_sentences_refuses_bad_arguments(arguments: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        pydoc_sentences(**arguments)
