"""The training engine: runs a model's optimisation steps in a worker thread that a page can poll.

A :class:`Trainer` (``gan.GANTrainer``, ``lstm.LSTMTrainer``) knows its model, data and
optimiser and does one step at a time, with no threads and no I/O. :class:`TrainingRun` wraps it:

- ``start(limits)`` runs steps in a daemon thread until a step count or a time budget is reached,
  ``stop()`` is reached (a ``threading.Event``, checked between steps), or a loss stops being finite;
- ``snapshot()`` hands a consistent copy of progress (steps, elapsed, ETA, loss history, the latest
  preview) to whoever polls, from any thread;
- a stop keeps the model as it is; ``start`` again resumes where it stopped, history included;
- every few seconds the trainer's state is copied in memory; if a loss turns NaN or infinite the run
  goes back to that last good state and says so.

The worker thread never touches Streamlit: pages read snapshots, nothing else.
"""

from __future__ import annotations

import copy
import math
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from core.errors import ConfigError

MAX_POINTS = 4000  # loss points kept per curve; older ones are thinned so plots stay light


def pick_device() -> torch.device:
    """CUDA when a GPU is visible, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def describe_device(device: torch.device) -> str:
    """A short human description, e.g. "CPU (2 threads)" or "CUDA: NVIDIA H100"."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


class Trainer(Protocol):
    """What the engine needs from a model: a step, a preview, and a state to save and restore."""

    steps_done: int  # optimisation steps taken so far (restored with the state)

    def step(self) -> dict[str, float]:
        """One optimisation step; returns named losses (e.g. {"generator": 0.7, "discriminator": 1.3})."""
        ...

    def preview(self) -> Any:
        """Something cheap to show now (e.g. samples from a fixed noise batch)."""
        ...

    def state(self) -> dict[str, Any]:
        """A deep copy of everything needed to continue: weights, optimiser, step count, RNG."""
        ...

    def load_state(self, state: dict[str, Any]) -> None:
        """Go back to a state from :meth:`state`."""
        ...


@dataclass(frozen=True)
class RunLimits:
    """When a run stops by itself: after ``max_steps`` more steps or ``budget_s`` seconds, whichever first."""

    max_steps: int | None = None  # steps in this run (not counting earlier runs)
    budget_s: float | None = 60.0  # seconds of training in this run
    preview_every_s: float = 1.0  # how often the preview is refreshed
    good_state_every_s: float = 5.0  # how often the last good state is copied

    def __post_init__(self) -> None:
        if self.max_steps is None and self.budget_s is None:
            raise ConfigError("Give a step count or a time budget, so that training stops by itself.")
        if self.max_steps is not None and not (isinstance(self.max_steps, int) and self.max_steps >= 1):
            raise ConfigError(f"The step count must be a whole number of at least 1, got {self.max_steps!r}.")
        if self.budget_s is not None and not (0 < self.budget_s <= 24 * 3600):
            raise ConfigError(f"The time budget must be between 0 and 86,400 seconds, got {self.budget_s!r}.")


@dataclass(frozen=True)
class RunSnapshot:
    """Progress as it stood at one moment; safe to keep and read from any thread."""

    status: str  # "idle", "running", "stopping", "finished", "stopped", "failed"
    steps: int  # total steps taken (all runs)
    run_steps: int  # steps in the current or last run
    elapsed_s: float  # seconds of training in the current or last run
    eta_s: float | None  # seconds left in the current run, when it can be told
    fraction: float  # 0..1 of the current run's limit
    history: dict[str, list[tuple[int, float]]]  # loss name -> (step, value), thinned
    preview: Any
    message: str  # why it stopped, or what went wrong
    steps_per_s: float


@dataclass
class _Progress:
    status: str = "idle"
    run_steps: int = 0
    started: float = 0.0
    elapsed_s: float = 0.0
    limits: RunLimits = field(default_factory=RunLimits)
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    preview: Any = None
    message: str = ""


class TrainingRun:
    """A trainer with a worker thread, a stop switch and a history; see the module docstring."""

    def __init__(self, trainer: Trainer, on_preview: Callable[[Any], Any] | None = None) -> None:
        """
        Args:
            trainer: The model to train.
            on_preview: Applied to each preview in the worker thread (e.g. turning tensors into a
                grid image), so polling costs nothing.
        """
        self.trainer = trainer
        self._on_preview = on_preview or (lambda x: x)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = _Progress(preview=self._on_preview(trainer.preview()))

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, limits: RunLimits) -> None:
        """Train in a worker thread until ``limits`` (or :meth:`stop`); resumes after an earlier run.

        Raises:
            ConfigError: A run is already going.
        """
        with self._lock:
            if self.running:
                raise ConfigError("Training is already running; stop it first.")
            self._stop.clear()
            self._progress.status = "running"
            self._progress.run_steps = 0
            self._progress.elapsed_s = 0.0
            self._progress.started = time.perf_counter()
            self._progress.limits = limits
            self._progress.message = ""
            self._thread = threading.Thread(
                target=self._work, args=(limits,), name="auglab-training", daemon=True
            )
            self._thread.start()

    def stop(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        """Ask the worker to stop after its current step; optionally wait for it."""
        self._stop.set()
        with self._lock:
            if self._progress.status == "running":
                self._progress.status = "stopping"
        if wait:
            self.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker thread to end."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def snapshot(self) -> RunSnapshot:
        """A consistent copy of the progress so far."""
        with self._lock:
            p = self._progress
            elapsed = time.perf_counter() - p.started if p.status in ("running", "stopping") else p.elapsed_s
            limits = p.limits
            rate = p.run_steps / elapsed if elapsed > 0 else 0.0
            fractions, etas = [], []
            if limits.budget_s:
                fractions.append(elapsed / limits.budget_s)
                etas.append(max(0.0, limits.budget_s - elapsed))
            if limits.max_steps:
                fractions.append(p.run_steps / limits.max_steps)
                if rate > 0:
                    etas.append(max(0.0, (limits.max_steps - p.run_steps) / rate))
            done = p.status in ("finished",)
            return RunSnapshot(
                status=p.status,
                steps=self.trainer.steps_done,
                run_steps=p.run_steps,
                elapsed_s=elapsed,
                eta_s=(0.0 if done else min(etas)) if etas else None,
                fraction=1.0 if done else min(1.0, max(fractions, default=0.0)),
                history={name: list(points) for name, points in p.history.items()},
                preview=p.preview,
                message=p.message,
                steps_per_s=rate,
            )

    def _record(self, step: int, losses: dict[str, float]) -> None:
        history = self._progress.history
        for name, value in losses.items():
            points = history.setdefault(name, [])
            points.append((step, value))
            if len(points) > MAX_POINTS:
                del points[1:MAX_POINTS:2]  # thin the older half, keep the first and the newest

    def _work(self, limits: RunLimits) -> None:
        trainer, progress = self.trainer, self._progress
        start = progress.started
        last_preview = last_good_at = start
        good = trainer.state()
        good_step = trainer.steps_done
        status, message = "finished", ""
        try:
            while not self._stop.is_set():
                now = time.perf_counter()
                if limits.budget_s is not None and now - start >= limits.budget_s:
                    message = f"Time budget of {limits.budget_s:g} s reached."
                    break
                if limits.max_steps is not None and progress.run_steps >= limits.max_steps:
                    message = f"{limits.max_steps:,} steps done."
                    break
                losses = trainer.step()
                if not all(math.isfinite(v) for v in losses.values()):
                    trainer.load_state(good)
                    status = "stopped"
                    message = (
                        f"A loss became {next(v for v in losses.values() if not math.isfinite(v))} at step "
                        f"{trainer.steps_done + 1:,}; went back to the last good state (step {good_step:,}). "
                        "Try a lower learning rate."
                    )
                    break
                with self._lock:
                    progress.run_steps += 1
                    self._record(trainer.steps_done, losses)
                now = time.perf_counter()
                if now - last_good_at >= limits.good_state_every_s:
                    good, good_step, last_good_at = trainer.state(), trainer.steps_done, now
                if now - last_preview >= limits.preview_every_s:
                    preview = self._on_preview(trainer.preview())
                    with self._lock:
                        progress.preview = preview
                    last_preview = time.perf_counter()
            else:
                status, message = "stopped", f"Stopped at step {trainer.steps_done:,}."
            preview = self._on_preview(trainer.preview())
        except Exception as exc:  # a bug or an out-of-memory: report it on the page, keep the last good state
            traceback.print_exc()
            trainer.load_state(good)
            status, preview = "failed", self._on_preview(trainer.preview())
            message = f"Training failed ({type(exc).__name__}: {exc}); went back to step {good_step:,}."
        with self._lock:
            progress.status = status
            progress.message = message
            progress.preview = preview
            progress.elapsed_s = time.perf_counter() - start


def clone_state(state: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a state dict (tensors cloned), for Trainer.state implementations."""
    return copy.deepcopy(state)
