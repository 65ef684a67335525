"""Starts queued jobs in worker processes, a bounded number at a time, and notices workers that die.

Why processes and not threads: training in a thread of the Streamlit server shared the GIL with
every browser session's script runs (measured: 51 steps/s in the CLI, 24 in the app with one browser,
2 with five sessions moving sliders). A worker is a separate interpreter, ``python -m core worker``,
started in its own session (``start_new_session``), so it keeps running when the server restarts and
a crash or an out-of-memory kill takes only the worker down.

Why not a task-queue library: the queue is a table in the workspace database already (SQLite, see
:mod:`core.workspace.jobs`); the standard library's ``subprocess`` starts workers, and what is left —
start the oldest queued job when a slot is free, mark dead workers failed — is this small class. Celery,
RQ or Huey would each add a broker or a second process to start; ``concurrent.futures`` pools cannot
outlive the server and break as a whole when one worker dies. The job row is also the only channel
between page and worker (progress, preview, stop flag), so a restarted server, or another tab, sees
everything a worker reported without talking to it.

The worker (``python -m core worker``, :mod:`core.workspace.worker`) marks its own job finished, stopped
or failed. The supervisor only steps in when it cannot: a worker is dead when its process is gone while
its job is still marked running, or when it has not reported for ``stale_s`` seconds (:data:`STALE_S`;
a worker reports twice a second while training and every few seconds while loading). Its job is
marked failed with the reason (the exit status or signal, e.g. "killed by SIGKILL (the system ran out of
memory, ...)"); checkpoints it already wrote stay.

After a server restart the new supervisor finds the old workers' jobs running: it recognises each
worker by its process id *and* its command line (``--job N``; a recycled process id does not pass),
leaves it running, counts it against the pool and reaps it when it is gone. Workers inherit the
store's limits (:meth:`~core.workspace.store.Limits.to_env`), so a worker refuses to write past them
exactly as the server would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from core.config import check_int
from core.workspace import jobs
from core.workspace.store import Store

STALE_S = 60.0  # a running job whose worker has not reported for this long is declared dead
TICK_S = 0.5  # how often the supervisor looks at the table


def default_workers() -> int:
    """Cores - 1, at least 1: one core stays free for the server and the browsers' previews.

    Cores are those this process may run on (a container's CPU set), not the machine's.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 2
    return max(1, cores - 1)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    # A zombie (exited, not yet reaped by its parent) still answers kill(0): look at its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _is_worker(pid: int | None, job_id: int) -> bool:
    """Whether ``pid`` is alive and is the worker of ``job_id`` (its command line holds ``--job <id>``).

    After a restart the supervisor only knows a worker by its recorded process id, which the system may
    have given to another process since; the command line tells them apart. Where ``/proc`` cannot be
    read the process id alone decides.
    """
    if not _alive(pid):
        return False
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    wanted = [b"--job", str(job_id).encode()]
    return any(args[i : i + 2] == wanted for i in range(len(args) - 1))


def describe_exit(code: int) -> str:
    """A sentence about a worker's exit status (negative: killed by that signal)."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (the system ran out of memory, or someone stopped the process)" if -code == 9 else ""
        return f"The worker process was killed by {name}{hint}."
    return f"The worker process exited with status {code} without finishing its job."


class Supervisor:
    """Runs the job table: start queued jobs in workers, reap dead workers. One per server process."""

    def __init__(
        self,
        store: Store,
        workers: int | None = None,
        command: Sequence[str] | None = None,
        stale_s: float = STALE_S,
    ) -> None:
        """
        Args:
            store: The database and files.
            workers: Jobs running at once (default :func:`default_workers`).
            command: The worker's command line before ``--job N`` (default: this Python,
                ``-m core worker --home <home>``).
            stale_s: Seconds without a report after which a running job's worker counts as dead.
        """
        self.store = store
        self.workers = default_workers() if workers is None else check_int("workers", workers, 1)
        # store.home is absolute, so the worker opens the same folder whatever its working directory.
        self.command = list(command or [sys.executable, "-m", "core", "worker", "--home", str(store.home)])
        self.stale_s = stale_s
        self._children: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()

    def start(self) -> None:
        """Tick in a daemon thread until :meth:`halt`."""
        if self._thread is None or not self._thread.is_alive():
            self._halt.clear()
            self._thread = threading.Thread(target=self._loop, name="auglab-supervisor", daemon=True)
            self._thread.start()

    def halt(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._halt.is_set():
            try:
                self.tick()
            except Exception:  # never let the supervisor die: log and try again next tick
                import traceback

                traceback.print_exc()
            self._halt.wait(TICK_S)

    def tick(self, now: float | None = None) -> None:
        """Reap dead workers, then start queued jobs while there are free slots."""
        with self._lock:
            self._reap(time.time() if now is None else now)
            # A worker that has recorded its job's end is still a process for a moment (writing its
            # last files, exiting): it keeps its slot until it is gone, so that a pool of one never
            # runs two workers (and two models' memory) at once.
            running = {job.id for job in jobs.running(self.store)}
            exiting = sum(
                1
                for job_id, child in self._children.items()
                if job_id not in running and child.poll() is None
            )
            # claim_next counts running jobs itself, in its transaction: another supervisor on the
            # same home (two servers, or an old one still shutting down) cannot push the total over.
            while (
                self.workers - exiting > 0
                and (job := jobs.claim_next(self.store, limit=self.workers - exiting)) is not None
            ):
                self._spawn(job.id)

    def _spawn(self, job_id: int) -> None:
        root = Path(__file__).resolve().parents[2]
        try:
            child = subprocess.Popen(
                [*self.command, "--job", str(job_id)],
                cwd=root,
                env={**os.environ, **self.store.limits.to_env()},  # the server's limits, not the defaults
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives the server's restart and its Ctrl-C
            )
        except OSError as exc:
            jobs.finish(self.store, job_id, "failed", f"Could not start a worker process ({exc}).")
            return
        self._children[job_id] = child
        jobs.set_pid(self.store, job_id, child.pid)

    def _reap(self, now: float) -> None:
        for job in jobs.running(self.store):
            child = self._children.get(job.id)
            if child is not None:
                code = child.poll()
                if code is None and now - (job.heartbeat or now) <= self.stale_s:
                    continue
                if code is None:  # alive but silent: hung
                    child.kill()
                    child.wait(5)
                    reason = f"The worker stopped reporting for over {self.stale_s:g} s and was stopped."
                else:
                    reason = describe_exit(code)
            elif _is_worker(job.pid, job.id):
                if now - (job.heartbeat or now) <= self.stale_s:
                    continue  # a worker from before a server restart, still working
                with contextlib.suppress(OSError):  # hung: it is our worker (checked), so end it
                    os.kill(job.pid, signal.SIGKILL)
                reason = f"The worker stopped reporting for over {self.stale_s:g} s and was stopped."
            elif job.pid is None and now - (job.started or now) <= self.stale_s:
                continue  # claimed by another supervisor a moment ago
            else:
                reason = "The worker process is gone (it was killed, or the machine restarted)."
            # The job may have finished between the poll and now: finish() only touches active rows.
            jobs.finish(self.store, job.id, "failed", reason + " Checkpoints it wrote are kept.")
        for job_id, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[job_id]
