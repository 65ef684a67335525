"""Experiments as jobs: one in a real worker process (as the app runs them), the rest in-process through
the worker's own entry point (:func:`core.workspace.worker.run_job`, what ``python -m core worker`` calls)."""

from __future__ import annotations

import json
import threading

import pytest
from experiment_data import digits_recipe, poll, sentences_csv

from core.cli.worker import handlers
from core.data.inputs import DataSpec, FileRef
from core.experiment import ExperimentRecipe, comparable, report, run_experiment
from core.experiment.job import ExperimentJob, experiment_config
from core.experiment.results import RESULTS_FORMAT
from core.workspace import jobs
from core.workspace.store import Store
from core.workspace.supervisor import Supervisor
from core.workspace.worker import run_job

TEXT = ExperimentRecipe(
    kind="text",
    inputs=("sentences.csv",),
    text_column="sentence",
    label_column="kind",
    augmentation={"alpha_rs": 0.1, "p_rd": 0.1, "operations": ["RS", "RD"]},
    variants_per_original=2,
    per_class=(10,),
    repeats=2,
    min_steps=20,
)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A text experiment on an uploaded CSV, run to the end by a worker process the supervisor starts."""
    store = Store(tmp_path_factory.mktemp("home"))
    ws = store.create()
    upload = sentences_csv()
    sha = store.put(ws, upload, "sentences.csv")
    data = DataSpec(files=(FileRef("sentences.csv", sha),), text_column="sentence", label_column="kind")
    config = experiment_config(TEXT, data)
    job_id = jobs.submit(store, ws, "experiment", json.loads(json.dumps(config)))
    job = poll(Supervisor(store, workers=1), job_id)
    return store, ws, job, upload


def test_a_worker_runs_the_experiment_to_the_end_and_stores_results_json(finished, tmp_path) -> None:
    store, ws, job, upload = finished
    assert (job.status, job.message.split(" fits done")[0]) == ("finished", "8")
    progress = job.progress
    assert (progress["fits_done"], progress["fits_total"], progress["fraction"]) == (8, 8, 1.0)
    assert progress["device"] == "CPU (1 thread)"  # the worker's setting, not changed by the experiment
    results = json.loads(store.read(ws, job.result["results"]))
    light = progress["results"]  # what a page draws from while the job runs
    assert [(r["model"], r["arm"]) for r in light["rows"]] == [
        (m, a) for m in ("bag", "embed") for a in ("real", "real+augmented")
    ]
    assert "fits" not in light and all("confusion" not in r for r in light["rows"])  # kept light
    assert progress["rows"] == light["rows"]
    assert report.table(light) == report.table(results)
    assert report.confusion(light, "bag", 10, "real") is None
    assert results["format"] == RESULTS_FORMAT and results["fits_done"] == 8
    [artifact] = store.artifacts(ws, "experiment")
    assert artifact["sha256"] == job.result["results"] and artifact["id"] == job.result["results_artifact"]
    assert artifact["meta"] == {"job": job.id, "status": "finished", "fits_done": 8, "fits_total": 8}
    # The same recipe run here on the same file gives the same results (apart from the times).
    csv_path = tmp_path / "sentences.csv"
    csv_path.write_bytes(upload)
    here = run_experiment(ExperimentRecipe.from_dict({**TEXT.to_dict(), "inputs": [str(csv_path)]}))
    assert comparable(here)["rows"] == comparable(results)["rows"]


def _run_in_process(store: Store, ws: str, config, terminate=None):
    job_id = jobs.submit(store, ws, "experiment", config)
    claimed = jobs.claim_next(store)
    assert claimed is not None and claimed.id == job_id
    assert run_job(store, job_id, handlers(), terminate) == 0
    return jobs.get(store, job_id)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("bad"))
    return store, store.create()


MISSING = "0" * 64


DIGITS = {"builtin": "digits"}


@pytest.mark.parametrize(
    "config, expected",
    [
        # no recipe at all
        ({"data": DIGITS}, 'The job gives no recipe: give "recipe"'),
        # no data
        ({"recipe": digits_recipe().to_dict()}, 'The job names no data: give "data"'),
        # an entry the job does not know
        (
            {"recipe": digits_recipe().to_dict(), "data": DIGITS, "files": []},
            "Unknown setting(s) files in the experiment job's",
        ),
        # a bad recipe: its own sentence
        ({"recipe": {"inputs": ["digits"], "repeats": 0}, "data": DIGITS}, "repeats must be a whole number"),
        # a file this workspace does not hold
        (
            {"recipe": {"kind": "text"}, "data": {"files": [{"name": "mine.csv", "sha256": MISSING}]}},
            "This workspace holds no file with SHA-256 000000000000",
        ),
        # a synthetic arm whose checkpoint the recipe gives no hash for
        (
            {
                "recipe": {
                    "inputs": ["digits"],
                    "arms": ["real", "real+synthetic"],
                    "synthetic": [{"checkpoint": "gan.pt", "n": 3}],
                },
                "data": DIGITS,
            },
            "The synthetic source gan.pt gives no sha256",
        ),
        # unlabelled data
        (
            {"recipe": {"kind": "text"}, "data": {"builtin": "sentences"}},
            "An experiment needs a label on every",
        ),
    ],
)
def test_a_job_that_cannot_run_fails_with_a_sentence(home, config, expected: str) -> None:
    store, ws = home
    job = _run_in_process(store, ws, config)
    assert job.status == "failed" and expected in job.message
    assert "Traceback" not in job.message and not job.message.startswith("The job failed (")


def test_a_stop_ends_the_job_between_fits_and_keeps_the_finished_ones(home) -> None:
    store, ws = home
    recipe = digits_recipe(models=("linear",), sizes=(1.0,), repeats=5, min_steps=400)
    job_id = jobs.submit(store, ws, "experiment", experiment_config(recipe, DIGITS))
    jobs.claim_next(store)

    def stop_after_two_fits() -> None:
        reader = Store(store.home)
        while (jobs.get(reader, job_id).progress.get("fits_done") or 0) < 2:
            threading.Event().wait(0.02)
        jobs.request_stop(reader, job_id, ws)

    stopper = threading.Thread(target=stop_after_two_fits, daemon=True)
    stopper.start()
    assert run_job(store, job_id, handlers()) == 0
    stopper.join(5)
    job = jobs.get(store, job_id)
    done = job.progress["fits_done"]
    assert job.status == "stopped" and 2 <= done < 10
    assert job.message == f"Stopped after {done} of 10 fits; the finished fits are kept."
    results = json.loads(store.read(ws, job.result["results"]))
    assert results["status"] == "stopped" and len(results["fits"]) == done


def test_a_job_config_survives_json() -> None:
    spec = ExperimentJob(TEXT, DataSpec(files=(FileRef("sentences.csv", "a" * 64),), header=False))
    assert ExperimentJob.from_config(json.loads(json.dumps(spec.to_config()))) == spec
