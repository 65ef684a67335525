"""The GAN and LSTM pages with AppTest: start a short run, poll it like the page does, use the model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.generators.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    # ui.training sets the process-wide thread count the way the app wants it; give it back after.
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    return at.switch_page(page).run()


def progress_text(at: AppTest) -> str:
    return " ".join(str(p.proto.text) for p in at.get("progress"))


def train(at: AppTest, kind: str, steps: int) -> str:
    """Start a run of ``steps`` steps and rerun the page (as the polling fragment does) until it ends."""
    at.segmented_control(key=f"{kind}.budget_by").set_value("steps").run()
    at.number_input(key=f"{kind}.steps").set_value(steps).run()
    next(b for b in at.button if b.label.startswith("Start")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.monotonic() + 120
    while "Finished" not in progress_text(at):
        assert time.monotonic() < deadline, progress_text(at)
        time.sleep(1.0)
        at.run()
    return progress_text(at)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_gan_page_trains_evaluates_and_fills_the_pool() -> None:
    at = open_page("pages/gan.py")
    assert "Digits" in at.selectbox(key="gan.data").value
    text = train(at, "gan", 60)
    assert "step 60" in text
    assert any(c.type == "plotly_chart" for c in at.main.children.values()) or at.get("plotly_chart")
    button(at, "Evaluate quality").click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert {"Memorisation share", "TSTR accuracy", "Same classifier on real"} <= set(metrics)
    at.number_input(key="gan.n").set_value(5).run()
    button(at, "Generate into the pool").click().run()
    assert not at.exception
    assert "Added 50 images" in at.success[0].value  # 5 per class, 10 classes
    assert any("Synthetic pool: 50 images" in s.value for s in at.subheader)


def test_gan_page_refuses_a_tampered_checkpoint_by_name() -> None:
    at = open_page("pages/gan.py")
    good = save_checkpoint({"kind": "lstm", "format_version": 1, "model": {}, "config": {}})
    at.file_uploader(key="gan.checkpoint_file").upload("other.pt", good, "application/octet-stream").run()
    button(at, "Load it").click().run()
    assert not at.exception
    assert "other.pt" in at.error[0].value and "'lstm'" in at.error[0].value
    at.file_uploader(key="gan.checkpoint_file").upload(
        "broken.pt", good[:100], "application/octet-stream"
    ).run()
    button(at, "Load it").click().run()
    assert "broken.pt" in at.error[0].value


def test_lstm_page_trains_shows_the_baseline_and_samples_labelled_lines() -> None:
    at = open_page("pages/lstm.py")
    reviews = next(o for o in at.selectbox(key="lstm.data").options if o.startswith("Product"))
    at.selectbox(key="lstm.data").set_value(reviews).run()
    train(at, "lstm", 40)
    at.number_input(key="lstm.n").set_value(3).run()
    button(at, "Generate into the pool").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Added 3 lines" in at.success[0].value
    pool = at.session_state["synthetic.texts"]
    label = at.selectbox(key="lstm.label").value
    assert label in ("negative", "positive")
    assert [item.label for item in pool] == [label] * 3  # conditioned on the chosen label
    assert [c.value for c in at.code][-3:] == [item.text for item in pool]
