"""Work that runs in worker processes: the server's supervisor, and a page's job with its progress panel.

Training (ui.training), experiments and exports are jobs of the workspace (core.workspace.jobs): a
page submits one, records its id under a workspace key (so a reload or another tab finds it), and
polls it in a fragment while it runs; the page itself never does the heavy work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.workspace import jobs
from core.workspace.store import Store, WorkspaceError
from core.workspace.supervisor import Supervisor
from ui import workspace
from ui.common import literal


@st.cache_resource(show_spinner=False)
def _supervisor(home: str) -> Supervisor:
    """The server's one supervisor for the store under ``home``, started once."""
    supervisor = Supervisor(workspace.store())
    supervisor.start()
    return supervisor


def store() -> Store:
    """The server's store, with its supervisor running (so a submitted job gets a worker)."""
    db = workspace.store()
    _supervisor(str(db.home))
    return db


def current(key: str) -> jobs.Job | None:
    """The workspace's job recorded under ``key`` (e.g. "export.job.images"), if any."""
    db, ws = store(), workspace.workspace_id()
    job_id = db.get(ws, key)
    return jobs.get(db, job_id, ws) if isinstance(job_id, int) else None


def submit(key: str, kind: str, config: dict[str, Any]) -> jobs.Job | None:
    """Queue a job of ``kind`` and record it under ``key``; None (with the reason shown) when refused."""
    db, ws = store(), workspace.workspace_id()
    try:
        job_id = jobs.submit(db, ws, kind, config)
    except WorkspaceError as exc:
        st.error(literal(exc), icon="⚠️")
        return None
    db.set(ws, key, job_id)
    return jobs.get(db, job_id, ws)


def status_line(job: jobs.Job, noun: str, counts: tuple[str, str] = ("done", "total")) -> tuple[float, str]:
    """The progress bar's fraction and text: queued (with the place in the queue), starting, going with
    done / total (the progress entries named by ``counts``) and an ETA, or ended."""
    p = job.progress
    if job.status == "queued":
        ahead = jobs.queue_position(store(), job.id)
        return 0.0, f"Queued: {ahead} ahead (a worker takes it when one is free)"
    if job.active and not p.get(counts[1]):
        return 0.0, f"Starting · {p.get('message') or 'starting a worker process…'}"
    done, total = int(p.get(counts[0]) or 0), int(p.get(counts[1]) or 0)
    eta = p.get("eta_s")
    eta_text = f" · about {eta:.0f} s left" if eta is not None and job.active else ""
    elapsed = float(p.get("elapsed_s") or 0.0)
    text = f"{job.status.capitalize()} · {done:,} of {total:,} {noun} · {elapsed:.1f} s{eta_text}"
    return min(1.0, float(p.get("fraction") or 0.0)), text


def panel(
    key: str,
    job: jobs.Job,
    noun: str,
    counts: tuple[str, str] = ("done", "total"),
    extra: Callable[[jobs.Job], None] | None = None,
) -> None:
    """The job's progress bar (with ETA), a Stop button while it runs, its failure or stop message.

    Polls twice a second while the job is active, in a fragment (the rest of the page is not rerun),
    and reruns the whole page once when it ends. ``counts`` name the progress entries of work done and
    in all; ``extra(job)`` draws more inside the fragment (e.g. results so far).
    """
    was_active = job.active

    @st.fragment(run_every=0.5 if was_active else None)
    def draw() -> None:
        db, ws = store(), workspace.workspace_id()
        now = jobs.get(db, job.id, ws) or job
        left, right = st.columns([6, 1], vertical_alignment="bottom")
        fraction, text = status_line(now, noun, counts)
        left.progress(fraction, text=text)
        if now.active and right.button("Stop", key=f"{key}.stop"):
            jobs.request_stop(db, now.id, ws)
        if now.status == "failed":
            st.error(literal(now.message), icon="⚠️")
        elif now.status == "stopped":
            st.caption(literal(now.message))
        for notice in now.progress.get("notices", []):
            st.caption(literal(notice))
        if extra is not None:
            extra(now)
        if was_active and not now.active:
            st.rerun()

    draw()
