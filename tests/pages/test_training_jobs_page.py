"""The generator pages train in worker processes: another tab (a new AppTest session) on the same ``?ws=``
link finds the job and its progress, and can stop it; another workspace sees none of it; a failed job's
reason is shown literally.

Each AppTest is a new browser session on the same server process (like a reload or a second tab). Every
test has its own AUGLAB_HOME; the page's supervisor starts real ``python -m core worker`` processes there.
"""

from __future__ import annotations

import re
import time
from hashlib import sha256
from pathlib import Path

import pytest
from page_session import open_session
from streamlit.testing.v1 import AppTest

from core.workspace import jobs
from core.workspace.store import Store

ROOT = Path(__file__).resolve().parents[2]
GAN = "pages/gan.py"
DEADLINE_S = 120  # a worker starts in ~5 s on a quiet machine; other tests run at the same time


def session(page: str = GAN, ws: str | None = None) -> AppTest:
    """A new browser session opening ``page`` with the link ``?ws=<ws>`` (no parameter when None)."""
    return open_session(page, ws, timeout=120)


def progress_text(at: AppTest) -> str:
    return " ".join(str(p.proto.text) for p in at.get("progress"))


def poll(at: AppTest, pattern: str) -> str:
    """Rerun the page (as its polling fragment does) until the progress text matches ``pattern``."""
    deadline = time.monotonic() + DEADLINE_S
    while not re.search(pattern, progress_text(at)):
        assert not at.exception, [e.value for e in at.exception]
        assert time.monotonic() < deadline, progress_text(at)
        time.sleep(0.5)
        at.run()
    return progress_text(at)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_another_tab_on_the_same_link_sees_the_run_and_stops_it(home: Path) -> None:
    first = session()
    ws = first.query_params["ws"]
    first.segmented_control(key="gan.budget_by").set_value("steps").run()
    first.number_input(key="gan.steps").set_value(1_000_000).run()  # runs until stopped
    button(first, "Start training").click().run()
    poll(first, r"Running · step [1-9]")

    second = session(ws=ws)
    assert second.query_params["ws"] == ws
    text = poll(second, r"Running · step [1-9]")  # the same job, still going in its worker
    assert not button(second, "Stop").disabled and button(second, "Start training").disabled
    job_id = Store(home).get(ws, "gan.job")
    assert jobs.get(Store(home), job_id, ws).status == "running", text

    other = session()  # a session with no link: a new workspace, which has no job
    assert other.query_params["ws"] != ws
    assert not other.get("progress") and not button(other, "Start training").disabled

    button(second, "Stop").click().run()
    poll(second, r"^Stopped · step [1-9]")
    poll(first, r"^Stopped · step [1-9]")
    # The stopped run's last checkpoint is the workspace's model, in both tabs.
    for at in (first, second):
        assert button(at, "Generate into the pool")
        assert at.get("plotly_chart")  # the loss curves of the job's history
    assert jobs.get(Store(home), job_id, ws).result["checkpoint"]


def test_a_failed_job_shows_its_reason_literally(home: Path) -> None:
    store = Store(home)
    ws = store.create()
    name = "evil [x](http://e.com).zip"
    sha = store.put(ws, b"not a zip", name)
    config = {
        "data": {"files": [{"name": name, "sha256": sha}]},  # kept, but it holds no image
        "model": {},
        "limits": {"max_steps": 10, "budget_s": None},
    }
    store.set(ws, "gan.job", jobs.submit(store, ws, "train-gan", config))

    at = session(ws=ws)
    poll(at, r"^Failed")
    assert not at.exception
    error = at.error[0].value
    assert error.startswith("Training failed")
    assert "evil \\[x\\]\\(http\\:" in error  # escaped: shown as typed, no link


def test_the_lstm_page_trains_on_the_pasted_text_kept_in_the_workspace(home: Path) -> None:
    at = session("pages/text.py")
    ws = at.query_params["ws"]
    at.radio(key="txt.source").set_value("Paste text").run()
    text = "\n".join(f"line number {i} of the pasted text, long enough to learn a little" for i in range(60))
    at.text_area(key="txt.pasted").set_value(text).run()
    at.switch_page("pages/lstm.py").run()
    at.selectbox(key="lstm.data").set_value("Pasted text").run()
    at.segmented_control(key="lstm.budget_by").set_value("steps").run()
    at.number_input(key="lstm.steps").set_value(10).run()
    button(at, "Start training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job = jobs.get(Store(home), Store(home).get(ws, "lstm.job"), ws)
    # The worker reads the text by its hash from this workspace, not from the session.
    kept = {"name": "Pasted text", "sha256": sha256(text.encode()).hexdigest()}
    assert job.config["data"]["files"] == [kept]
    assert poll(at, r"^(Finished|Failed)").startswith("Finished")


def a_job(status: str, progress: dict) -> jobs.Job:
    return jobs.Job(1, "0" * 32, "train-gan", {}, status, 0.0, 0.0, None, 1, 0.0, False, progress, {}, "")


TRAINED = {"steps": 30, "elapsed_s": 1.0, "steps_per_s": 30.0, "fraction": 1.0, "eta_s": None}


@pytest.mark.parametrize(
    ("status", "progress", "expected"),
    [
        # The worker reported its run's end but has not written the last checkpoint and ended the job:
        # the bar must not say Finished yet (the page offered a model that was not there; a flaky test).
        ("running", {**TRAINED, "status": "finished"}, "Running · step 30 "),
        ("finished", {**TRAINED, "status": "finished"}, "Finished · step 30 "),  # ended: the job says so
        ("stopping", {**TRAINED, "status": "running"}, "Stopping · step 30 "),  # Stop clicked, step ends
        ("running", {"message": "Loading the images…"}, "Starting · Loading the images…"),  # no step yet
        ("failed", {}, "Failed before training started"),  # e.g. its data could not be read
    ],
)
def test_the_progress_text_follows_the_jobs_status(status: str, progress: dict, expected: str) -> None:
    from ui.training import _status_line

    assert _status_line(a_job(status, progress))[1].startswith(expected)
