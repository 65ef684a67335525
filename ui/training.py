"""What the generator pages share: training jobs in worker processes, the live panel, and the model.

Training runs as a job (``core.workspace.jobs``; kinds "train-gan" — a GAN or a VAE — and "train-lstm",
see ``core.generators.jobs``) in a worker process that one :class:`~core.workspace.supervisor.Supervisor`
per server starts. A page only submits the job, remembers its id in the workspace (key
``<kind>.job``), and polls the job's row in a fragment: so a reload, a restart of the server or another
tab with the same ``?ws=`` link finds the run, still going. When a job ends with a checkpoint, that
checkpoint becomes the workspace's model of its kind (key ``<kind>.model``), loaded once per server
and checkpoint (``st.cache_resource``) into a trainer that the quality checks, the generate controls
and the download use. An uploaded checkpoint is kept in the workspace and becomes the model the same
way, so Resume submits a job from it like from any other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import streamlit as st
import torch

from core.config import from_mapping
from core.errors import AugLabError
from core.generators.checkpoint import checkpoint_hash
from core.generators.engine import describe_device, pick_device
from core.generators.jobs import DataSpec, JobLimits, TrainJob
from core.present.charts import loss_figure
from core.workspace import jobs
from core.workspace.store import Store, WorkspaceError
from ui import background, workspace
from ui.common import KEEP, init, literal

# Training happens in workers; what stays in this process (sampling, the quality checks) leaves the
# other cores to them. A process-wide setting, so it is made here, by the app, never in core/.
torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))

JOB_KINDS = {"gan": "train-gan", "vae": "train-gan", "lstm": "train-lstm"}  # model kind -> job kind
IMAGE_KINDS = ("gan", "vae")  # their jobs make a preview image
POLL_EVERY_S = 2.0  # how often the live panel reads the job and redraws
CHECKPOINT = "checkpoint"  # the workspace's artifact kind of checkpoints (jobs write them as well)


def _store() -> Store:
    return background.store()


def device_caption() -> None:
    st.caption(
        f"Device: **{describe_device(pick_device())}** (CUDA when a GPU is visible, else the CPU). "
        "Training runs in a worker process on the server: reload the page or open its link in another tab "
        "and the run is still there."
    )


def budget_controls(prefix: str) -> JobLimits:
    """Seconds or steps per run, on one row above the Start button."""
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    by = c1.segmented_control(
        "Stop after", ["seconds", "steps"], key=init(f"{prefix}.budget_by", "seconds"), persist_state=KEEP
    )
    if by == "steps":
        steps = c2.number_input(
            "Steps", 10, 1_000_000, step=100, key=init(f"{prefix}.steps", 1000), persist_state=KEEP
        )
        return JobLimits(max_steps=int(steps), budget_s=None)
    seconds = c2.slider("Seconds", 5, 600, step=5, key=init(f"{prefix}.seconds", 40), persist_state=KEEP)
    return JobLimits(budget_s=float(seconds))


def signature(model: dict[str, Any], data: dict[str, Any]) -> str:
    """What a model is trained from (settings and data): a different one means a new model.

    ``data`` is a job's data entry, in full or with defaults left out (they are filled in here).
    """
    spec = json.loads(json.dumps(asdict(from_mapping(DataSpec, data, "job's data"))))
    return json.dumps({"model": model, "data": spec}, sort_keys=True)


# -- the model in this process ------------------------------------------------------------------------


@dataclass
class Model:
    """A checkpoint of the workspace, loaded for sampling (and the quality checks)."""

    trainer: Any  # GANTrainer / LSTMTrainer (shared by the sessions that load this checkpoint: read only)
    sha256: str  # their sha256: the checkpoint's name in the workspace and in the pool's records
    name: str  # what the user knows it as ("GAN, job 3, step 600" or an uploaded file's name)
    signature: str | None  # the settings and data it can resume on; None: sampling only
    info: dict[str, Any] = field(default_factory=dict)  # page extras: the GAN's split, the LSTM's labels

    @property
    def steps(self) -> int:
        return int(self.trainer.steps_done)


# Builds (trainer, signature or None, info) from a checkpoint's bytes and name, on the page's data;
# raises AugLabError (naming the file) when the file cannot be used.
Loader = Callable[[bytes, str], tuple[Any, str | None, dict[str, Any]]]


# A few models per server: a class of sessions each loading its own model would otherwise keep them all
# (about 5 MB each for a digits GAN) long after the sessions closed. Loading one again takes well under a
# second. The checkpoint's bytes are not kept: the workspace has them.
@st.cache_resource(show_spinner="Loading the model…", max_entries=6)
def _load(
    kind: str, sha256: str, data_key: str, name: str, _read: Callable[[], bytes], _loader: Loader
) -> Model:
    # Keyed by the checkpoint's hash and the data it is paired with: reruns, tabs and sessions on the
    # same checkpoint share one trainer instead of reading and loading it again.
    data = _read()
    trainer, sig, info = _loader(data, name)
    return Model(trainer, sha256, name, sig, info)


def current_model(kind: str, data_key: str, loader: Loader) -> Model | None:
    """The workspace's model of ``kind`` (the last finished job's checkpoint, or an uploaded one)."""
    db, ws = _store(), workspace.workspace_id()
    ref = db.get(ws, f"{kind}.model")
    if not isinstance(ref, dict) or "sha256" not in ref:
        return None
    try:
        sha, name = ref["sha256"], ref.get("name", "The checkpoint")
        model = _load(kind, sha, data_key, name, lambda: db.read(ws, sha), loader)
    except (AugLabError, WorkspaceError) as exc:
        st.error(literal(exc), icon="⚠️")
        return None
    if model.signature is not None and ref.get("signature"):
        # A job's model resumes on what the job trained on, not on whatever the page shows now.
        model = replace(model, signature=ref["signature"])
    return model


def _adopt(db: Store, ws: str, kind: str, job: jobs.Job) -> None:
    """Make an ended job's last checkpoint the workspace's model (once per job)."""
    ref = db.get(ws, f"{kind}.model")
    sha = job.result.get("checkpoint")
    if not sha or (isinstance(ref, dict) and ref.get("job") == job.id and ref.get("sha256") == sha):
        return
    steps = job.result.get("checkpoint_steps", 0)
    name = f"{kind.upper()}, job {job.id}, step {steps:,}"  # GAN, VAE or LSTM
    sig = signature(job.config.get("model") or {}, job.config["data"])
    db.set(ws, f"{kind}.model", {"sha256": sha, "name": name, "job": job.id, "signature": sig})


# -- buttons and the live panel -----------------------------------------------------------------------


def current_job(kind: str) -> jobs.Job | None:
    """The workspace's latest job of ``kind``; an ended one's checkpoint becomes the model."""
    db, ws = _store(), workspace.workspace_id()
    job_id = db.get(ws, f"{kind}.job")
    job = jobs.get(db, job_id, ws) if isinstance(job_id, int) else None
    if job is not None and not job.active:
        _adopt(db, ws, kind, job)
    return job


def run_buttons(
    kind: str,
    model_settings: dict[str, Any],
    data: Callable[[], dict[str, Any]],
    model: Model | None,
    job: jobs.Job | None,
) -> jobs.Job | None:
    """The run's budget, then Start / resume, stop and reset; returns the workspace's job of ``kind``.

    Args:
        kind: "gan", "vae" or "lstm".
        model_settings: The sidebar's settings (GANConfig / VAEConfig / LSTMConfig as a dict).
        data: The job's data entry (raises AugLabError when the page's data cannot go to a worker).
        model: The workspace's model; Resume continues it when it was trained on these settings and data.
    """
    limits = budget_controls(kind)
    db, ws = _store(), workspace.workspace_id()
    running = job is not None and job.active
    try:
        spec = data()
    except AugLabError as exc:
        st.error(f"Training on this data: {literal(exc)}", icon="⚠️")
        spec = None
    same = spec is not None and model is not None and model.signature == signature(model_settings, spec)
    c1, c2, c3, _ = st.columns([1, 1, 1, 3])
    label = "Resume" if same and model.steps else "Start training"
    if c1.button(label, type="primary", disabled=running or spec is None, key=f"{kind}.start"):
        resume = {"sha256": model.sha256} if same else None
        generator = kind if kind == "vae" else None
        config = TrainJob(
            data=spec, model=model_settings, limits=limits, resume=resume, generator=generator
        ).to_config()
        try:
            job_id = jobs.submit(db, ws, JOB_KINDS[kind], config)
            db.set(ws, f"{kind}.job", job_id)
            job, running = jobs.get(db, job_id, ws), True
        except WorkspaceError as exc:
            st.error(literal(exc), icon="⚠️")
    if c2.button("Stop", disabled=not running, key=f"{kind}.stop"):
        jobs.request_stop(db, job.id, ws)
        job = jobs.get(db, job.id, ws)
    if c3.button(
        "Reset",
        disabled=(job is None and model is None) or running,
        key=f"{kind}.reset",
        help="Forget the model and its run.",
    ):
        db.unset(ws, f"{kind}.job")
        db.unset(ws, f"{kind}.model")
        st.rerun()
    if model is not None and spec is not None and not same and not running:
        st.caption("The settings or the data changed since this model was trained: Start trains a new one.")
    return job


def _status_line(job: jobs.Job) -> tuple[float, str]:
    """The progress bar's fraction and text."""
    p = job.progress
    if job.status == "queued":
        ahead = jobs.queue_position(_store(), job.id)
        return 0.0, f"Queued: {ahead} ahead (a worker takes it when one is free)"
    if not p.get("status"):  # the worker is starting or loading the data, or ended before training
        if not job.active:
            return 0.0, f"{job.status.capitalize()} before training started"
        return 0.0, f"Starting · {p.get('message') or 'starting a worker process…'}"
    # The job's status, not the progress's: the progress says "finished" a moment before the worker has
    # written the last checkpoint and ended the job, and the page must not offer a model not there yet.
    status = job.status
    eta = p.get("eta_s")
    eta_text = f" · about {eta:.0f} s left" if eta is not None and job.active else ""
    text = (
        f"{status.capitalize()} · step {p.get('steps', 0):,} · {p.get('elapsed_s', 0.0):.1f} s this run · "
        f"{p.get('steps_per_s', 0.0):.1f} steps/s{eta_text}"
    )
    return min(1.0, float(p.get("fraction") or 0.0)), text


def live_panel(
    kind: str,
    job: jobs.Job,
    show_preview: Callable[[jobs.Job, bytes | None], None],
    baselines: Callable[[jobs.Job], dict[str, float] | None] = lambda job: None,
    y_title: str = "loss",
) -> None:
    """Progress bar, loss curves and the latest preview; polls the job every 2 s while it is active.

    Every poll redraws the panel on the server and in the browser, on the cores the worker trains on;
    every 2 s rather than every second halves that cost (the preview changes every 3 s anyway).
    """
    was_active = job.active

    @st.fragment(run_every=POLL_EVERY_S if was_active else None)
    def panel() -> None:
        db, ws = _store(), workspace.workspace_id()
        now = jobs.get(db, job.id, ws) or job
        fraction, text = _status_line(now)
        st.progress(fraction, text=text)
        message = now.message if not now.active else now.progress.get("message", "")
        if now.status == "failed":
            st.error(f"Training failed: {literal(message)}", icon="⚠️")
        elif message and now.progress.get("status"):
            st.caption(literal(message))
        for notice in now.progress.get("notices", []):
            st.caption(literal(notice))
        history = now.progress.get("history") or {}
        left, right = st.columns([3, 2])
        if history:
            curves = {name: [tuple(p) for p in points] for name, points in history.items()}
            left.plotly_chart(
                loss_figure(curves, baselines(now), y_title), width="stretch", key=f"{kind}.loss_curve"
            )
        with right:
            show_preview(now, jobs.preview(db, now.id, ws) if kind in IMAGE_KINDS else None)
        if was_active and not now.active:
            st.rerun()  # the run ended: redraw the whole page (buttons, model, quality, generation)

    panel()


# -- checkpoints and the pool -------------------------------------------------------------------------


def checkpoint_section(kind: str, model: Model | None, data_key: str, loader: Loader, holds: str) -> None:
    """Download the model's checkpoint; upload one (kept in the workspace; refused by name when unusable).

    Args:
        kind: "gan", "vae" or "lstm" (the checkpoint kind and the widget key prefix).
        model: The workspace's model, if any.
        data_key: What the page's data is (the cache key of the models loaded on it).
        loader: Builds the model from a file's bytes and name; raises AugLabError (naming the file).
        holds: What the checkpoint holds besides the weights, for the help text.
    """
    if model is not None and model.steps:
        try:
            data = _store().read(workspace.workspace_id(), model.sha256)
        except WorkspaceError as exc:
            st.error(literal(exc), icon="⚠️")
            data = None
    if model is not None and model.steps and data is not None:
        st.download_button(
            "Download checkpoint (.pt)",
            data,
            file_name=f"auglab_{kind}_step{model.steps}.pt",
            help=f"Weights, configuration and {holds}; load it here or with `python -m core sample-{kind}`.",
        )
    with st.expander("Load a checkpoint"):
        upload = st.file_uploader(
            f"AugLab {kind.upper()} checkpoint (.pt)", type=["pt"], key=f"{kind}.checkpoint_file"
        )
        if upload is not None and st.button("Load it", key=f"{kind}.load"):
            data, name = upload.getvalue(), upload.name
            try:
                # Refused here, by name, before anything is kept; loaded once (the page uses it next).
                _load(kind, checkpoint_hash(data), data_key, name, lambda: data, loader)
                db, ws = _store(), workspace.workspace_id()
                sha = db.put(ws, data, name)
                db.add_artifact(ws, CHECKPOINT, name, sha, {"kind": kind, "uploaded": True})
                running = db.get(ws, f"{kind}.job")
                if isinstance(running, int):  # the loaded model replaces the run's, as Reset would
                    jobs.request_stop(db, running, ws)
                db.set(ws, f"{kind}.model", {"sha256": sha, "name": name, "job": None})
                db.unset(ws, f"{kind}.job")
                st.rerun()
            except (AugLabError, WorkspaceError) as exc:
                st.error(literal(exc), icon="⚠️")
