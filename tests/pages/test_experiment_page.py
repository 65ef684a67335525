"""The Experiment page with AppTest: the teacher's demo, a tiny run in a worker process, its results
after a reload, and data an experiment cannot use."""

from __future__ import annotations

import json
import time
from pathlib import Path

from page_session import open_session
from streamlit.testing.v1 import AppTest

from core.workspace.store import Store

EXPERIMENT = "pages/experiment.py"
DEADLINE_S = 180  # a worker starts in ~5 s; the fits take seconds; other tests share the machine


def session(ws: str | None = None) -> AppTest:
    return open_session(EXPERIMENT, ws, timeout=120)


def button(at: AppTest, start: str):
    return next(b for b in at.button if b.label.startswith(start))


def progress_text(at: AppTest) -> str:
    return " ".join(str(p.proto.text) for p in at.get("progress"))


def run_to_results(at: AppTest) -> None:
    """Click Run and rerun the page (as its polling fragment does) until the results are shown."""
    button(at, "Run ").click().run()
    deadline = time.monotonic() + DEADLINE_S
    while not any(s.value == "Results" for s in at.subheader):
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert time.monotonic() < deadline, progress_text(at)
        time.sleep(0.5)
        at.run()


def test_a_tiny_digits_experiment_runs_in_a_worker_and_its_results_survive_a_reload(home: Path) -> None:
    at = session()
    button(at, "Teacher's demo").click().run()
    assert not at.exception
    # The demo's settings: digits, 10 per class, real vs real+augmented, both image models, 5 repeats.
    assert at.number_input(key="exp.per_class").value == 10
    assert at.multiselect(key="exp.arms").value == ["real", "real+augmented"]
    assert "Run 20 fits" in [b.label for b in at.button]
    # Made tiny: 3 per class, logistic regression only, 2 repeats (4 fits).
    at.number_input(key="exp.per_class").set_value(3).run()
    at.multiselect(key="exp.models.images").set_value(["linear"]).run()
    at.slider(key="exp.repeats").set_value(2).run()
    assert "Run 4 fits" in [b.label for b in at.button]
    run_to_results(at)
    sentences = [m.value for m in (*at.success, *at.info, *at.error)]
    verdict = [s for s in sentences if "real+augmented" in s and "points vs real only" in s]
    assert len(verdict) == 1 and "logistic regression" in verdict[0]
    assert at.get("plotly_chart")  # accuracy by arm, and the confusion matrix
    # The results table: one row per arm, 2 repeats each; 30 training images (3 per class x 10), and
    # with the demo's 10 variants of each, 30 + 300.
    (frame,) = [f.value for f in at.dataframe]
    assert list(frame["arm"]) == ["real", "real+augmented"] and list(frame["repeats"]) == [2, 2]
    assert list(frame["train examples"]) == [30, 330]
    # results.json in the workspace holds the 4 fits and the rows the table shows.
    store, ws = Store(home), at.session_state["workspace.id"]
    (artifact,) = store.artifacts(ws, "experiment")
    results = json.loads(store.read(ws, artifact["sha256"]))
    assert len(results["fits"]) == 4
    assert [round(r["mean"], 6) for r in results["rows"]] == [round(v, 6) for v in frame["accuracy"]]

    again = session(ws)  # a reload: the same results, read from the workspace, no rerun
    assert any(s.value == "Results" for s in again.subheader)
    assert "Run 4 fits" in [b.label for b in again.button]


def test_unlabelled_text_gets_a_sentence_saying_an_experiment_needs_labels(home: Path) -> None:
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60).run()
    at.switch_page("pages/text.py").run()
    at.radio(key="txt.source").set_value("Paste text").run()  # pasted lines carry no label
    at.switch_page(EXPERIMENT).run()
    at.segmented_control(key="exp.kind").set_value("text").run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "needs labels" in warning and "Pasted text" in warning
    assert not [b for b in at.button if b.label.startswith("Run ")]
