"""Tests for core.augment.codegen: every snippet is valid Python and says what the configuration says.

Snippets are checked by compiling them, parsing their arguments with ast, and running them on a small
image: AugLab's own, torchvision's and albumentations' (both installed for the benchmarks). Keras is not
installed, so its snippets are only parsed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from core.augment.codegen import (
    albumentations_snippet,
    auglab_snippet,
    keras3_snippet,
    keras_snippet,
    snippets,
    text_snippet,
    torchvision_snippet,
)
from core.augment.image import PRESETS, ImageAugConfig, augment
from core.augment.text import TextAugConfig, augment_text

CONFIGS = [
    pytest.param(ImageAugConfig(), id="identity"),
    pytest.param(
        ImageAugConfig(
            rotation_range=25,
            width_shift_range=0.15,
            height_shift_range=9,
            shear_range=12.5,
            zoom_range=(0.8, 1.2),
            horizontal_flip=True,
            vertical_flip=True,
            fill_mode="wrap",
            brightness_range=(0.7, 1.3),
            channel_shift_range=15,
            interpolation="nearest",
        ),
        id="everything",
    ),
    pytest.param(ImageAugConfig(horizontal_flip=True, fill_mode="reflect"), id="flip-only"),
    pytest.param(ImageAugConfig(zoom_range=(0.8, 1.25), fill_mode="constant", cval=128), id="zoom-constant"),
    # every step added after Keras' settings, fractions of the image for the crop
    pytest.param(
        ImageAugConfig(
            crop="random",
            crop_height=0.8,
            crop_width=20,
            resize_height=32,
            contrast_range=(0.8, 1.2),
            saturation_range=(0.5, 1.5),
            hue_range=(-0.1, 0.05),
            gamma_p=0.5,
            grayscale_p=0.2,
            autocontrast_p=0.1,
            equalize_p=0.1,
            posterize_p=0.2,
            solarize_p=0.1,
            sharpness_p=0.3,
            sharpness_range=(0.5, 2.0),
            blur_p=0.5,
            noise_p=0.5,
            jpeg_p=0.5,
            erase_p=0.5,
            erase_count=(1, 3),
            erase_fill="noise",
            policy="randaugment",
            channel_shift_range=10,
        ),
        id="added-steps",
    ),
    pytest.param(
        ImageAugConfig(crop="centre", crop_height=12, crop_width=10, policy="trivialaugment"), id="centre"
    ),
    pytest.param(ImageAugConfig(crop="random_resized", resize_width=24), id="random-resized-keep-aspect"),
    *[pytest.param(c, id=name) for name, c in PRESETS.items()],
]
LIBRARIES = [
    "AugLab",
    "torchvision.transforms.v2",
    "Keras 3 preprocessing layers",
    "albumentations",
    "Keras ImageDataGenerator",
]


def keyword_args(code: str, func: str) -> dict[str, object]:
    """The keyword arguments of the first call to ``func`` in ``code``, as Python values when literal."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == func:
                out: dict[str, object] = {}
                for kw in node.keywords:
                    try:
                        out[kw.arg] = ast.literal_eval(kw.value)
                    except ValueError:
                        out[kw.arg] = ast.unparse(kw.value)
                return out
    raise AssertionError(f"no call to {func} in:\n{code}")


@pytest.mark.parametrize("config", CONFIGS)
def test_every_snippet_compiles(config):
    found = snippets(config, seed=7)
    assert [s.library for s in found] == LIBRARIES
    for snippet in found:
        compile(snippet.code, "<snippet>", "exec")
        assert all(isinstance(d, str) and d for d in snippet.differences)
        if snippet.library != "AugLab":  # the other libraries' code runs outside this repository
            assert "core" not in {n.split(".")[0] for n in imported_modules(snippet.code)}


def imported_modules(code: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
    return found


@pytest.mark.parametrize("config", CONFIGS)
def test_auglab_snippet_embeds_the_same_config(config):
    code = auglab_snippet(config, seed=42).code
    match = re.search(r'from_json\("""\n(.*)\n"""\)', code, re.DOTALL)
    assert match, code
    assert ImageAugConfig.from_json(match.group(1)) == config
    assert json.loads(match.group(1)) == json.loads(config.to_json())  # format tag included
    assert "seed=42" in code


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(PRESETS["Strong geometry"], id="strong"),  # geometry and flips
        pytest.param(PRESETS["Any orientation"], id="any-orientation"),  # photometric too
    ],
)
def test_auglab_snippet_runs_and_reproduces_augment(config, tmp_path, monkeypatch, capsys):
    image = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / "photo.png")
    monkeypatch.chdir(tmp_path)
    exec(compile(auglab_snippet(config, seed=5).code, "<snippet>", "exec"), {})
    printed = capsys.readouterr().out
    for variant in range(4):
        expected, params = augment(image, config, 5, 0, variant)
        written = np.asarray(Image.open(tmp_path / f"photo_v{variant}.png"))
        np.testing.assert_array_equal(written, expected)
        assert repr(params) in printed


@pytest.mark.parametrize(
    ("fill_mode", "mentioned"),
    [
        ("constant", False),  # the same as torchvision's fill
        ("nearest", True),  # no torchvision equivalent: say so
        ("reflect", True),  # likewise
        ("wrap", True),  # likewise
    ],
)
def test_torchvision_mentions_fill_mode_difference(fill_mode, mentioned):
    config = ImageAugConfig(rotation_range=10, fill_mode=fill_mode, cval=9)
    snippet = torchvision_snippet(config)
    assert any("fill_mode" in d for d in snippet.differences) is mentioned
    assert keyword_args(snippet.code, "RandomAffine")["fill"] == 9


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # rotation only: degrees and defaults
        (ImageAugConfig(rotation_range=30), {"degrees": 30}),
        # fractions pass through as translate; zoom as scale; shear symmetric
        (
            ImageAugConfig(
                width_shift_range=0.1, height_shift_range=0.2, zoom_range=(0.9, 1.1), shear_range=8
            ),
            {"degrees": 0, "translate": (0.1, 0.2), "scale": (0.9, 1.1), "shear": (-8, 8)},
        ),
    ],
)
def test_torchvision_random_affine_arguments(config, expected):
    args = keyword_args(torchvision_snippet(config).code, "RandomAffine")
    for name, value in expected.items():
        assert args[name] == pytest.approx(value), name


@pytest.mark.parametrize(
    ("shifts", "translate"),
    [
        ((12, 0), None),  # a pixel shift alone: no translate at all
        ((0.1, 20), (0.1, 0.0)),  # the fraction stays, the pixel shift is left out
        ((1, 1), None),  # exactly 1 is already pixels
    ],
)
def test_torchvision_pixel_shift_is_flagged_and_left_out(shifts, translate):
    config = ImageAugConfig(width_shift_range=shifts[0], height_shift_range=shifts[1])
    snippet = torchvision_snippet(config)
    assert keyword_args(snippet.code, "RandomAffine").get("translate") == translate
    assert any("pixels" in d for d in snippet.differences)


def expected_size(config: ImageAugConfig, height: int, width: int) -> tuple[int, int]:
    """The output size the snippets should give for an image of this size (H = W = 224 assumed)."""
    rh, rw = config.resize_height, config.resize_width
    if config.crop in ("random", "centre"):
        # fractions of the assumed H = W = 224, or pixels
        height, width = (
            round(v * 224) if v <= 1 else int(v) for v in (config.crop_height, config.crop_width)
        )
    elif config.crop == "random_resized" and not (rh or rw):
        return 224, 224  # the snippets' assumed image size
    if rh and rw:
        return rh, rw
    if rh:
        return rh, rh  # keep the aspect of the assumed 224x224 image
    if rw:
        return rw, rw
    return height, width


@pytest.mark.parametrize("config", CONFIGS)
def test_torchvision_snippet_runs(config):
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    image = torch.randint(0, 256, (3, 36, 30), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    namespace: dict[str, object] = {"image": image}
    code = compile(torchvision_snippet(config, 3).code, "<snippet>", "exec")
    before = torch.get_rng_state()
    exec(code, namespace)
    out = namespace["out"]
    assert out.dtype == torch.uint8 and tuple(out.shape) == (3, *expected_size(config, 36, 30))
    # Seeded for its own call only: the caller's torch state is untouched and a second run repeats it.
    assert torch.equal(torch.get_rng_state(), before)
    exec(code, namespace)
    assert torch.equal(namespace["out"], out)


@pytest.mark.parametrize("config", CONFIGS)
def test_albumentations_snippet_runs(config):
    pytest.importorskip("albumentations")
    image = np.random.default_rng(0).integers(0, 256, (36, 30, 3), dtype=np.uint8)
    namespace: dict[str, object] = {"image": image}
    exec(compile(albumentations_snippet(config, 3).code, "<snippet>", "exec"), namespace)
    out = namespace["out"]
    assert out.dtype == np.uint8 and out.shape == (*expected_size(config, 36, 30), 3)


@pytest.mark.parametrize("config", CONFIGS)
def test_keras3_snippet_parses_and_names_only_keras_layers(config):
    code = keras3_snippet(config, 5).code
    tree = ast.parse(code)
    calls = {
        n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    assert "Sequential" in calls
    assert "seed=5" in code or not any(c.startswith("Random") for c in calls)


@pytest.mark.parametrize(
    ("config", "layer", "expected"),
    [
        # rotation as a fraction of a full turn
        (ImageAugConfig(rotation_range=36), "RandomRotation", {}),
        # AugLab's zoom z shows content z times larger; Keras' positive factor zooms out: 1 / z - 1
        (ImageAugConfig(zoom_range=(0.5, 2.0)), "RandomZoom", {}),
        # the flip probability and the erasing chance
        (
            ImageAugConfig(erase_p=0.25, erase_scale=(0.1, 0.2)),
            "RandomErasing",
            {"factor": 0.25, "scale": (0.1, 0.2)},
        ),
        (
            ImageAugConfig(policy="randaugment", policy_ops=3, policy_magnitude=15),
            "RandAugment",
            {"num_ops": 3, "factor": 0.5},
        ),
    ],
)
def test_keras3_arguments(config, layer, expected):
    code = keras3_snippet(config, 1).code
    call = next(
        n for n in ast.walk(ast.parse(code))
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == layer
    )  # fmt: skip
    args = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg in expected}
    assert set(args) == set(expected)
    for name, value in expected.items():
        assert args[name] == pytest.approx(value), name
    if layer == "RandomRotation":
        assert ast.literal_eval(call.args[0]) == pytest.approx(0.1)
    if layer == "RandomZoom":
        assert ast.literal_eval(call.args[0]) == pytest.approx((1 / 2.0 - 1, 1 / 0.5 - 1))


@pytest.mark.parametrize(
    ("config", "call", "expected"),
    [
        (
            ImageAugConfig(crop="random_resized", crop_scale=(0.3, 0.9), resize_height=32, resize_width=40),
            "RandomResizedCrop",
            {"scale": (0.3, 0.9)},
        ),
        (
            ImageAugConfig(contrast_range=(0.5, 1.5), hue_range=(-0.2, 0.2)),
            "ColorJitter",
            {"contrast": (0.5, 1.5), "hue": (-0.2, 0.2)},
        ),
        (ImageAugConfig(grayscale_p=0.3), "RandomGrayscale", {"p": 0.3}),
        (ImageAugConfig(posterize_p=0.4, posterize_bits=3), "RandomPosterize", {"bits": 3, "p": 0.4}),
        (
            ImageAugConfig(erase_p=0.6, erase_ratio=(0.5, 2.0)),
            "RandomErasing",
            {"p": 0.6, "ratio": (0.5, 2.0)},
        ),
        (
            ImageAugConfig(policy="randaugment", policy_ops=3, policy_magnitude=12),
            "RandAugment",
            {"num_ops": 3, "magnitude": 12},
        ),
    ],
)
def test_torchvision_arguments_of_the_added_steps(config, call, expected):
    args = keyword_args(torchvision_snippet(config).code, call)
    for name, value in expected.items():
        assert args[name] == pytest.approx(value), name


@pytest.mark.parametrize(
    ("config", "phrase"),
    [
        (ImageAugConfig(hue_range=(-0.1, 0.1)), "2-degree steps"),  # albumentations' coarse hue
        (ImageAugConfig(policy="randaugment"), "no RandAugment"),  # not in albumentations
        (ImageAugConfig(sharpness_p=0.5), "sharpness"),  # no equivalent
        (ImageAugConfig(erase_p=0.5, erase_count=(2, 3)), "one box"),  # Erasing erases one
    ],
)
def test_albumentations_differences_listed(config, phrase):
    assert any(phrase in d for d in albumentations_snippet(config).differences)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.values[0].on["any"]])
def test_image_data_generator_says_what_it_lacks(config):
    assert any("no equivalent" in d for d in keras_snippet(config).differences)


@pytest.mark.parametrize(
    ("zoom", "keras_zoom"),
    [
        ((0.8, 1.25), [1 / 1.25, 1 / 0.8]),  # inverts to [0.8, 1.25] again
        ((0.8, 1.2), [1 / 1.2, 1 / 0.8]),  # [0.8333, 1.25]: low and high swap roles
        ((0.5, 1.0), [1.0, 2.0]),  # only zooming out in AugLab = factors above 1 in Keras
        ((1.0, 1.0), None),  # zoom off: no argument
    ],
)
def test_keras_zoom_is_inverted(zoom, keras_zoom):
    snippet = keras_snippet(ImageAugConfig(zoom_range=zoom))
    args = keyword_args(snippet.code, "ImageDataGenerator")
    if keras_zoom is None:
        assert "zoom_range" not in args
    else:
        assert args["zoom_range"] == pytest.approx(keras_zoom, rel=1e-3)
        assert any("invert" in d for d in snippet.differences)


@pytest.mark.parametrize(
    ("config", "expected", "absent"),
    [
        # everything on, reflect fill: no cval
        (
            replace(
                PRESETS["Strong geometry"],
                fill_mode="reflect",
                brightness_range=(0.5, 1.5),
                channel_shift_range=10,
            ),
            {
                "rotation_range": 20,
                "width_shift_range": 0.2,
                "height_shift_range": 0.2,
                "shear_range": 10,
                "horizontal_flip": True,
                "vertical_flip": True,
                "fill_mode": "reflect",
                "brightness_range": [0.5, 1.5],
                "channel_shift_range": 10,
            },
            {"cval"},
        ),
        # constant fill carries cval; nothing else switched on
        (
            ImageAugConfig(fill_mode="constant", cval=30),
            {"fill_mode": "constant", "cval": 30},
            {"rotation_range"},
        ),
    ],
)
def test_keras_arguments(config, expected, absent):
    args = keyword_args(keras_snippet(config).code, "ImageDataGenerator")
    for name, value in expected.items():
        assert args[name] == value, name
    assert not absent & set(args)


@pytest.mark.parametrize(
    ("config", "phrase"),
    [
        (ImageAugConfig(interpolation="nearest"), "bilinearly"),  # Keras cannot do nearest
        (ImageAugConfig(width_shift_range=5), "whole pixels"),  # integer shift semantics
        (ImageAugConfig(shear_range=10), "shear"),  # different shear axis
        (ImageAugConfig(channel_shift_range=10), "channel"),  # per-channel vs shared shift
    ],
)
def test_keras_differences_listed(config, phrase):
    assert any(phrase in d for d in keras_snippet(config).differences)


@pytest.mark.parametrize(
    ("config", "seed"),
    [
        (TextAugConfig(operations=("RS", "RD")), 3),  # EDA's swap and deletion, one per variant
        (TextAugConfig(operations=("RS", "PI"), combine=True, n_aug=2, protected_words=("keep",)), 99),
    ],
)
def test_text_snippet_runs_and_reproduces_augment_text(config, seed, tmp_path, monkeypatch, capsys):
    lines = ["We keep the words we like and drop the others.", "Another line, with 3.5 numbers in it!"]
    (tmp_path / "examples.txt").write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    snippet = text_snippet(config, seed)
    exec(compile(snippet.code, "<snippet>", "exec"), {})
    expected = []
    for index, line in enumerate(lines):
        for variant in range(config.n_aug):
            text, edits = augment_text(line, config, seed, index, variant)
            expected.append(f"{text} {[(e.op, e.old, e.new) for e in edits]}")
    assert capsys.readouterr().out.splitlines() == expected
    assert snippet.differences and all(isinstance(d, str) and d for d in snippet.differences)
