"""What the job tests share: tiny training configs, polling a supervisor with a deadline, clean-up."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from core.data.texts import pydoc_sentences
from core.generators.gan import GANConfig
from core.generators.lstm import LSTMConfig
from core.workspace import jobs
from core.workspace.jobs import Job
from core.workspace.store import Store
from core.workspace.supervisor import Supervisor, _is_worker

DEADLINE_S = 60.0  # a worker that takes this long is broken, not slow (each test's jobs take seconds)
POLL_S = 0.05


def gan_config(
    max_steps: int | None = None, budget_s: float | None = None, every: float = 30.0, **model: Any
) -> dict[str, Any]:
    """A train-gan job on the built-in digits with a dry-run-sized conditional MLP GAN."""
    return {
        "data": {"builtin": "digits"},
        "model": GANConfig.dry_run(**{"n_classes": 10, **model}).to_dict(),
        "limits": {"max_steps": max_steps, "budget_s": budget_s, "checkpoint_every_s": every},
    }


def lstm_config(files: list[dict[str, str]], max_steps: int) -> dict[str, Any]:
    """A train-lstm job on uploaded CSV files (text and label columns), dry-run sized, conditional."""
    return {
        "data": {"files": files, "text_column": "sentence", "label_column": "kind", "header": True},
        "model": LSTMConfig.dry_run(conditional=True).to_dict(),
        "limits": {"max_steps": max_steps, "budget_s": None},
    }


def sentences_csv(n: int = 120) -> bytes:
    """``n`` documentation sentences as a CSV with a header, labelled "short" / "long" by length."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sentence", "kind"])
    for sentence in pydoc_sentences(n):
        writer.writerow([sentence, "short" if len(sentence) < 60 else "long"])
    return out.getvalue().encode()


def poll(
    supervisor: Supervisor,
    job_id: int,
    until: Callable[[Job], bool],
    deadline_s: float = DEADLINE_S,
    seen: list[Job] | None = None,
) -> Job:
    """Tick the supervisor until ``until(job)``; every state seen is appended to ``seen``.

    Raises:
        AssertionError: The deadline passed first (the message shows the job as it was).
    """
    end = time.monotonic() + deadline_s
    while True:
        supervisor.tick()
        job = jobs.get(supervisor.store, job_id)
        if seen is not None:
            seen.append(job)
        if until(job):
            return job
        assert time.monotonic() < end, f"job {job_id} still {job.status} after {deadline_s} s: {job}"
        time.sleep(POLL_S)


def ended(job: Job) -> bool:
    return not job.active


def kill_workers(store: Store) -> None:
    """SIGKILL the workers this test started that are still running (after a failed assertion)."""
    for job in jobs.running(store):
        if _is_worker(job.pid, job.id):  # never a process that merely inherited a worker's old id
            with contextlib.suppress(OSError):
                os.kill(job.pid, signal.SIGKILL)
