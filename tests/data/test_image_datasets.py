"""Tests for core.data.images: the built-in samples (offline), summaries and the class-count chart."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from skimage import data as skdata
from sklearn.datasets import load_digits as sk_load_digits
from sklearn.datasets import load_sample_images

from core.data.image_io import LoadedImage
from core.data.images import (
    BUILTIN,
    UNLABELLED,
    DatasetSummary,
    ImageDataset,
    SizeStats,
    load_digits,
    load_photos,
    summarize,
)
from core.present.charts import class_count_figure


def image(
    height: int, width: int, channels: int = 1, label: str | None = None, mode: str = "L"
) -> LoadedImage:
    shape = (height, width) if channels == 1 else (height, width, channels)
    return LoadedImage(f"{height}x{width}", np.zeros(shape, np.uint8), label, mode, ())


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --------------------------------------------------------------------------------------------------
# Digits


def test_digits_shape_labels_and_names() -> None:
    dataset = load_digits()
    raw = sk_load_digits()
    assert len(dataset.images) == 1797
    assert dataset.classes == [str(d) for d in range(10)]
    assert dataset.labelled and dataset.problems == []
    assert [img.label for img in dataset.images] == [str(t) for t in raw.target]
    assert dataset.images[3].name == "digits/0003.png"
    assert len({img.name for img in dataset.images}) == 1797
    for img in dataset.images:
        assert img.array.shape == (8, 8) and img.array.dtype == np.uint8
        assert not img.array.flags.writeable and img.array.flags.c_contiguous


def test_digits_values_are_scaled_from_0_16_to_0_255() -> None:
    raw = sk_load_digits().images  # floats 0.0 .. 16.0
    # round(v * 255 / 16) with halves rounded up; the only half, v = 8 -> 127.5, gives 128 either way.
    expected = np.floor(raw * 255.0 / 16.0 + 0.5)
    got = np.stack([img.array for img in load_digits().images])
    np.testing.assert_array_equal(got, expected)
    assert got.min() == 0 and got.max() == 255


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (0, 0),  # no ink -> black
        (1, 16),  # 255 / 16 = 15.94 -> 16
        (8, 128),  # 127.5 -> 128
        (16, 255),  # full ink -> white
    ],
)
def test_digit_levels(level: int, expected: int) -> None:
    raw = sk_load_digits().images
    index = np.argwhere(raw == level)[0]
    assert load_digits().images[index[0]].array[index[1], index[2]] == expected


# --------------------------------------------------------------------------------------------------
# Photos


def test_photos_load_offline_and_match_their_sources(no_network: None) -> None:
    dataset = load_photos()
    assert dataset.problems == []
    assert not dataset.labelled and dataset.classes == []
    by_name = {img.name: img for img in dataset.images}
    china, flower = load_sample_images().images
    expected = {
        "photos/astronaut.png": skdata.astronaut(),
        "photos/chelsea.png": skdata.chelsea(),
        "photos/coffee.png": skdata.coffee(),
        "photos/rocket.jpg": skdata.rocket(),
        "photos/camera.png": skdata.camera(),
        "photos/china.jpg": china,
        "photos/flower.jpg": flower,
    }
    assert set(by_name) == set(expected)
    for name, pixels in expected.items():
        np.testing.assert_array_equal(by_name[name].array, pixels)
    assert by_name["photos/camera.png"].channels == 1  # the one grayscale photo


def test_builtin_registry_loads_each_dataset(no_network: None) -> None:
    sizes = {name: len(loader().images) for name, loader in BUILTIN.items()}
    assert sizes == {
        "Digits (scikit-learn, 1,797 x 8x8, 10 classes)": 1797,
        "Photos (scikit-image / scikit-learn)": 7,
    }


# --------------------------------------------------------------------------------------------------
# ImageDataset and summaries


@pytest.mark.parametrize(
    ("labels", "classes", "labelled"),
    [
        ([], [], False),  # empty dataset
        ([None, None], [], False),  # photos without labels
        (["dog", "cat", "dog"], ["cat", "dog"], True),  # sorted, distinct
        (["b", None, "a"], ["a", "b"], True),  # unlabelled images are not a class
    ],
)
def test_dataset_classes(labels: list[str | None], classes: list[str], labelled: bool) -> None:
    dataset = ImageDataset("d", [image(2, 2, label=lab) for lab in labels], [])
    assert dataset.classes == classes
    assert dataset.labelled is labelled


SUMMARY_CASES = [
    # No images: zero counts and no size statistics.
    pytest.param([], DatasetSummary(0, {}, None, None, {}, {}), id="empty"),
    # Mixed classes, sizes, layouts and source modes; unlabelled goes last.
    pytest.param(
        [
            image(10, 20, 1, "dog", "L"),
            image(30, 40, 3, "cat", "RGB"),
            image(50, 60, 4, None, "P"),
            image(70, 80, 3, "dog", "CMYK"),
        ],
        DatasetSummary(
            total=4,
            class_counts={"cat": 1, "dog": 2, UNLABELLED: 1},
            width=SizeStats(20, 50.0, 80),  # median of 20, 40, 60, 80
            height=SizeStats(10, 40.0, 70),  # median of 10, 30, 50, 70
            layout_counts={"grayscale": 1, "RGB": 2, "RGBA": 1},
            source_mode_counts={"CMYK": 1, "L": 1, "P": 1, "RGB": 1},
        ),
        id="mixed",
    ),
    # Odd count: the median is the middle value.
    pytest.param(
        [image(5, 7, label="a"), image(1, 3, label="a"), image(9, 100, label="a")],
        DatasetSummary(3, {"a": 3}, SizeStats(3, 7.0, 100), SizeStats(1, 5.0, 9), {"grayscale": 3}, {"L": 3}),
        id="odd-median",
    ),
]


@pytest.mark.parametrize(("images", "expected"), SUMMARY_CASES)
def test_summarize(images: list[LoadedImage], expected: DatasetSummary) -> None:
    summary = summarize(images)
    assert summary == expected
    assert list(summary.class_counts) == list(expected.class_counts)  # order matters too


def test_summarize_digits() -> None:
    raw = sk_load_digits()
    summary = summarize(load_digits().images)
    assert summary.total == 1797
    assert summary.class_counts == {str(d): int((raw.target == d).sum()) for d in range(10)}
    assert summary.width == summary.height == SizeStats(8, 8.0, 8)


def test_class_count_figure() -> None:
    summary = summarize(
        [image(2, 2, label="9"), image(2, 2, label="10"), image(2, 2, label="10"), image(2, 2)]
    )
    figure = class_count_figure(summary)
    (bar,) = figure.data
    assert list(bar.x) == ["10", "9", UNLABELLED] and list(bar.y) == [2, 1, 1]
    assert figure.layout.xaxis.type == "category"  # "10" and "9" are names, not numbers
    assert figure.layout.title.text.startswith("Images per class")
    assert figure.layout.xaxis.title.text == "Class"
    assert figure.layout.yaxis.title.text == "Number of images"


def test_class_names_with_html_are_shown_as_written() -> None:
    # plotly reads <a href>, <b> and entities in its texts; a folder name must not become a link.
    summary = summarize(
        [image(2, 2, label='<a href="http://example.invalid">x</a>'), image(2, 2, label="R&D")]
    )
    (bar,) = class_count_figure(summary).data
    assert list(bar.x) == ['&lt;a href="http://example.invalid"&gt;x&lt;/a&gt;', "R&amp;D"]
