"""The real thing: `streamlit run app.py` on localhost, driven by Debian's Chromium through Playwright.

A user opens the Images page, uploads a photo, moves the rotation slider with the keyboard, and sees
the preview change. Screenshots land in tests/browser/screenshots/ for a person to look at.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent / "screenshots"


def _upload(page, files: list[Path]) -> None:
    """Switch the source to uploads and drop files on the images uploader (not the JSON one)."""
    page.get_by_text("Upload files").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(
        has_text="or a .zip with one folder per class"
    )
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])


def _variant_sources(page) -> list[str]:
    """The src of every variant grid on the page (captioned "Variants ...")."""
    images = page.locator('[data-testid="stImage"]').filter(has_text=re.compile("^Variants"))
    return [images.nth(i).locator("img").get_attribute("src") for i in range(images.count())]


def test_upload_move_a_slider_and_see_the_preview_change(server: str, browser, tmp_path: Path) -> None:
    SHOTS.mkdir(exist_ok=True)
    # A real photo with a clear up and left, so a rotation is visible.
    photo = np.asarray(Image.open(io.BytesIO(_astronaut_png())))
    upload = tmp_path / "astronaut.png"
    Image.fromarray(photo).save(upload)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/images")
    _upload(page, [upload])
    page.get_by_text("Variants v0–v7 (seed 0)").wait_for(timeout=30_000)
    before = _variant_sources(page)
    assert len(before) == 1
    assert page.get_by_text("astronaut.png").first.is_visible()
    page.screenshot(path=str(SHOTS / "images_uploaded.png"), full_page=True)

    widget = page.locator('[data-testid="stSlider"]').filter(has_text="Rotation range")
    slider = widget.get_by_role("slider")
    start = float(slider.input_value())
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(old) => { const imgs = [...document.querySelectorAll('[data-testid=stImage]')]"
        ".filter(e => e.innerText.startsWith('Variants')).map(e => e.querySelector('img').src);"
        " return imgs.length === 1 && imgs[0] !== old; }",
        arg=before[0],
        timeout=30_000,
    )
    assert float(slider.input_value()) == start + 20
    assert widget.get_by_test_id("stSliderThumbValue").inner_text() == f"{start + 20:.2f}"
    after = _variant_sources(page)
    assert after != before
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "images_rotated.png"), full_page=True)
    page.close()


def test_a_bad_upload_is_named_and_the_good_one_still_previews(server: str, browser, tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(good)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/images")
    _upload(page, [good, bad])
    page.get_by_text("Variants v0–v7 (seed 0)").wait_for(timeout=30_000)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="broken.png")
    assert alert.count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def _astronaut_png() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    return buffer.getvalue()


def test_browser_is_debian_chromium() -> None:
    assert shutil.which("chromium") or os.path.exists("/usr/bin/chromium")


def test_text_page_paste_move_a_slider_and_see_highlighted_edits(server: str, browser) -> None:
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/text")
    page.get_by_text("Paste text").click()
    box = page.get_by_label("One example per line")
    box.fill("The delivery was quick and the box arrived <b>undamaged</b>.\nI didn't like the colour at all.")
    box.press("Control+Enter")
    table = page.locator("table.aug-table").first
    table.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('table.aug-table')?.innerText.includes('undamaged')", timeout=30_000
    )
    assert table.locator("b").count() == 0  # the user's markup is shown as text, never rendered
    before = table.locator("tr").nth(1).inner_text()
    assert table.locator("span.aug-sr").count() >= 1
    widget = page.locator('[data-testid="stSlider"]').filter(has_text="alpha_sr")
    widget.get_by_role("slider").focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(old) => document.querySelector('table.aug-table tr:nth-child(2)')?.innerText !== old",
        arg=before,
        timeout=30_000,
    )
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "text_preview.png"), full_page=True)
    page.close()


def test_gan_page_short_training_shows_the_curve_and_samples(server: str, browser) -> None:
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{server}/gan")
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    page.get_by_text("steps", exact=True).click()  # stop after a step count, not seconds
    steps = page.get_by_label("Steps")
    steps.fill("200")
    steps.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Start training").click()
    # The job waits for its worker process (about 5 s to start and load the digits), then trains.
    page.get_by_text(re.compile(r"^(Queued|Starting|Running|Finished) ·?")).first.wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"Finished · step 200")).wait_for(timeout=120_000)
    # The run's end redraws the whole page once; wait for the parts that come after it.
    page.get_by_role("button", name="Generate into the pool").wait_for(timeout=30_000)
    page.locator(".js-plotly-plot .scatterlayer .trace").nth(1).wait_for(timeout=30_000)  # two loss curves
    samples = page.locator('[data-testid="stImage"]').filter(has_text="Fixed noise batch")
    samples.first.wait_for(timeout=30_000)
    assert samples.count() == 1 and samples.locator("img").get_attribute("src")
    page.get_by_role("button", name="Generate into the pool").click()
    page.get_by_text(re.compile(r"Synthetic pool: 1,000 images")).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "gan_trained.png"), full_page=True)
    page.close()
