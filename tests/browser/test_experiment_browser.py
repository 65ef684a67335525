"""The Experiment page in a real browser: the teacher's demo, made tiny, runs and draws its charts."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent / "screenshots"


def test_a_tiny_experiment_runs_and_shows_its_verdicts_and_charts(server: str, browser) -> None:
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{server}/experiment")
    page.get_by_role("button", name="Teacher's demo: does augmentation help on 10 digits per class?").click()
    page.get_by_role("button", name="Run 20 fits").wait_for(timeout=60_000)
    # Tiny: 3 digits per class and 2 repeats (both models, both arms: 8 fits).
    per_class = page.get_by_label("Per class", exact=True)
    per_class.fill("3")
    per_class.press("Enter")
    repeats = page.locator('[data-testid="stSlider"]').filter(has_text="Repeats").get_by_role("slider")
    repeats.focus()
    page.keyboard.press("Home")  # the smallest number of repeats: 2
    page.get_by_role("button", name="Run 8 fits").click()
    page.get_by_role("heading", name="Results").wait_for(timeout=180_000)
    for model in ("small CNN", "logistic regression on pixels"):  # one verdict per model, in words
        page.locator("p").filter(has_text=f"{model}, 3 per class, real+augmented:").wait_for(timeout=30_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 2  # accuracy by arm, the confusion matrix
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "experiment.png"), full_page=True)
    page.close()
