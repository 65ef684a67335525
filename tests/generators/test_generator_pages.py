"""The image generator (GAN, VAE) and LSTM pages with AppTest: start a short job (a worker process), poll
it like the page's fragment does, use the model its checkpoint became."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
from generator_helpers import unescape
from streamlit.testing.v1 import AppTest

from core.data.images import DIGITS
from core.data.sources import load_builtin_images
from core.generators.checkpoint import FORMAT_VERSION, save_checkpoint
from core.generators.gan import GANConfig, GANTrainer, training_split

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    # ui.training sets the process-wide thread count the way the app wants it; give it back after.
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def open_page(page: str, ws: str | None = None) -> AppTest:
    """A new browser session on ``page`` (of the workspace ``ws``: a reload of that link)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if ws is not None:
        at.query_params["ws"] = ws
    return at.run().switch_page(page).run()


def pool_items(at: AppTest) -> list:
    """The samples of the session's pool, as the page sampled or regenerated them (one call here)."""
    return [item for samples in at.session_state["pool.samples"].values() for item in samples]


def progress_text(at: AppTest) -> str:
    return " ".join(str(p.proto.text) for p in at.get("progress"))


def train(at: AppTest, kind: str, steps: int, label: str = "Start training") -> str:
    """Start a job of ``steps`` steps and rerun the page (as the polling fragment does) until it ends."""
    at.segmented_control(key=f"{kind}.budget_by").set_value("steps").run()
    at.number_input(key=f"{kind}.steps").set_value(steps).run()
    button(at, label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.monotonic() + 120  # a worker starts in ~5 s; other tests share the machine
    while not progress_text(at).startswith(("Finished", "Failed", "Stopped")):
        assert time.monotonic() < deadline, progress_text(at)
        time.sleep(0.5)
        at.run()
    assert progress_text(at).startswith("Finished"), (progress_text(at), [e.value for e in at.error])
    return progress_text(at)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def captions(at: AppTest) -> list[str]:
    """The captions of the page's images, as the user reads them."""
    return [unescape(c) for image in at.image for c in image.captions if c]


DIGITS_ROWS = ", ".join(str(d) for d in range(10))  # a caption's list of the rows' class names


METRICS = {"Memorisation share", "TSTR accuracy", "Same classifier on real", "TSTR / real"}


def test_gan_page_trains_evaluates_and_fills_the_pool() -> None:
    at = open_page("pages/gan.py")
    assert at.selectbox(key="gan.data").value == DIGITS
    assert at.segmented_control(key="gan.generator").value == "gan"
    text = train(at, "gan", 60)
    assert "step 60" in text
    assert at.get("plotly_chart")  # the loss curves, from the job's history
    # the fixed-noise rows, one per class, named in the image and in its caption
    assert captions(at) == [
        f"Fixed noise batch, the same noise at every refresh: one row per class ({DIGITS_ROWS})"
    ]
    button(at, "Evaluate quality").click().run()
    assert {m.label for m in at.metric} >= METRICS
    assert any("Memorisation share**: the share of samples" in m.value for m in at.markdown)  # explained
    at.number_input(key="gan.n").set_value(5).run()
    button(at, "Generate into the pool").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Added 50 images")  # 5 per class, 10 classes
    assert {m.label for m in at.metric} >= METRICS  # the figures stay: the model did not change
    # the run's last preview, the new samples, then the pool: one labelled row per class each (the pool's
    # rows with their counts)
    assert captions(at) == [
        f"Fixed noise batch, the same noise at every refresh: one row per class ({DIGITS_ROWS})",
        f"The first new samples of every class: {DIGITS_ROWS}",
        "The latest samples of every class, GAN and VAE alike (count): "
        + ", ".join(f"{d} (5)" for d in range(10)),
    ]
    assert any("Synthetic pool: 50 images" in s.value for s in at.subheader)


def test_vae_page_trains_on_the_same_data_and_shares_the_pool() -> None:
    at = open_page("pages/gan.py")
    at.segmented_control(key="gan.generator").set_value("vae").run()
    train(at, "vae", 40)
    assert at.get("plotly_chart") and captions(at)[0].endswith(f"one row per class ({DIGITS_ROWS})")
    button(at, "Evaluate quality").click().run()
    assert {m.label for m in at.metric} >= METRICS
    at.number_input(key="gan.n").set_value(2).run()
    button(at, "Generate into the pool").click().run()
    assert at.success[0].value.startswith("Added 20 images")
    assert {item.generator for item in pool_items(at)} == {"vae"}
    at.segmented_control(key="gan.generator").set_value("gan").run()  # the GAN has no model of its own
    assert "gan.evaluate" not in {b.key for b in at.button} and any(
        "Synthetic pool: 20 images" in s.value for s in at.subheader
    )


def test_unconditional_gan_page_generates_into_the_pool() -> None:
    """Defect 1: an unconditional GAN's samples crashed "Generate into the pool" (TypeError)."""
    at = open_page("pages/gan.py")
    at.toggle(key=f"gan.conditional.{DIGITS}").set_value(False).run()
    train(at, "gan", 10)
    # Same settings and data: Resume continues the job's checkpoint in a new job, counting on.
    assert "step 20" in train(at, "gan", 10, label="Resume")
    button(at, "Evaluate quality").click().run()
    assert [m.label for m in at.metric] == ["Memorisation share"]  # no class per sample: no TSTR
    at.number_input(key="gan.n").set_value(7).run()
    button(at, "Generate into the pool").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Added 7 images" in at.success[0].value
    pool = pool_items(at)
    assert [item.label for item in pool] == [None] * 7 and [item.index for item in pool] == list(range(7))
    # A reload: the pool comes back from the workspace, sampled again from the kept checkpoint, the
    # same pixels; clearing it there clears it for good.
    again = open_page("pages/gan.py", at.session_state["workspace.id"])
    assert any("Synthetic pool: 7 images" in s.value for s in again.subheader)
    assert all(np.array_equal(a.array, b.array) for a, b in zip(pool_items(again), pool, strict=True))
    button(again, "Clear the pool").click().run()
    assert any("Synthetic pool: 0 images" in s.value for s in again.subheader)
    assert any("Synthetic pool: 0 images" in s.value for s in at.run().subheader)  # in the other tab too


def test_gan_page_loads_a_checkpoint_and_samples_from_it() -> None:
    config = GANConfig(n_classes=10, seed=4)
    data = training_split(load_builtin_images("digits").images, config)
    trainer = GANTrainer(data.images, data.labels, data.classes, config, device="cpu")
    trainer.step()
    at = open_page("pages/gan.py")
    upload = save_checkpoint(trainer.checkpoint())
    at.file_uploader(key="gan.checkpoint_file").upload("mine.pt", upload, "application/octet-stream").run()
    button(at, "Load it").click().run()
    assert not at.exception and not at.error
    at.number_input(key="gan.n").set_value(2).run()
    button(at, "Generate into the pool").click().run()
    assert at.success[0].value.startswith("Added 20 images")  # 2 per class of the checkpoint's 10
    assert at.button(key="gan.evaluate")  # it fits the digits: resumable, and its held-out part is known


def test_gan_page_refuses_unusable_checkpoints_by_name() -> None:
    at = open_page("pages/gan.py")
    other = save_checkpoint({"kind": "lstm", "format_version": FORMAT_VERSION, "model": {}, "config": {}})
    at.file_uploader(key="gan.checkpoint_file").upload("other.pt", other, "application/octet-stream").run()
    button(at, "Load it").click().run()
    assert not at.exception
    message = unescape(at.error[0].value)
    assert "other.pt" in message and "'lstm'" in message
    at.file_uploader(key="gan.checkpoint_file").upload(
        "broken [1].pt", other[:100], "application/octet-stream"
    ).run()
    button(at, "Load it").click().run()
    assert "broken [1].pt is not a usable" in unescape(at.error[0].value)
    assert "broken \\[1\\]\\.pt" in at.error[0].value  # shown literally, not as a Markdown link


def test_lstm_page_trains_shows_the_baseline_and_samples_labelled_lines() -> None:
    at = open_page("pages/lstm.py")
    reviews = next(o for o in at.selectbox(key="lstm.data").options if o.startswith("Product"))
    at.selectbox(key="lstm.data").set_value(reviews).run()
    train(at, "lstm", 40)
    at.number_input(key="lstm.n").set_value(3).run()
    button(at, "Generate into the pool").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Added 3 lines" in at.success[0].value
    pool = pool_items(at)
    label = at.selectbox(key="lstm.label").value
    assert label in ("negative", "positive")
    assert [item.label for item in pool] == [label] * 3  # conditioned on the chosen label
    assert [c.value for c in at.code][-3:] == [item.text for item in pool]
