"""The Images page's data controls with Streamlit's AppTest: built-in samples by name, and uploads whose
names would be Markdown (a link, bold) shown exactly as written, naming the archive and the entry."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.data.sources import display_names

ROOT = Path(__file__).resolve().parents[2]
IMAGES = "pages/images.py"
LINK_ENTRY = "dogs/[y](http://example.invalid/x).png"

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def outside_code_spans(body: str) -> str:
    """The Markdown body without its code spans (which Markdown shows verbatim)."""
    return _CODE_SPAN.sub("", body)


def renders_no_link(body: str) -> bool:
    """True when no Markdown link or bare URL can form: outside code spans every [ ] is escaped and no
    'http://' is left as written (escaped, its ':' and '/' keep it from autolinking)."""
    rest = outside_code_spans(body)
    return re.search(r"(?<!\\)[\[\]]", rest) is None and "http://" not in rest


def png_bytes(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((12, 16, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def images() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    return at.switch_page(IMAGES).run()


def upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    at.radio(key="img.source").set_value("Upload files").run()
    return at.file_uploader(key="img.uploads").set_value(files).run()


def test_the_built_in_samples_are_offered_by_their_display_names(images: AppTest) -> None:
    assert not images.exception
    assert images.selectbox(key="img.builtin").options == display_names("images")


def test_a_zip_entry_named_like_a_link_is_shown_as_written_with_its_archive(images: AppTest) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cats/a.png", png_bytes(10))
        zf.writestr(LINK_ENTRY, b"not a picture at all")
    upload(images, [("photos.zip", archive.getvalue(), "application/zip")])

    assert not images.exception
    (warning,) = images.warning
    body = warning.value
    # The archive and the entry, verbatim inside a code span, then the reason, escaped.
    assert body.startswith(f"`photos.zip: {LINK_ENTRY}`: ")
    assert "not an image" in body
    assert renders_no_link(body)


def test_a_class_folder_named_in_markdown_is_escaped_in_captions(images: AppTest) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("[z](x)/a.png", png_bytes(10))
        zf.writestr("**b**/b.png", png_bytes(200))
    upload(images, [("pets.zip", archive.getvalue(), "application/zip")])

    assert not images.exception and not images.warning
    captions = [image.captions[0] for image in images.image if image.captions[0].startswith("Original: ")]
    assert len(captions) == 2
    for caption in captions:
        assert renders_no_link(caption) and "**" not in caption
    assert r"\[z\]\(x\)" in captions[0] and r"\*\*b\*\*" in captions[1]


# --------------------------------------------------------------------------------------------------
# The augmentation controls and views (issue 11)

GROUPS = ["Geometry", "Crop & size", "Colour", "Blur & noise", "Erasing", "Policy"]


def expanders(at: AppTest) -> dict[str, bool]:
    """Sidebar group title (without its "(on)" mark) -> whether it is marked on."""
    found = {}
    for block in at.sidebar.expander:
        name = block.label.removesuffix(" (on)")
        if name in GROUPS:  # the workspace's own expander shares the sidebar
            found[name] = block.label.endswith(" (on)")
    return found


def test_controls_are_grouped_and_groups_that_are_off_are_marked_so(images: AppTest) -> None:
    groups = expanders(images)
    assert list(groups) == GROUPS
    # "Mild, photos" turns on geometry and brightness only.
    assert groups == {name: name in ("Geometry", "Colour") for name in GROUPS}


def test_crop_colour_jitter_and_cutout_on_the_photos_show_each_step_and_copy_to_torchvision(
    images: AppTest,
) -> None:
    images.selectbox(key="img.preset").set_value("Crop + colour jitter + cutout (photos)").run()
    images.slider(key="img.erase_p").set_value(1.0).run()
    assert not images.exception and not images.error
    assert images.selectbox(key="img.crop").value == "random_resized"
    strip = [img.captions[0].split(":")[0] for img in images.image if ":" in img.captions[0]]
    assert {"original", "crop & size", "colour", "erasing"} <= set(strip)
    torchvision_code = next(
        c.value for c in images.code if "from torchvision.transforms import v2" in c.value
    )
    assert "RandomResizedCrop" in torchvision_code and "ColorJitter" in torchvision_code
    assert "RandomErasing" in torchvision_code
    import torch

    namespace = {"image": torch.zeros((3, 300, 400), dtype=torch.uint8)}
    exec(compile(torchvision_code, "<snippet>", "exec"), namespace)
    assert tuple(namespace["out"].shape) == (3, 224, 224)


def test_random_batch_shows_sixteen_images_and_moves_on(images: AppTest) -> None:
    def batch_grid() -> str:
        return next(img.value[0] for img in images.image if img.captions[0].startswith("Random batch"))

    first = batch_grid()
    table = next(d.value for d in images.dataframe if "image" in d.value.columns)
    assert len(table) == 7  # the built-in photos: fewer than 16 images, each shown once
    images.number_input(key="images.batch_number").set_value(1).run()
    assert not images.exception and batch_grid() != first


def test_switching_to_digits_offers_their_preset(images: AppTest) -> None:
    digits = next(n for n in images.selectbox(key="img.builtin").options if n.startswith("Digits"))
    images.selectbox(key="img.builtin").set_value(digits).run()
    assert not images.exception
    assert any("small images" in m.value for m in images.markdown)
    images.button(key="images.offer.apply").click().run()
    assert images.toggle(key="img.horizontal_flip").value is False  # a mirrored digit is another digit
    assert images.selectbox(key="img.fill_mode").value == "constant"
    assert not any("small images" in m.value for m in images.markdown)  # answered: the offer is gone
