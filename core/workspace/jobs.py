"""The job table: heavy work (training, experiments, large exports) as rows that worker processes run.

A job's life::

    queued --(supervisor starts a worker)--> running --(limit reached)--> finished
                                              |  \\--(stop asked)--> stopping --> stopped
                                              \\--(exception, or the worker died)--> failed

A page submits a job (:func:`submit`) with a JSON config naming its inputs by content hash, then
only polls the row (:func:`get`): status, progress (steps, fraction, ETA, curves), a message, and
results (checkpoint hashes) that the worker wrote into the workspace; :func:`preview` gives the latest
preview image, :func:`queue_position` the place of a queued job. :func:`request_stop` sets a flag the
worker reads at its next report (twice a second) and passes on to its training loop. Everything goes
through SQLite, so the page, the supervisor and the workers can be in different processes, and a
restarted server finds every job. What a job of each kind takes and reports is documented with its
handler (training: :mod:`core.generators.jobs`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from core.workspace.store import Store, WorkspaceError

ACTIVE = ("queued", "running", "stopping")
DONE = ("finished", "stopped", "failed")


@dataclass(frozen=True)
class Job:
    """One row of the job table, decoded."""

    id: int
    ws: str
    kind: str
    config: dict[str, Any]
    status: str
    created: float
    started: float | None
    ended: float | None
    pid: int | None
    heartbeat: float | None
    stop_requested: bool
    progress: dict[str, Any]
    result: dict[str, Any]
    message: str

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


_COLUMNS = (
    "id, ws, kind, config, status, created, started, ended, pid, heartbeat, stop_requested, progress, "
    "result, message"
)


def _job(row: tuple) -> Job:
    return Job(
        id=row[0],
        ws=row[1],
        kind=row[2],
        config=json.loads(row[3]),
        status=row[4],
        created=row[5],
        started=row[6],
        ended=row[7],
        pid=row[8],
        heartbeat=row[9],
        stop_requested=bool(row[10]),
        progress=json.loads(row[11]),
        result=json.loads(row[12]),
        message=row[13],
    )


def submit(store: Store, ws: str, kind: str, config: dict[str, Any]) -> int:
    """Queue a job of ``kind`` in workspace ``ws``; returns its id."""
    if not store.exists(ws):
        raise WorkspaceError("This workspace no longer exists; reload the page to start a new one.")
    with store.transaction() as db:
        cur = db.execute(
            "INSERT INTO jobs (ws, kind, config, status, created) VALUES (?, ?, ?, 'queued', ?)",
            (ws, kind, json.dumps(config, sort_keys=True), time.time()),
        )
    return int(cur.lastrowid)


def get(store: Store, job_id: int, ws: str | None = None) -> Job | None:
    """The job ``job_id`` (only if it belongs to ``ws``, when given)."""
    row = store.connection().execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None or (ws is not None and row[1] != ws):
        return None
    return _job(row)


def of_workspace(store: Store, ws: str, kind: str | None = None) -> list[Job]:
    """The jobs of ``ws`` (of ``kind``, when given), newest first."""
    if kind is None:
        rows = store.connection().execute(f"SELECT {_COLUMNS} FROM jobs WHERE ws = ? ORDER BY id DESC", (ws,))
    else:
        rows = store.connection().execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE ws = ? AND kind = ? ORDER BY id DESC", (ws, kind)
        )
    return [_job(r) for r in rows]


def queue_position(store: Store, job_id: int) -> int:
    """How many queued jobs are ahead of ``job_id`` (0: it starts next)."""
    row = (
        store.connection()
        .execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND id < ?", (job_id,))
        .fetchone()
    )
    return int(row[0])


def request_stop(store: Store, job_id: int, ws: str) -> None:
    """Ask a job of ``ws`` to stop: a queued one stops at once, a running one after its current step."""
    with store.transaction() as db:
        db.execute(
            "UPDATE jobs SET status = 'stopped', ended = ?, message = 'Stopped before it started.' "
            "WHERE id = ? AND ws = ? AND status = 'queued'",
            (time.time(), job_id, ws),
        )
        db.execute(
            "UPDATE jobs SET stop_requested = 1, status = 'stopping' "
            "WHERE id = ? AND ws = ? AND status = 'running'",
            (job_id, ws),
        )


# -- what the supervisor and the worker call --------------------------------------------------------


def claim_next(store: Store, limit: int | None = None) -> Job | None:
    """The oldest queued job, marked running (atomically: two supervisors never claim the same one).

    Args:
        limit: Claim nothing when this many jobs are already running or stopping. Counted inside the
            same transaction as the claim, so two supervisors on one home never run more than ``limit``
            jobs between them.
    """
    with store.transaction() as db:
        if limit is not None:
            busy = db.execute("SELECT COUNT(*) FROM jobs WHERE status IN ('running', 'stopping')").fetchone()
            if busy[0] >= limit:
                return None
        row = db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        now = time.time()
        db.execute(
            "UPDATE jobs SET status = 'running', started = ?, heartbeat = ? WHERE id = ?", (now, now, row[0])
        )
    return get(store, row[0])


def set_pid(store: Store, job_id: int, pid: int) -> None:
    """Record the process running ``job_id`` (counts as a heartbeat)."""
    with store.transaction() as db:
        db.execute("UPDATE jobs SET pid = ?, heartbeat = ? WHERE id = ?", (pid, time.time(), job_id))


def report(
    store: Store,
    job_id: int,
    progress: dict[str, Any],
    result: dict[str, Any] | None = None,
    preview: bytes | None = None,
) -> bool:
    """A worker's heartbeat with its progress (and results so far, and a new preview image).

    Only an active job's row changes: once a job is final (the supervisor declared its worker dead, say)
    what it was left at stays.

    Returns:
        Whether the worker should stop: a stop was asked, or the job is no longer active (e.g. marked
        failed after its worker stopped reporting for too long).
    """
    sets, values = ["progress = ?", "heartbeat = ?"], [json.dumps(progress), time.time()]
    if result is not None:
        sets.append("result = ?")
        values.append(json.dumps(result))
    if preview is not None:
        sets.append("preview = ?")
        values.append(preview)
    with store.transaction() as db:
        db.execute(
            f"UPDATE jobs SET {', '.join(sets)} WHERE id = ? AND status IN ('running', 'stopping')",
            (*values, job_id),
        )
        row = db.execute("SELECT stop_requested, status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return row is None or bool(row[0]) or row[1] not in ACTIVE


def preview(store: Store, job_id: int, ws: str | None = None) -> bytes | None:
    """The latest preview image of ``job_id`` (PNG bytes; only if it belongs to ``ws``, when given)."""
    row = store.connection().execute("SELECT ws, preview FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None or row[1] is None or (ws is not None and row[0] != ws):
        return None
    return bytes(row[1])


def finish(
    store: Store,
    job_id: int,
    status: str,
    message: str,
    progress: dict[str, Any] | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    """Mark a job done (``finished``, ``stopped`` or ``failed``) with why, and its last progress/results."""
    if status not in DONE:
        raise ValueError(f"not a final status: {status}")
    sets, values = ["status = ?", "message = ?", "ended = ?"], [status, message, time.time()]
    if progress is not None:
        sets.append("progress = ?")
        values.append(json.dumps(progress))
    if result is not None:
        sets.append("result = ?")
        values.append(json.dumps(result))
    with store.transaction() as db:
        db.execute(
            f"UPDATE jobs SET {', '.join(sets)} WHERE id = ? AND status IN ('running', 'stopping', 'queued')",
            (*values, job_id),
        )


def running(store: Store) -> list[Job]:
    """Jobs a worker is (or should be) running."""
    rows = store.connection().execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE status IN ('running', 'stopping') ORDER BY id"
    )
    return [_job(r) for r in rows]
