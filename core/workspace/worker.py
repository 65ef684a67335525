"""One job in a worker process: load its row, hand it to the handler of its kind, record how it ended.

``python -m core worker --home H --job N`` (:mod:`core.cli.worker`) calls :func:`run_job` with the
handlers by kind. This module knows nothing of what a job does: the handlers (training:
:mod:`core.generators.jobs`) live above the workspace, and the CLI, which may import everything, wires
them in, so ``core.workspace`` never imports the generators.

A handler gets a :class:`JobContext` (the job's config, its workspace's files, progress reports, the
stop flag) and returns an :class:`Outcome`. Whatever it raises ends the job as failed, never the
process with a traceback on a page:

- an :class:`~core.errors.AugLabError` (a bad file, an unknown data name, a workspace over its limit)
  is the user's to fix: its sentence becomes the job's message;
- anything else is a bug: the message says "Training failed (TypeError: ...)" and the traceback goes
  to the worker's stderr (the server's log).

The worker writes the final status itself; the supervisor only marks a job failed when the worker could
not (killed, crashed, hung).
"""

from __future__ import annotations

import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from core.errors import AugLabError, ConfigError
from core.workspace import jobs
from core.workspace.jobs import DONE, Job
from core.workspace.store import Store

HEARTBEAT_S = 2.0  # while a handler loads data or builds a model, the job still reports this often
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Outcome:
    """How a job ended: its final status ("finished", "stopped" or "failed"), a sentence, what it made."""

    status: str
    message: str
    progress: dict[str, Any] | None = None  # the last progress (None: keep what was reported)
    result: dict[str, Any] | None = None  # what it made, e.g. {"checkpoint": sha256} (None: keep)

    def __post_init__(self) -> None:
        if self.status not in DONE:
            raise ValueError(f"not a final status: {self.status}")


@dataclass
class JobContext:
    """What a handler may use: the job, its workspace's files, reports, and whether to stop.

    Attributes:
        store: The database and files (this process's own connection).
        job: The job's row as it was when the worker started.
        progress: The last progress reported (kept for the final record if the handler raises).
        result: The results so far (the same).
    """

    store: Store
    job: Job
    terminate: threading.Event = field(default_factory=threading.Event)
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    _stop: bool = False

    def __post_init__(self) -> None:
        self.progress = dict(self.job.progress)
        self.result = dict(self.job.result)
        self._stop = self.job.stop_requested

    @property
    def ws(self) -> str:
        return self.job.ws

    @property
    def config(self) -> dict[str, Any]:
        return self.job.config

    @property
    def stop_wanted(self) -> bool:
        """A stop was asked (page or SIGTERM), or the job is no longer ours to run."""
        return self._stop or self.terminate.is_set()

    def report(
        self,
        progress: dict[str, Any],
        result: dict[str, Any] | None = None,
        preview: bytes | None = None,
    ) -> bool:
        """Write progress (and results, and a new preview PNG) to the job's row.

        Returns:
            :attr:`stop_wanted`.
        """
        self.progress = progress
        if result is not None:
            self.result = result
        if jobs.report(self.store, self.job.id, progress, result, preview):
            self._stop = True
        return self.stop_wanted

    def set_result(self, result: dict[str, Any]) -> None:
        """Record results now (e.g. the newest checkpoint), with the current progress."""
        self.report(self.progress, result)

    def read(self, sha256: Any, name: str) -> bytes:
        """The bytes of a file of this job's workspace, named by its hash.

        Args:
            sha256: The content hash the job's config gives.
            name: What the user calls it, for messages only (never a path).

        Raises:
            ConfigError: ``sha256`` is not 64 lower-case hex digits.
            WorkspaceError: This workspace holds no such file (another workspace's files are not found).
        """
        if not isinstance(sha256, str) or SHA256.fullmatch(sha256) is None:
            raise ConfigError(f"{name}: the file's sha256 must be 64 lower-case hex digits, got {sha256!r}.")
        return self.store.read(self.ws, sha256)

    def put(self, data: bytes, what: str) -> str:
        """Store bytes in this job's workspace (within its limits); returns their sha256."""
        return self.store.put(self.ws, data, what)

    @contextmanager
    def busy(self, message: str) -> Iterator[None]:
        """Report ``message`` as progress, and keep the heartbeat going while the block runs.

        For work that reports nothing for a while (decoding an upload, building a corpus): without a
        heartbeat the supervisor would take a long load for a hung worker.
        """
        self.report({**self.progress, "message": message})
        done = threading.Event()

        def beat() -> None:
            try:
                while not done.wait(HEARTBEAT_S):
                    if jobs.report(self.store, self.job.id, {**self.progress, "message": message}):
                        self._stop = True
            finally:
                self.store.close()  # this thread's connection

        thread = threading.Thread(target=beat, name="auglab-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


Handler = Callable[[JobContext], Outcome]


def _what(kind: str) -> str:
    return "Training" if kind.startswith("train-") else "The job"


def run_job(
    store: Store,
    job_id: int,
    handlers: Mapping[str, Handler],
    terminate: threading.Event | None = None,
) -> int:
    """Run job ``job_id`` with the handler of its kind and record how it ended.

    Args:
        store: The database and files.
        job_id: The job to run; the supervisor has marked it running.
        handlers: Kind -> handler.
        terminate: Set when the process is asked to end (SIGTERM): handlers stop as for a user's stop.

    Returns:
        The process's exit status: 0 when the job's end was recorded (finished, stopped or failed), 2
        when there is no such job.
    """
    job = jobs.get(store, job_id)
    if job is None:
        print(f"error: there is no job {job_id} in {store.path}", file=sys.stderr)
        return 2
    if not job.active:  # stopped while queued, or already ended: nothing to do
        return 0
    if job.status == "stopping":  # stopped while this process was starting
        jobs.finish(store, job_id, "stopped", "Stopped before it started.")
        return 0
    context = JobContext(store, job, terminate or threading.Event())
    handler = handlers.get(job.kind)
    try:
        if handler is None:
            raise ConfigError(
                f"This AugLab cannot run jobs of kind {job.kind!r}; it runs {', '.join(sorted(handlers))}."
            )
        outcome = handler(context)
    except AugLabError as exc:  # the user's to fix: the sentence says what
        outcome = Outcome("failed", str(exc), context.progress, context.result)
    except Exception as exc:  # a bug: the log gets the traceback, the page a short line
        traceback.print_exc()
        outcome = Outcome(
            "failed",
            f"{_what(job.kind)} failed ({type(exc).__name__}: {exc}).",
            context.progress,
            context.result,
        )
    jobs.finish(store, job_id, outcome.status, outcome.message, outcome.progress, outcome.result)
    return 0
