"""The app shell in a real browser: deep links on a freshly started server, and user names as text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import running_app
from PIL import Image

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent / "screenshots"
MENU = ["Home", "Images", "Text", "GAN", "LSTM", "Experiment", "Export"]


def test_the_first_visitor_of_a_deep_link_gets_the_page_in_the_app(browser, tmp_path: Path) -> None:
    # Streamlit serves an app with a pages/ folder the old way until the first st.navigation call:
    # the very first visit after a start, to /gan, used to run pages/gan.py alone, menu from file names.
    with running_app(tmp_path / "server.log") as url:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(f"{url}/gan")
        page.get_by_role("heading", name="Image generator (GAN)").wait_for(timeout=60_000)
        page.wait_for_function("document.title.includes('AugLab')", timeout=30_000)
        menu = page.get_by_test_id("stSidebarNav").inner_text()
        assert [line for line in menu.splitlines() if line in MENU] == MENU
        assert "app" not in menu.split()  # no menu entry named after the file app.py
        assert page.title() == "GAN · AugLab"
        page.close()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 200, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_names_from_an_upload_are_shown_literally_never_as_links(server: str, browser, tmp_path: Path):
    hostile = "dogs/[y](http://example.invalid/x).png"
    archive = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("cats/ok.png", _png())
        zf.writestr(hostile, b"not an image at all")  # refused, so its name appears in a message
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/images")
    page.get_by_text("Upload files").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(
        has_text="or a .zip with one folder per class"
    )
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(archive)])
    page.get_by_text("Variants v0").first.wait_for(timeout=60_000)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("not an image", exact=False).first.wait_for(timeout=30_000)
    for expander in main.locator('[data-testid="stExpander"] summary').all():
        if expander.is_visible():  # those in the tabs not shown stay closed
            expander.click()  # open every problem list, so every message is rendered
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "images_hostile_names.png"), full_page=True)
    hrefs = main.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert not [h for h in hrefs if "example.invalid" in h], hrefs
    shown = main.inner_text().replace("\u2060", "")  # the word joiner that stops autolinking
    assert "[y](http://example.invalid/x).png" in shown
    page.close()
