"""Training jobs in real worker processes: progress, previews, checkpoints, and what a workspace sees.

The module fixture runs one GAN job (built-in digits) and one LSTM job (an uploaded CSV) side by side,
each in its own workspace and worker process, through ``Supervisor.tick``; the tests read what they left.
Configurations that cannot run are checked in-process with the worker's own entry point
(:func:`core.workspace.worker.run_job`), which is what ``python -m core worker`` calls.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time

import cv2
import numpy as np
import pytest
from job_helpers import ended, gan_config, kill_workers, lstm_config, poll, sentences_csv

from core.cli.worker import handlers
from core.generators.checkpoint import load_checkpoint, save_checkpoint
from core.generators.gan import GANConfig, GANTrainer
from core.generators.jobs import DataSpec, FileRef, JobLimits, Resume, TrainJob
from core.workspace import jobs
from core.workspace.store import Store, WorkspaceError
from core.workspace.supervisor import Supervisor
from core.workspace.worker import Outcome, run_job

GAN_STEPS = 1000  # enough for a few progress reports on the way (a dry-run GAN does hundreds per second)
LSTM_STEPS = 30


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two workspaces, a GAN job in one and an LSTM job in the other, run to the end together."""
    store = Store(tmp_path_factory.mktemp("home"))
    gan_ws, lstm_ws = store.create(), store.create()
    upload = sentences_csv()
    sha = store.put(lstm_ws, upload, "sentences.csv")
    gan_job = jobs.submit(store, gan_ws, "train-gan", gan_config(max_steps=GAN_STEPS, every=0.2))
    lstm_job = jobs.submit(
        store, lstm_ws, "train-lstm", lstm_config([{"name": "sentences.csv", "sha256": sha}], LSTM_STEPS)
    )
    supervisor = Supervisor(store, workers=2)
    seen: list = []
    try:
        poll(supervisor, gan_job, ended, seen=seen)
        poll(supervisor, lstm_job, ended)
    finally:
        kill_workers(store)
    return {
        "store": store,
        "gan": (gan_ws, gan_job),
        "lstm": (lstm_ws, lstm_job, sha),
        "gan_seen": [job for job in seen if job.id == gan_job],
    }


def test_a_gan_job_runs_to_finished_and_reports_on_the_way(trained) -> None:
    store = trained["store"]
    ws, job_id = trained["gan"]
    job = jobs.get(store, job_id, ws)
    assert (job.status, job.message) == ("finished", f"{GAN_STEPS:,} steps done.")
    assert job.progress["steps"] == job.progress["run_steps"] == GAN_STEPS
    assert job.progress["fraction"] == 1.0 and job.progress["eta_s"] == 0.0
    steps = [j.progress.get("steps") for j in trained["gan_seen"] if "steps" in j.progress]
    assert steps == sorted(steps)  # never backwards
    assert any(0 < s < GAN_STEPS for s in steps)  # reported while it trained, not only at the end
    # Loss curves: both networks, thinned to a few hundred points, ending at the last step.
    history = job.progress["history"]
    assert set(history) == {"generator", "discriminator"}
    assert all(2 <= len(points) <= 500 and points[-1][0] == GAN_STEPS for points in history.values())
    # The data: 1,797 digits, 20% of each class held out (stratified: 10 classes of ~180).
    assert job.progress["classes"] == [str(d) for d in range(10)]
    assert job.progress["train_images"] + job.progress["held_out_images"] == 1797
    assert 340 <= job.progress["held_out_images"] <= 380


def test_the_preview_is_a_png_of_one_row_per_class(trained) -> None:
    store = trained["store"]
    ws, job_id = trained["gan"]
    image = cv2.imdecode(np.frombuffer(jobs.preview(store, job_id, ws), np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    # 10 classes x 8 samples of 8x8 digits, each enlarged to 32x32 pixels, with thin gaps between, and
    # a white margin at the left where each row's class name ("0" .. "9", one character) is written.
    assert 10 * 32 <= image.shape[0] < 10 * 32 + 20
    margin = image.shape[1] - (8 * 32 + 9)
    assert 5 <= margin <= 40
    label_strip = image[:, :margin]
    assert (label_strip[:, 0] == 255).all() and (label_strip < 128).any()  # white, with dark glyphs


def test_the_final_checkpoint_is_in_the_result_and_loads(trained) -> None:
    store = trained["store"]
    ws, job_id = trained["gan"]
    job = jobs.get(store, job_id, ws)
    sha = job.result["checkpoint"]
    data = store.read(ws, sha)
    assert hashlib.sha256(data).hexdigest() == sha
    payload = load_checkpoint(data, "the job's checkpoint", "gan")
    assert payload["steps"] == job.result["checkpoint_steps"] == GAN_STEPS
    assert GANConfig.from_dict(payload["config"]) == GANConfig.dry_run(n_classes=10)
    GANTrainer.from_checkpoint(payload)  # a sampler can be rebuilt from it
    # Checkpoints were written every 0.2 s on the way; only the latest is kept, as an artifact.
    artifacts = store.artifacts(ws, "checkpoint")
    assert [(a["sha256"], a["meta"]) for a in artifacts] == [
        (sha, {"job": job_id, "steps": GAN_STEPS, "kind": "gan"})
    ]
    assert store.usage(ws) == len(data)  # the replaced ones' files are gone


def test_an_lstm_job_on_an_uploaded_csv_finishes_with_samples_and_a_checkpoint(trained) -> None:
    store = trained["store"]
    ws, job_id, _ = trained["lstm"]
    job = jobs.get(store, job_id, ws)
    assert job.status == "finished" and job.progress["steps"] == LSTM_STEPS
    assert job.progress["unigram_bpc"] > 0 and job.progress["val_bpc"] > 0  # dry run validates every 5
    # Conditional on the CSV's label column: the preview lines carry its labels.
    preview = job.progress["preview_text"]
    assert preview and all(line.startswith(("[long] ", "[short] ")) for line in preview)
    payload = load_checkpoint(store.read(ws, job.result["checkpoint"]), "lstm", "lstm")
    assert payload["labels"] == ["long", "short"] and payload["steps"] == LSTM_STEPS
    assert jobs.preview(store, job_id, ws) is None  # an LSTM's preview is text, in the progress


def test_two_workspaces_never_see_each_others_jobs_files_or_checkpoints(trained) -> None:
    store = trained["store"]
    gan_ws, gan_job = trained["gan"]
    lstm_ws, lstm_job, upload = trained["lstm"]
    assert [j.id for j in jobs.of_workspace(store, gan_ws)] == [gan_job]
    assert [j.id for j in jobs.of_workspace(store, lstm_ws)] == [lstm_job]
    assert jobs.get(store, gan_job, lstm_ws) is None and jobs.preview(store, gan_job, lstm_ws) is None
    gan_sha = jobs.get(store, gan_job).result["checkpoint"]
    lstm_sha = jobs.get(store, lstm_job).result["checkpoint"]
    assert [a["sha256"] for a in store.artifacts(gan_ws, "checkpoint")] == [gan_sha]
    assert [a["sha256"] for a in store.artifacts(lstm_ws, "checkpoint")] == [lstm_sha]
    for ws, foreign in ((lstm_ws, gan_sha), (gan_ws, lstm_sha), (gan_ws, upload)):
        with pytest.raises(WorkspaceError):
            store.read(ws, foreign)


def test_a_job_cannot_read_another_workspaces_checkpoint_or_upload(trained, tmp_path) -> None:
    """Knowing the hash is not enough: a job of workspace B naming A's files fails, by sentence."""
    store = trained["store"]
    _, gan_job = trained["gan"]
    _, _, upload = trained["lstm"]
    stolen = jobs.get(store, gan_job).result["checkpoint"]
    thief = store.create()
    resume = {**gan_config(max_steps=5), "resume": {"sha256": stolen}}
    upload_job = lstm_config([{"name": "theirs.csv", "sha256": upload}], 5)
    for kind, config in (("train-gan", resume), ("train-lstm", upload_job)):
        job = _run_in_process(store, thief, kind, config)
        assert job.status == "failed" and "This workspace holds no file with SHA-256" in job.message


# ---------------------------------------------------------------------------------------------
# Configurations that cannot run end "failed" with a sentence


def _run_in_process(store: Store, ws: str, kind: str, config, registry=None):
    job_id = jobs.submit(store, ws, kind, config)
    claimed = jobs.claim_next(store)
    assert claimed is not None and claimed.id == job_id
    assert run_job(store, job_id, registry or handlers()) == 0
    return jobs.get(store, job_id)


@pytest.fixture(scope="module")
def bad_home(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("bad"))
    ws = store.create()
    not_an_image = store.put(ws, b"hello, I am text", "notes.png")
    return store, ws, not_an_image


MISSING = "0" * 64


@pytest.mark.parametrize(
    "kind, config, expected",
    [
        # not an object at all
        ("train-gan", ["digits"], "A training job's configuration must be a JSON object, got list."),
        # no data named
        ("train-gan", {"model": {}}, 'The job names no data: give "data"'),
        # an entry the job does not know (a typo of "limits")
        ("train-gan", {**gan_config(5), "limit": {}}, "Unknown setting(s) limit in the training job's"),
        # an unknown built-in sample
        ("train-gan", {**gan_config(5), "data": {"builtin": "cats"}}, "cats: is not a built-in image sample"),
        # a text sample for a GAN
        ("train-gan", {**gan_config(5), "data": {"builtin": "reviews"}}, "reviews: is not a built-in image"),
        # both a sample and files
        (
            "train-gan",
            {**gan_config(5), "data": {"builtin": "digits", "files": [{"name": "a", "sha256": MISSING}]}},
            "a built-in sample or uploaded files",
        ),
        # a malformed hash
        (
            "train-gan",
            {**gan_config(5), "data": {"files": [{"name": "a.zip", "sha256": "../../etc"}]}},
            "a.zip: the file's sha256 must be 64 lower-case hex digits",
        ),
        # a well-formed hash of no file of this workspace
        (
            "train-gan",
            {**gan_config(5), "data": {"files": [{"name": "a.zip", "sha256": MISSING}]}},
            "This workspace holds no file with SHA-256 000000000000",
        ),
        # an unknown model setting
        (
            "train-gan",
            {**gan_config(5), "model": {"layers": 3}},
            "Unknown setting(s) layers in the GAN configuration",
        ),
        # a model setting out of range
        ("train-gan", {**gan_config(5), "model": {"image_size": 7}}, "The MLP GAN takes image sizes"),
        # a conditional model whose class count is not the data's
        ("train-gan", gan_config(5, n_classes=3), "expects 3 classes but the images have 10"),
        # no limit at all: it would never end
        (
            "train-gan",
            {**gan_config(5), "limits": {"max_steps": None, "budget_s": None}},
            "Give a step count or a time budget",
        ),
        # a negative budget
        (
            "train-gan",
            {**gan_config(5), "limits": {"budget_s": -1}},
            "limits.budget_s must be a number in (0, 86400]",
        ),
        # resuming from a checkpoint this workspace does not hold
        ("train-gan", {**gan_config(5), "resume": {"sha256": MISSING}}, "This workspace holds no file"),
        # a job kind this AugLab does not run
        (
            "train-vae",
            gan_config(5),
            "This AugLab cannot run jobs of kind 'train-vae'; it runs experiment, export, train-gan, "
            "train-lstm.",
        ),
        # an unknown built-in text sample
        (
            "train-lstm",
            {"data": {"builtin": "nope"}, "model": {}, "limits": {"max_steps": 1}},
            "nope: is not a built-in text sample",
        ),
    ],
)
def test_a_job_that_cannot_run_fails_with_a_sentence(bad_home, kind, config, expected) -> None:
    store, ws, _ = bad_home
    job = _run_in_process(store, ws, kind, config)
    assert job.status == "failed" and expected in job.message
    assert "Traceback" not in job.message and not job.message.startswith("Training failed (")


@pytest.mark.parametrize(
    "upload, kind, expected",
    [
        # text named like an image: the upload's name is in the sentence, with the decoder's reason
        ("not_an_image", "train-gan", "notes.png: holds no image that could be used"),
        # a file that is not a checkpoint, given as one to resume from
        ("not_a_checkpoint", "train-gan", "is not a usable AugLab checkpoint"),
        # a GAN checkpoint given to an LSTM job
        ("gan_checkpoint", "train-lstm", "is a GAN checkpoint ('gan'), not an LSTM checkpoint"),
    ],
)
def test_an_upload_that_cannot_be_used_fails_naming_it(bad_home, upload, kind, expected) -> None:
    store, ws, not_an_image = bad_home
    if upload == "not_an_image":
        config = {**gan_config(5), "data": {"files": [{"name": "notes.png", "sha256": not_an_image}]}}
    else:
        if upload == "not_a_checkpoint":
            sha = store.put(ws, b"PK\x03\x04 broken", "model.pt")
        else:
            trainer = GANTrainer(None, None, [], GANConfig.dry_run())
            sha = store.put(ws, save_checkpoint(trainer.checkpoint()), "gan.pt")
        data = {"builtin": "reviews"} if kind == "train-lstm" else {"builtin": "digits"}
        config = {"data": data, "resume": {"sha256": sha}, "limits": {"max_steps": 1}}
    job = _run_in_process(store, ws, kind, config)
    assert job.status == "failed" and expected in job.message


def test_a_bug_in_a_handler_fails_the_job_with_its_type_and_logs_the_traceback(bad_home, capfd) -> None:
    store, ws, _ = bad_home

    def broken(ctx) -> Outcome:
        ctx.report({"steps": 3})
        raise ZeroDivisionError("division by zero")

    job = _run_in_process(store, ws, "train-gan", {}, {"train-gan": broken})
    assert (job.status, job.message) == ("failed", "Training failed (ZeroDivisionError: division by zero).")
    assert job.progress == {"steps": 3}  # what it reported before failing stays
    assert "Traceback" in capfd.readouterr().err


def test_sigterm_stops_a_worker_like_a_users_stop_with_a_checkpoint(bad_home) -> None:
    """``python -m core worker`` turns SIGTERM into this event (run here in-process, on a thread)."""
    store, ws, _ = bad_home
    job_id = jobs.submit(store, ws, "train-gan", gan_config(budget_s=60))
    jobs.claim_next(store)
    terminate = threading.Event()

    def send_when_training() -> None:
        reader = Store(store.home)
        while not jobs.get(reader, job_id).progress.get("steps"):
            time.sleep(0.05)
        terminate.set()

    sender = threading.Thread(target=send_when_training, daemon=True)
    sender.start()
    assert run_job(store, job_id, handlers(), terminate) == 0
    job = jobs.get(store, job_id)
    steps = job.progress["steps"]
    assert job.status == "stopped" and job.message.startswith(f"Stopped at step {steps:,}.")
    assert "SIGTERM" in job.message
    assert load_checkpoint(store.read(ws, job.result["checkpoint"]), "stopped", "gan")["steps"] == steps


def test_a_job_stopped_while_its_worker_started_ends_without_training(bad_home) -> None:
    store, ws, _ = bad_home
    job_id = jobs.submit(store, ws, "train-gan", gan_config(budget_s=60))
    jobs.claim_next(store)
    jobs.request_stop(store, job_id, ws)
    assert run_job(store, job_id, {}) == 0  # no handler needed: it never gets that far
    job = jobs.get(store, job_id)
    assert (job.status, job.message, job.result) == ("stopped", "Stopped before it started.", {})


@pytest.mark.parametrize(
    "spec",
    [
        # a built-in sample, a step limit, fresh
        TrainJob(
            DataSpec(builtin="digits"), GANConfig.dry_run().to_dict(), JobLimits(budget_s=None, max_steps=9)
        ),
        # uploads with CSV settings, resuming
        TrainJob(
            DataSpec(
                files=(FileRef("a.csv", "b" * 64),), text_column="t", label_column="label", header=False
            ),
            None,
            JobLimits(budget_s=5.5, checkpoint_every_s=1.0),
            Resume("a" * 64),
        ),
    ],
)
def test_a_job_config_survives_json(spec: TrainJob) -> None:
    assert TrainJob.from_config(json.loads(json.dumps(spec.to_config()))) == spec
