"""Tests for ``python -m core``: run as a real subprocess, outputs decoded and compared in-process.

Each PNG written by ``augment`` is read back with Pillow and compared with core.augment.image.augment run
here on the same decoded input; params.jsonl is compared with the parameters that call returns.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.augment.image import ImageAugConfig, augment

REPO = Path(__file__).resolve().parents[1]

CONFIG = ImageAugConfig(
    rotation_range=20,
    width_shift_range=0.2,
    height_shift_range=3,
    shear_range=10,
    zoom_range=(0.8, 1.2),
    horizontal_flip=True,
    vertical_flip=True,
    fill_mode="reflect",
    brightness_range=(0.8, 1.2),
    channel_shift_range=20,
)


def run_core(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_png(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array).save(path)
    return path


@pytest.fixture(scope="module")
def augmented(tmp_path_factory):
    """One ``augment`` run over a gray, an RGB and an RGBA image, 3 variants each, seed 17."""
    root = tmp_path_factory.mktemp("augment")
    rng = np.random.default_rng(0)
    inputs = [
        write_png(root / "gray.png", rng.integers(0, 256, (12, 16), dtype=np.uint8)),
        write_png(root / "colour.png", rng.integers(0, 256, (15, 11, 3), dtype=np.uint8)),
        write_png(root / "alpha.png", rng.integers(0, 256, (9, 14, 4), dtype=np.uint8)),
    ]
    config_path = root / "config.json"
    config_path.write_text(CONFIG.to_json())
    out = root / "out"
    proc = run_core(
        "augment", *inputs, "--config", config_path, "--seed", "17", "--variants", "3", "--out", out
    )
    return proc, inputs, out


def test_augment_succeeds(augmented):
    proc, _, _ = augmented
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "wrote 9 variants" in proc.stderr


def test_augment_writes_k_pngs_per_input_and_a_params_line_each(augmented):
    _, inputs, out = augmented
    records = [json.loads(line) for line in (out / "params.jsonl").read_text().splitlines()]
    assert len(records) == 9
    assert sorted(p.name for p in out.glob("*.png")) == sorted(r["file"] for r in records)
    # Input order, then variant order.
    assert [(r["index"], r["variant"]) for r in records] == [(i, v) for i in range(3) for v in range(3)]
    assert [r["source"] for r in records] == [p.name for i, p in enumerate(inputs) for _ in range(3)]
    assert {r["seed"] for r in records} == {17}


@pytest.mark.parametrize(
    "index",
    [
        0,  # grayscale PNG stays grayscale
        1,  # RGB is written in RGB order (not OpenCV's BGR)
        2,  # RGBA keeps its alpha channel
    ],
)
def test_augment_pixels_and_params_match_in_process(augmented, index):
    _, inputs, out = augmented
    source = np.asarray(Image.open(inputs[index]))
    records = [json.loads(line) for line in (out / "params.jsonl").read_text().splitlines()]
    for record in records[index * 3 : index * 3 + 3]:
        expected, params = augment(source, CONFIG, 17, index, record["variant"])
        with Image.open(out / record["file"]) as im:
            written = np.asarray(im)
        assert written.shape == expected.shape
        np.testing.assert_array_equal(written, expected)
        assert record["params"] == json.loads(json.dumps(params.to_dict()))


def test_bad_inputs_are_reported_and_good_one_still_processes(tmp_path):
    good = write_png(tmp_path / "good.png", np.full((6, 6, 3), 90, np.uint8))
    text = tmp_path / "notes.png"
    text.write_text("this is not an image\n")
    missing = tmp_path / "nowhere.png"
    out = tmp_path / "out"
    proc = run_core("augment", missing, text, good, "--variants", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"skipped {missing}" in proc.stderr
    assert "skipped notes.png" in proc.stderr
    records = [json.loads(line) for line in (out / "params.jsonl").read_text().splitlines()]
    assert [r["source"] for r in records] == ["good.png", "good.png"]
    # The identity default config: variants equal the input.
    for record in records:
        np.testing.assert_array_equal(np.asarray(Image.open(out / record["file"])), np.full((6, 6, 3), 90))


def test_all_bad_inputs_exit_2(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    out = tmp_path / "out"
    proc = run_core("augment", text, tmp_path / "missing.jpg", "--out", out)
    assert proc.returncode == 2
    assert "No input image could be used" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "params.jsonl").exists()


@pytest.mark.parametrize(
    ("config_text", "phrase"),
    [
        ('{"rotation_range": 10', "not valid JSON"),  # truncated JSON
        ('{"rotation_range": 500}', "rotation_range"),  # out of range
        ('{"spin": 3}', "spin"),  # unknown key
        (None, "No such file"),  # the config file does not exist
        ('{"rotation_range": 1' + "0" * 400 + "}", "rotation_range"),  # a 401-digit integer
    ],
)
def test_invalid_config_exits_2_with_readable_message(tmp_path, config_text, phrase):
    image = write_png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    config = tmp_path / "config.json"
    if config_text is not None:
        config.write_text(config_text)
    proc = run_core("augment", image, "--config", config, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:") and phrase in proc.stderr


@pytest.mark.parametrize("variants", ["0", "10001"])  # below and above the allowed 1..10000
def test_variant_count_out_of_range_exits_2(tmp_path, variants):
    image = write_png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    proc = run_core("augment", image, "--variants", variants, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "--variants" in proc.stderr


def test_check_data_exits_0():
    proc = run_core("check-data")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok  ") >= 2


def test_inspect_prints_json_with_total(tmp_path):
    a = write_png(tmp_path / "a.png", np.zeros((4, 6), np.uint8))
    b = write_png(tmp_path / "b.png", np.zeros((5, 7, 3), np.uint8))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"")
    proc = run_core("inspect", a, b, bad)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["total"] == 2
    assert summary["layout_counts"] == {"grayscale": 1, "RGB": 1}
    assert "skipped bad.png" in proc.stderr


@pytest.mark.parametrize(
    ("inputs", "total", "problem"),
    [
        (["digits"], 1797, None),  # a built-in sample by its short name, as recipes name it
        (["photos", "nosuch.zip"], 7, "skipped nosuch.zip: is not a built-in sample"),  # named, not a crash
    ],
)
def test_inspect_takes_built_in_samples_by_name(inputs, total, problem):
    proc = run_core("inspect", *inputs)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == total
    assert (problem in proc.stderr) if problem else not proc.stderr.strip()
