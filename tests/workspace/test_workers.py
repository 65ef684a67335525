"""The supervisor and its worker processes: stop and resume, a killed worker, a server restart, the pool.

Real ``python -m core worker`` processes with dry-run-sized models; each test waits by polling
``Supervisor.tick`` against a deadline (never a fixed sleep). The first tests use stand-in worker
commands (a Python one-liner) to see how the supervisor reads an exit, a signal or silence.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest
from job_helpers import ended, gan_config, kill_workers, poll

from core.errors import ConfigError
from core.generators.checkpoint import load_checkpoint
from core.workspace import jobs
from core.workspace.store import Limits, Store
from core.workspace.supervisor import Supervisor, _alive


def lstm_reviews(max_steps: int | None = None, budget_s: float | None = None, every: float = 30.0) -> dict:
    """A train-lstm job on the built-in reviews (24 lines): the cheapest real job to start."""
    return {
        "data": {"builtin": "reviews"},
        "model": {"embedding_dim": 8, "hidden_size": 16, "seq_len": 16, "batch_size": 4, "val_every": 5},
        "limits": {"max_steps": max_steps, "budget_s": budget_s, "checkpoint_every_s": every},
    }


def running_with_steps(job) -> bool:
    return job.status == "running" and job.progress.get("steps", 0) > 0


# ---------------------------------------------------------------------------------------------
# How the supervisor reads its workers, with stand-in commands


@pytest.mark.parametrize(
    "code, expected",
    [
        ("import sys; sys.exit(3)", "The worker process exited with status 3 without finishing its job."),
        (
            "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
            "The worker process was killed by SIGTERM.",
        ),
        ("pass", "The worker process exited with status 0 without finishing its job."),  # a silent exit
    ],
)
def test_a_worker_that_ends_without_recording_its_job_fails_it_with_the_reason(tmp_path, code, expected):
    store = Store(tmp_path / "home")
    job_id = jobs.submit(store, store.create(), "train-gan", {})
    supervisor = Supervisor(store, workers=1, command=[sys.executable, "-c", code])
    job = poll(supervisor, job_id, ended, deadline_s=20)
    assert (job.status, job.message) == ("failed", f"{expected} Checkpoints it wrote are kept.")


def test_a_worker_still_exiting_after_its_job_ended_keeps_its_slot(tmp_path) -> None:
    """A pool of one never runs two workers: the next job starts only once the last worker is gone.

    The stand-in worker records its job as finished, then takes a second to exit (as a real one does
    while it writes its last files and unloads torch)."""
    store = Store(tmp_path / "home")
    ws = store.create()
    first, second = (jobs.submit(store, ws, "train-gan", {}) for _ in range(2))
    finish_then_linger = (
        "import sys, time; from core.workspace import jobs; from core.workspace.store import Store; "
        f"jobs.finish(Store({str(store.home)!r}), int(sys.argv[-1]), 'finished', 'done'); time.sleep(1.5)"
    )
    supervisor = Supervisor(store, workers=1, command=[sys.executable, "-c", finish_then_linger])
    supervisor.tick()
    child = supervisor._children[first]
    done = poll(supervisor, first, ended, deadline_s=20)
    assert done.status == "finished" and child.poll() is None  # recorded as done, process still there
    supervisor.tick()
    assert jobs.get(store, second).status == "queued"  # its slot is still taken
    child.wait(20)
    assert poll(supervisor, second, ended, deadline_s=20).status == "finished"  # then it runs


def test_a_silent_worker_is_killed_and_its_job_failed(tmp_path) -> None:
    store = Store(tmp_path / "home")
    job_id = jobs.submit(store, store.create(), "train-gan", {})
    supervisor = Supervisor(store, workers=1, command=[sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor.tick()
    pid = jobs.get(store, job_id).pid
    supervisor.tick(now=time.time() + 5 * 60)  # five minutes later, still no report
    job = jobs.get(store, job_id)
    assert job.status == "failed" and "stopped reporting for over 60 s" in job.message
    assert not _alive(pid)


def test_a_recorded_pid_that_now_belongs_to_another_process_is_not_taken_for_the_worker(tmp_path) -> None:
    """After a restart the old worker is known by its pid only; a recycled pid must not keep the job
    "running" (here the pid is this test's own process: alive, but not ``python -m core worker``)."""
    store = Store(tmp_path / "home")
    job_id = jobs.submit(store, store.create(), "train-gan", {})
    jobs.claim_next(store)
    jobs.set_pid(store, job_id, os.getpid())
    Supervisor(store, workers=1).tick()
    job = jobs.get(store, job_id)
    assert job.status == "failed" and "The worker process is gone" in job.message


@pytest.mark.parametrize("workers", [0, -1, 1.5])  # no worker, a negative count, a fraction
def test_the_pool_size_is_checked(tmp_path, workers) -> None:
    with pytest.raises(ConfigError, match="workers must be a whole number from 1"):
        Supervisor(Store(tmp_path / "home"), workers=workers)


# ---------------------------------------------------------------------------------------------
# Real workers


@pytest.fixture(scope="module")
def long_jobs(tmp_path_factory):
    """Two long jobs (60 s budgets) training side by side: a GAN to stop, an LSTM to kill."""
    store = Store(tmp_path_factory.mktemp("home"))
    ws = store.create()
    to_stop = jobs.submit(store, ws, "train-gan", gan_config(budget_s=60))
    to_kill = jobs.submit(store, ws, "train-lstm", lstm_reviews(budget_s=60, every=0.2))
    supervisor = Supervisor(store, workers=2)
    yield store, ws, supervisor, to_stop, to_kill
    kill_workers(store)


def test_stop_ends_a_running_job_promptly_with_a_checkpoint_and_resume_counts_on(long_jobs) -> None:
    store, ws, supervisor, job_id, _ = long_jobs
    poll(supervisor, job_id, running_with_steps)
    asked = time.monotonic()
    jobs.request_stop(store, job_id, ws)
    job = poll(supervisor, job_id, ended)
    waited = time.monotonic() - asked
    steps = job.progress["steps"]
    assert (job.status, job.message) == ("stopped", f"Stopped at step {steps:,}.")
    assert waited < 10  # reports come twice a second; the 60 s budget was far from spent
    payload = load_checkpoint(store.read(ws, job.result["checkpoint"]), "stopped", "gan")
    assert payload["steps"] == job.result["checkpoint_steps"] == steps

    again = {
        "data": {"builtin": "digits"},
        "limits": {"max_steps": 20, "budget_s": None},
        "resume": {"sha256": job.result["checkpoint"]},
    }
    resumed = poll(supervisor, jobs.submit(store, ws, "train-gan", again), ended)
    assert resumed.status == "finished"
    assert (resumed.progress["steps"], resumed.progress["run_steps"]) == (steps + 20, 20)
    first_points = [points[0][0] for points in resumed.progress["history"].values()]
    assert first_points == [steps + 1, steps + 1]  # the curves go on from the checkpoint's step
    assert (
        load_checkpoint(store.read(ws, resumed.result["checkpoint"]), "resumed", "gan")["steps"] == steps + 20
    )


def test_a_killed_worker_fails_its_job_naming_the_signal_and_keeps_its_checkpoint(long_jobs) -> None:
    store, ws, supervisor, _, job_id = long_jobs
    job = poll(supervisor, job_id, lambda j: "checkpoint" in j.result)  # one written every 0.2 s
    os.kill(job.pid, signal.SIGKILL)
    job = poll(supervisor, job_id, ended)
    assert job.status == "failed" and "killed by SIGKILL" in job.message and "kept" in job.message
    payload = load_checkpoint(store.read(ws, job.result["checkpoint"]), "kept", "lstm")
    assert payload["steps"] == job.result["checkpoint_steps"] > 0
    assert [a["sha256"] for a in store.artifacts(ws, "checkpoint") if a["meta"]["job"] == job_id] == [
        job.result["checkpoint"]
    ]


def test_a_restarted_server_adopts_running_workers_and_the_pool_runs_jobs_one_after_the_other(tmp_path):
    store = Store(tmp_path / "home")
    ws = store.create()
    first = jobs.submit(store, ws, "train-lstm", lstm_reviews(budget_s=1))
    second = jobs.submit(store, ws, "train-lstm", lstm_reviews(max_steps=5))
    assert [jobs.queue_position(store, j) for j in (first, second)] == [0, 1]
    old = Supervisor(store, workers=1)
    try:
        old.tick()
        pid = jobs.get(store, first).pid
        assert jobs.get(store, first).status == "running" and jobs.queue_position(store, second) == 0
        del old  # the server goes away; its worker does not
        new = Supervisor(Store(tmp_path / "home"), workers=1)  # a new server process on the same home
        seen: list = []
        pairs: list[tuple[str, str]] = []  # (first's status, second's status) at each tick

        def first_ended(job) -> bool:
            pairs.append((job.status, jobs.get(store, second).status))
            return ended(job)

        done = poll(new, first, first_ended, seen=seen)
        # The new server saw the old worker train, left it alone, and started nothing beside it.
        assert any(running_with_steps(j) for j in seen)
        assert all(j.pid == pid and j.status in ("running", "finished") for j in seen)
        assert {b for a, b in pairs if a == "running"} == {"queued"}
        assert (done.status, done.message) == ("finished", "Time budget of 1 s reached.")
        later = poll(new, second, ended)
        assert later.status == "finished" and later.started >= done.ended
    finally:
        kill_workers(store)


def test_workers_use_the_servers_home_and_limits(tmp_path, monkeypatch) -> None:
    """A relative home and the store's own limits reach the worker (it runs in another folder)."""
    monkeypatch.chdir(tmp_path)
    store = Store("home", Limits(workspace_bytes=2000, total_bytes=10**9))
    ws = store.create()
    unknown = jobs.submit(store, ws, "train-gan", {**gan_config(max_steps=5), "data": {"builtin": "cats"}})
    too_big = jobs.submit(store, ws, "train-lstm", lstm_reviews(max_steps=2))
    supervisor = Supervisor(store, workers=2)
    try:
        failed = [poll(supervisor, job_id, ended) for job_id in (unknown, too_big)]
    finally:
        kill_workers(store)
    assert [j.status for j in failed] == ["failed", "failed"]
    assert failed[0].message.startswith("cats: is not a built-in image sample; the samples are digits")
    assert "would take this workspace over its limit of 2.0 KB" in failed[1].message
