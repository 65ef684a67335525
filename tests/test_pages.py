"""Page tests with Streamlit's AppTest: the real scripts, run headless, driven like a user would."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.augment.image import PRESETS, ImageAugConfig

ROOT = Path(__file__).resolve().parents[1]
IMAGES = "pages/images.py"


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def home() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


@pytest.fixture
def images(home: AppTest) -> AppTest:
    return home.switch_page(IMAGES).run()


def grid_urls(at: AppTest) -> list[str]:
    """Media URLs of the variant grids (content-addressed: new pixels, new URL)."""
    return [image.value[0] for image in at.image if image.captions[0].startswith("Variants")]


def no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_home_says_nothing_is_loaded_yet(home: AppTest) -> None:
    assert not home.exception
    assert "Nothing loaded yet" in home.info[0].value


def test_images_page_opens_with_photos_and_a_preview(images: AppTest) -> None:
    no_failure(images)
    assert images.selectbox(key="img.builtin").value.startswith("Photos")
    assert len(grid_urls(images)) == 2  # the first two photos are selected
    table = next(d.value for d in images.dataframe if "variant" in d.value.columns)
    assert list(table["variant"]) == [f"v{i}" for i in range(8)]  # 8 variants by default
    assert images.slider(key="img.rotation_range").value == PRESETS["Mild, photos"].rotation_range


def test_moving_a_slider_changes_the_preview_and_moving_it_back_restores_it(images: AppTest) -> None:
    before = grid_urls(images)
    images.slider(key="img.rotation_range").set_value(90.0).run()
    no_failure(images)
    changed = grid_urls(images)
    assert changed[0] != before[0] and changed[1] != before[1]
    images.slider(key="img.rotation_range").set_value(PRESETS["Mild, photos"].rotation_range).run()
    assert grid_urls(images) == before  # same settings, same seed: identical pixels


def test_reroll_adds_one_to_the_seed_and_gives_new_variants(images: AppTest) -> None:
    before = grid_urls(images)
    images.button[0].click().run()  # the only button: Reroll
    assert images.number_input(key="img.seed").value == 1
    assert grid_urls(images)[0] != before[0]


def test_a_preset_replaces_every_setting(images: AppTest) -> None:
    images.selectbox(key="img.preset").set_value("Strong geometry").run()
    no_failure(images)
    strong = PRESETS["Strong geometry"]
    assert images.slider(key="img.rotation_range").value == strong.rotation_range
    assert images.toggle(key="img.vertical_flip").value is True
    assert images.selectbox(key="img.fill_mode").value == strong.fill_mode
    assert images.selectbox(key="img.preset").value is None  # an action, shown as a prompt again


def test_settings_survive_switching_pages(images: AppTest) -> None:
    images.slider(key="img.shear_range").set_value(33.0).run()
    images.number_input(key="img.seed").set_value(42).run()
    images.switch_page("pages/home.py").run()
    # the home page sees the loaded dataset: 5 scikit-image photos and scikit-learn's 2 sample images
    assert (images.metric[0].label, images.metric[0].value) == ("Images", "7")
    images.switch_page(IMAGES).run()
    assert images.slider(key="img.shear_range").value == 33.0
    assert images.number_input(key="img.seed").value == 42


def test_loading_a_json_configuration_sets_every_control(images: AppTest) -> None:
    config = ImageAugConfig(rotation_range=33, zoom_range=(0.7, 1.4), fill_mode="wrap", vertical_flip=True)
    images.file_uploader(key="img.config_file").upload(
        "mine.json", config.to_json().encode(), "application/json"
    )
    images.run()
    no_failure(images)
    assert images.slider(key="img.rotation_range").value == 33.0
    assert images.slider(key="img.zoom_range").value == (0.7, 1.4)
    assert images.selectbox(key="img.fill_mode").value == "wrap"
    assert images.toggle(key="img.vertical_flip").value is True
    assert any("Loaded mine.json" in s.value for s in images.success)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not valid JSON"),  # broken JSON
        (json.dumps({"rotation_range": -5}).encode(), "rotation_range"),  # out of range
        (json.dumps({"spin": 3}).encode(), "Unknown setting(s) spin"),  # a key AugLab does not know
    ],
)
def test_a_bad_configuration_is_refused_with_its_name_and_the_page_goes_on(
    images: AppTest, content: bytes, fragment: str
) -> None:
    before = images.slider(key="img.rotation_range").value
    images.file_uploader(key="img.config_file").upload("bad.json", content, "application/json")
    images.run()
    assert not images.exception
    message = images.error[0].value
    assert "bad.json" in message and fragment in message
    assert images.slider(key="img.rotation_range").value == before  # nothing changed
    assert len(grid_urls(images)) == 2  # the preview still shows


def test_uploads_load_the_good_files_and_name_the_bad_ones(images: AppTest) -> None:
    rng = np.random.default_rng(0)
    good = png_bytes(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cats/a.png", good)
        zf.writestr("../escape.png", good)
    images.radio(key="img.source").set_value("Upload files").run()
    images.file_uploader(key="img.uploads").set_value(
        [
            ("good.png", good, "image/png"),
            ("notes.png", b"this is text, not a picture", "image/png"),
            ("pets.zip", archive.getvalue(), "application/zip"),
        ]
    ).run()
    assert not images.exception
    warnings = " ".join(w.value for w in images.warning)
    assert "notes.png" in warnings and "escape.png" in warnings
    assert len(grid_urls(images)) == 2  # good.png and cats/a.png
    options = images.multiselect[0].options
    assert any("good.png" in o for o in options) and any("cats/a.png [cats]" in o for o in options)


def test_digits_default_to_one_image_of_each_of_the_first_classes(images: AppTest) -> None:
    images.selectbox(key="img.builtin").set_value(
        next(n for n in images.selectbox(key="img.builtin").options if n.startswith("Digits"))
    ).run()
    no_failure(images)
    from sklearn.datasets import load_digits

    chosen = images.multiselect[0].value
    assert list(load_digits().target[chosen]) == [0, 1, 2]  # the first image of classes 0, 1 and 2
    assert len(grid_urls(images)) == 3


def test_how_it_works_shows_six_steps_and_the_composed_matrix(images: AppTest) -> None:
    assert len(images.latex) == 7
    assert "M = " in images.latex[-1].value


def test_save_tab_offers_json_and_code_for_the_libraries(images: AppTest) -> None:
    assert [s.value for s in images.subheader] == [
        "AugLab",
        "torchvision.transforms.v2",
        "Keras 3 preprocessing layers",
        "albumentations",
        "Keras ImageDataGenerator",
    ]
    assert len(images.code) == 5
    compile(images.code[0].value, "<auglab snippet>", "exec")
