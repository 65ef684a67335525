"""Training as a job: what ``python -m core worker`` runs for the kinds "train-gan" and "train-lstm".

"train-gan" jobs train an image generator: a GAN, or a VAE when the job says ``"generator": "vae"``
(one job kind for both, so the worker's handler table, :mod:`core.cli.worker`, needs no new entry).

A page (or a script) submits a job with :func:`core.workspace.jobs.submit` and a config built by
:meth:`TrainJob.to_config`; the supervisor starts a worker process; the worker calls :func:`train_gan`
or :func:`train_lstm` with a :class:`~core.workspace.worker.JobContext`. Why worker processes and a job
table rather than a thread or a task queue: see :mod:`core.workspace.supervisor`.

Job config (JSON)::

    {"model": {...},        # GANConfig / VAEConfig / LSTMConfig fields (missing ones take their
                            # defaults); ignored when resuming: a checkpoint keeps its own settings
     "generator": null,     # "train-gan" jobs: "gan" (the default) or "vae"
     "data": {"builtin": "digits"}                 # a built-in sample (core.data.sources names)
          or {"files": [{"name": "photos.zip", "sha256": "<64 hex>"}, ...],   # the workspace's files
              "text_column": "text", "label_column": null, "header": true},   # CSV uploads (LSTM)
     "limits": {"budget_s": 60, "max_steps": null,  # whichever comes first; at least one of them
                "checkpoint_every_s": 30},
     "resume": null or {"sha256": "<a checkpoint in the same workspace>"}}

Uploads are read from the workspace by hash (another workspace's files are not found); the names are
display names for messages, never paths, and only their ending tells a CSV from plain text.

Progress (``job.progress``, rewritten about twice a second)::

    status       the engine's: "running", "stopping", then "finished" / "stopped" / "failed"
    steps        steps in all (a resumed model counts on from its checkpoint); run_steps: in this job
    elapsed_s, eta_s (null until known), fraction (0..1 of this job's limit), steps_per_s
    history      {"generator": [[step, loss], ...], ...}: at most HISTORY_POINTS points per curve
    message      why it ended, or what it is doing ("Loading the data…")
    device       e.g. "CPU (1 thread)"
    notices      files or entries that were skipped, and why (names as the user gave them)
    GAN, VAE:    generator ("gan" / "vae"), classes, train_images, held_out_images, preview_rows (the
                 class name of each row of the preview grid); the preview image: jobs.preview() (PNG)
    LSTM:        preview_text (three lines), preview_known_words (the share of their words found in
                 the training text, null when none), val_bpc (null until measured), unigram_bpc

Result (``job.result``): ``checkpoint`` (sha256 of the latest checkpoint in the workspace),
``checkpoint_steps`` and ``checkpoint_artifact`` (its id among the workspace's "checkpoint"
artifacts, meta ``{"job", "steps", "kind"}``). A checkpoint is written every ``checkpoint_every_s``
seconds of training and when the run ends (finished, stopped, or failed and rolled back to its last good
state); each replaces the job's previous one, so a long run does not fill the workspace, and a worker
that is killed leaves the latest. To resume, submit a new job with ``"resume": {"sha256":
result["checkpoint"]}`` and the same data: the trainer is rebuilt from the checkpoint and counts on.

The trainers are built here exactly as the pages and ``python -m core train-gan`` / ``train-vae`` build
them (:func:`gan_trainer`, :func:`vae_trainer`, :func:`resume_image_trainer`, :func:`lstm_trainer`,
:func:`resume_lstm_trainer`).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from core.config import check_float, check_int, from_mapping
from core.data.image_io import LoadedImage
from core.data.inputs import (  # noqa: F401 - DataSpec & co. live there (exports name data alike)
    DataSpec,
    FileRef,
    images_from_files,
    load_images,
    load_text,
    text_from_files,
)
from core.data.text_io import TextExample
from core.dataset.writer import encode_png
from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from core.generators.engine import RunLimits, RunSnapshot, TrainingRun, describe_device
from core.generators.gan import GANConfig, GANTrainer, TrainingData, training_split
from core.generators.lstm import LSTMConfig, LSTMTrainer, build_corpus
from core.generators.vae import VAEConfig, VAETrainer
from core.workspace.worker import SHA256, JobContext, Outcome

REPORT_EVERY_S = 0.5  # progress written this often; also how often a stop request is looked for
CHECKPOINT_EVERY_S = 30.0  # seconds of training between checkpoints (the default of "limits")
HISTORY_POINTS = 500  # loss points per curve in a report (the engine keeps more; a page plots these)
MAX_NOTICES = 20
# A new preview (the GAN's sample grid, the LSTM's lines) this often. Slower than the page's polling on
# purpose: a page that polls and finds the same picture sends the same media file, so a browser that is
# slow to fetch one (a class of browsers on a busy server) never asks for a picture already replaced.
PREVIEW_EVERY_S = 3.0  # skipped files named in the progress; the rest are counted
MAX_BUDGET_S = 24 * 3600.0
KINDS = {"train-gan": "gan", "train-lstm": "lstm"}  # job kind -> checkpoint kind (a VAE job's: "vae")
IMAGE_GENERATORS = ("gan", "vae")  # what a "train-gan" job's "generator" may name
_NAMES = {"gan": "GAN", "vae": "VAE", "lstm": "LSTM"}


# ---------------------------------------------------------------------------------------------
# The job's configuration


@dataclass(frozen=True)
class JobLimits:
    """When the job ends by itself, and how often it writes a checkpoint."""

    budget_s: float | None = 60.0  # seconds of training in this job (None: no time limit)
    max_steps: int | None = None  # steps in this job, not counting a resumed checkpoint's
    checkpoint_every_s: float = CHECKPOINT_EVERY_S  # seconds of training between checkpoints

    def __post_init__(self) -> None:
        if self.budget_s is not None:
            check_float("limits.budget_s", self.budget_s, 0.0, MAX_BUDGET_S, low_open=True)
        if self.max_steps is not None:
            check_int("limits.max_steps", self.max_steps, 1)
        if self.budget_s is None and self.max_steps is None:
            raise ConfigError("Give a step count or a time budget, so that training stops by itself.")
        check_float("limits.checkpoint_every_s", self.checkpoint_every_s, 0.0, MAX_BUDGET_S, low_open=True)

    def run_limits(self) -> RunLimits:
        return RunLimits(max_steps=self.max_steps, budget_s=self.budget_s, preview_every_s=PREVIEW_EVERY_S)


@dataclass(frozen=True)
class Resume:
    """A checkpoint of the same workspace to continue from."""

    sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.sha256, str) or SHA256.fullmatch(self.sha256) is None:
            raise ConfigError(f"resume.sha256 must be 64 lower-case hex digits, got {self.sha256!r}.")


@dataclass(frozen=True)
class TrainJob:
    """A training job's configuration (see the module docstring); JSON round trip via ``to_config``."""

    data: DataSpec
    model: dict[str, Any] | None = None  # GANConfig / VAEConfig / LSTMConfig fields; not needed to resume
    limits: JobLimits = field(default_factory=JobLimits)
    resume: Resume | None = None
    generator: str | None = None  # "train-gan" jobs: "gan" (None: the same) or "vae"

    def __post_init__(self) -> None:
        if isinstance(self.data, dict):
            object.__setattr__(self, "data", from_mapping(DataSpec, self.data, "job's data"))
        elif not isinstance(self.data, DataSpec):
            raise ConfigError(
                'The job names no data: give "data": {"builtin": "digits"} or {"files": [...]}.'
            )
        if isinstance(self.limits, dict):
            object.__setattr__(self, "limits", from_mapping(JobLimits, self.limits, "job's limits"))
        if isinstance(self.resume, dict):
            object.__setattr__(self, "resume", from_mapping(Resume, self.resume, "job's resume entry"))
        elif self.resume is not None and not isinstance(self.resume, Resume):
            raise ConfigError(f'resume must be null or {{"sha256": ...}}, got {self.resume!r}.')
        if self.model is not None and not isinstance(self.model, dict):
            raise ConfigError(f"model must be a JSON object of model settings, got {self.model!r}.")
        if self.model is None and self.resume is None:
            raise ConfigError('The job gives no model settings: give "model" (or "resume" a checkpoint).')
        if self.generator is not None and self.generator not in IMAGE_GENERATORS:
            raise ConfigError(f'generator must be null, "gan" or "vae", got {self.generator!r}.')

    def to_config(self) -> dict[str, Any]:
        """The JSON-ready dict a job is submitted with."""
        return asdict(self)

    @classmethod
    def from_config(cls, config: Any) -> TrainJob:
        """The inverse of :meth:`to_config`; missing entries take their defaults.

        Raises:
            ConfigError: Not an object, an unknown entry, or a value out of range (a sentence naming it).
        """
        if isinstance(config, dict) and "data" not in config:
            raise ConfigError(
                'The job names no data: give "data": {"builtin": "digits"} or {"files": [...]}.'
            )
        return from_mapping(cls, config, "training job's configuration")


# ---------------------------------------------------------------------------------------------
# Data and trainers, built as the pages and the CLI build them


def gan_trainer(images: Sequence[LoadedImage], config: GANConfig) -> tuple[GANTrainer, TrainingData]:
    """A new GAN on the training part of ``images`` (``config.held_out`` of each class kept apart).

    Raises:
        ConfigError: The images do not fit the config (see :func:`~core.generators.gan.training_split`).
    """
    data = training_split(images, config)
    return GANTrainer(data.images, data.labels, data.classes, config), data


def vae_trainer(images: Sequence[LoadedImage], config: VAEConfig) -> tuple[VAETrainer, TrainingData]:
    """A new VAE on the training part of ``images``: the GAN's split for the same seed and share.

    Raises:
        ConfigError: The images do not fit the config (see :func:`~core.generators.gan.training_split`).
    """
    data = training_split(images, config)
    return VAETrainer(data.images, data.labels, data.classes, config), data


def resume_image_trainer(
    checkpoint: bytes, name: str, images: Sequence[LoadedImage], kind: str = "gan"
) -> tuple[GANTrainer | VAETrainer, TrainingData]:
    """A GAN or VAE (``kind``) rebuilt from a checkpoint, with its own settings, on the same split.

    Raises:
        CheckpointError: The file cannot be used (another kind included), or the images do not fit it
            (the message names it).
    """
    payload = load_checkpoint(checkpoint, name, kind)
    config_type, trainer_type = (VAEConfig, VAETrainer) if kind == "vae" else (GANConfig, GANTrainer)
    try:
        config = config_type.from_dict(payload.get("config"))
    except ConfigError as exc:
        raise CheckpointError(f"{name} holds a configuration that is not valid: {exc}") from None
    try:
        data = training_split(images, config)
    except ConfigError as exc:
        raise CheckpointError(f"{name} cannot resume on these images: {exc}") from None
    trainer = trainer_type.from_checkpoint(payload, data.images, data.labels, classes=data.classes, name=name)
    return trainer, data


def resume_gan_trainer(
    checkpoint: bytes, name: str, images: Sequence[LoadedImage]
) -> tuple[GANTrainer, TrainingData]:
    """:func:`resume_image_trainer` for a GAN checkpoint."""
    return resume_image_trainer(checkpoint, name, images, "gan")


def lstm_trainer(examples: Sequence[TextExample], config: LSTMConfig) -> LSTMTrainer:
    """A new LSTM on ``examples`` (the tail held out for validation).

    Raises:
        ConfigError: Too little text, or unlabelled lines for a conditional model.
    """
    return LSTMTrainer(build_corpus(examples, config), config)


def resume_lstm_trainer(checkpoint: bytes, name: str, examples: Sequence[TextExample]) -> LSTMTrainer:
    """An LSTM rebuilt from a checkpoint, with its own settings, to continue training on ``examples``.

    Raises:
        CheckpointError: The file cannot be used, or its vocabulary is not this text's.
    """
    payload = load_checkpoint(checkpoint, name, "lstm")
    try:
        config = LSTMConfig.from_dict(payload.get("config"))
    except ConfigError as exc:
        raise CheckpointError(f"{name} holds a configuration that is not usable: {exc}") from None
    try:
        corpus = build_corpus(examples, config)
    except ConfigError as exc:
        raise CheckpointError(f"{name} cannot resume on this text: {exc}") from None
    return LSTMTrainer.from_checkpoint(payload, corpus, name=name)


# ---------------------------------------------------------------------------------------------
# The handlers


def train_gan(ctx: JobContext) -> Outcome:
    """Handler of "train-gan" jobs: a GAN, or a VAE (see the module docstring for the config and reports)."""
    spec = TrainJob.from_config(ctx.config)
    kind = spec.generator or "gan"
    config_type = VAEConfig if kind == "vae" else GANConfig
    config = None if spec.resume else config_type.from_dict(spec.model)  # checked before data loads
    with ctx.busy("Loading the images…"):
        images, notices = load_images(spec.data, ctx.read)
        if spec.resume:
            name = _checkpoint_name(ctx, spec.resume.sha256)
            trainer, data = resume_image_trainer(ctx.read(spec.resume.sha256, name), name, images, kind)
        elif kind == "vae":
            trainer, data = vae_trainer(images, config)
        else:
            trainer, data = gan_trainer(images, config)
    info = {
        "generator": kind,
        "classes": list(data.classes),
        "preview_rows": trainer.preview_rows,
        "train_images": int(data.images.shape[0]),
        "held_out_images": int(data.held_out_images.shape[0]),
        "notices": _cap(notices),
    }
    return _train(ctx, trainer, spec, kind, lambda snap: info, on_preview=encode_png)


def train_lstm(ctx: JobContext) -> Outcome:
    """Handler of "train-lstm" jobs (see the module docstring for the config and the reports)."""
    spec = TrainJob.from_config(ctx.config)
    config = None if spec.resume else LSTMConfig.from_dict(spec.model)
    with ctx.busy("Reading the text…"):
        examples, notices = load_text(spec.data, ctx.read)
        if spec.resume:
            name = _checkpoint_name(ctx, spec.resume.sha256)
            trainer = resume_lstm_trainer(ctx.read(spec.resume.sha256, name), name, examples)
        else:
            trainer = lstm_trainer(examples, config)
    notices = _cap(notices)

    def info(snap: RunSnapshot) -> dict[str, Any]:
        lines = list(snap.preview or [])
        return {
            "preview_text": lines,
            "preview_known_words": trainer.known_word_share(lines),
            "val_bpc": trainer.last_val_bpc,
            "unigram_bpc": trainer.unigram_bpc,
            "notices": notices,
        }

    return _train(ctx, trainer, spec, "lstm", info)


def _checkpoint_name(ctx: JobContext, sha256: str) -> str:
    """What the user knows a checkpoint as: its artifact's name, else its hash's start."""
    for artifact in ctx.store.artifacts(ctx.ws, "checkpoint"):
        if artifact["sha256"] == sha256:
            return artifact["name"]
    return f"The checkpoint {sha256[:12]}…"


def _cap(notices: list[str]) -> list[str]:
    if len(notices) <= MAX_NOTICES:
        return notices
    return [*notices[:MAX_NOTICES], f"… and {len(notices) - MAX_NOTICES:,} more"]


# ---------------------------------------------------------------------------------------------
# The training loop of a worker


class _Tap:
    """A trainer that hands over a checkpoint between two steps when asked (for the engine, a Trainer).

    The engine's thread owns the model while it trains; copying the weights from another thread could
    catch an optimiser step half done. So the worker only asks, and the copy is made in the training
    thread at a step boundary; the worker then serialises and stores it while training goes on.
    """

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._payload: dict[str, Any] | None = None

    @property
    def steps_done(self) -> int:
        return self.trainer.steps_done

    @steps_done.setter
    def steps_done(self, value: int) -> None:
        self.trainer.steps_done = value

    def ask(self) -> None:
        self._wanted.set()

    def take(self) -> dict[str, Any] | None:
        with self._lock:
            payload, self._payload = self._payload, None
        return payload

    def step(self) -> dict[str, float]:
        if self._wanted.is_set():
            self._wanted.clear()
            payload = self.trainer.checkpoint()  # a copy: the next steps do not change it
            with self._lock:
                self._payload = payload
        return self.trainer.step()

    def preview(self) -> Any:
        return self.trainer.preview()

    def state(self) -> dict[str, Any]:
        return self.trainer.state()

    def load_state(self, state: dict[str, Any]) -> None:
        self.trainer.load_state(state)


class _Checkpoints:
    """Stores a job's checkpoints in its workspace, keeping only the latest (see the module docstring)."""

    def __init__(self, ctx: JobContext, kind: str) -> None:
        self.ctx, self.kind = ctx, kind
        self.steps: int | None = None
        self.artifact: int | None = None

    def save(self, payload: dict[str, Any]) -> None:
        steps = int(payload["steps"])
        if steps == self.steps:
            return
        ctx = self.ctx
        sha = ctx.put(save_checkpoint(payload), f"The checkpoint at step {steps:,}")
        name = f"{_NAMES[self.kind]}, job {ctx.job.id}, step {steps:,}"
        meta = {"job": ctx.job.id, "steps": steps, "kind": self.kind}
        artifact = ctx.store.add_artifact(ctx.ws, "checkpoint", name, sha, meta)
        # The result names the new file before the old one goes, so a poll never finds none.
        ctx.set_result(
            {**ctx.result, "checkpoint": sha, "checkpoint_steps": steps, "checkpoint_artifact": artifact}
        )
        if self.artifact is not None:
            ctx.store.remove_artifact(ctx.ws, self.artifact)
        self.steps, self.artifact = steps, artifact


def _thin(points: list[tuple[int, float]], limit: int = HISTORY_POINTS) -> list[list[float]]:
    """At most ``limit`` evenly spaced points of a curve, the first and the last always among them."""
    if len(points) > limit:
        last = len(points) - 1
        points = [points[round(i * last / (limit - 1))] for i in range(limit)]
    return [[step, value] for step, value in points]


def _progress(snap: RunSnapshot, device: str) -> dict[str, Any]:
    return {
        "status": snap.status,
        "steps": snap.steps,
        "run_steps": snap.run_steps,
        "elapsed_s": snap.elapsed_s,
        "eta_s": snap.eta_s,
        "fraction": snap.fraction,
        "steps_per_s": snap.steps_per_s,
        "history": {name: _thin(points) for name, points in snap.history.items()},
        "message": snap.message,
        "device": device,
    }


def _train(
    ctx: JobContext,
    trainer: Any,
    spec: TrainJob,
    kind: str,
    info: Callable[[RunSnapshot], dict[str, Any]],
    on_preview: Callable[[Any], Any] | None = None,
) -> Outcome:
    """Run ``trainer`` to the job's limits in the engine, reporting, checkpointing and obeying stops.

    1. The engine trains in its thread; this (the worker's main) thread wakes every
       :data:`REPORT_EVERY_S` seconds, or at once when the run ends.
    2. Each wake-up stores a checkpoint the training thread handed over, asks for the next one when
       ``checkpoint_every_s`` more seconds of training have passed, writes the progress (and the preview
       when it changed) and reads the stop flag: a stop is passed to the engine, which ends after the
       current step.
    3. At the end, the final state is checkpointed and the engine's status and sentence become the job's.
    """
    if ctx.stop_wanted:
        return Outcome("stopped", "Stopped before training started.")
    device = describe_device(trainer.device)
    tap = _Tap(trainer)
    run = TrainingRun(tap, on_preview=on_preview)
    checkpoints = _Checkpoints(ctx, kind)
    every = spec.limits.checkpoint_every_s
    next_checkpoint = every
    shown = None  # the preview last written
    run.start(spec.limits.run_limits())
    try:
        while True:
            run.join(REPORT_EVERY_S)
            ended = not run.running  # read before the snapshot, so an ended run's snapshot is final
            snap = run.snapshot()
            payload = tap.take()
            if payload is not None:
                checkpoints.save(payload)
            if not ended and snap.elapsed_s >= next_checkpoint:
                tap.ask()
                next_checkpoint = snap.elapsed_s + every
            preview = snap.preview if isinstance(snap.preview, bytes) and snap.preview is not shown else None
            progress = {**_progress(snap, device), **info(snap)}
            if ctx.report(progress, preview=preview) and not ended:
                run.stop(wait=False)
            shown = snap.preview
            if ended:
                break
    finally:
        if run.running:  # an exception here (a full workspace, say): do not leave the thread training
            run.stop(wait=True)
    try:
        checkpoints.save(trainer.checkpoint())  # a failed run was rolled back to its last good state
    except Exception:
        if snap.status != "failed":
            raise
        traceback.print_exc()  # the model is broken beyond its last good state: keep the engine's reason
    message = snap.message
    if ctx.terminate.is_set() and snap.status == "stopped":
        message += " The worker process was asked to end (SIGTERM)."
    return Outcome(snap.status, message, ctx.progress, ctx.result)
