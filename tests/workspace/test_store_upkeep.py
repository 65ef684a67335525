"""The store's upkeep: schema upgrades, limits handed to workers, freeing files, bounded claims, reports."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from core.workspace import jobs
from core.workspace.store import Limits, Store, WorkspaceError

# The database as AugLab 0.2.0 wrote it (schema 1), before jobs had a preview column.
SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE workspaces (id TEXT PRIMARY KEY, created REAL NOT NULL, last_used REAL NOT NULL);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL,
    started REAL, ended REAL, pid INTEGER, heartbeat REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT NOT NULL DEFAULT '{}', result TEXT NOT NULL DEFAULT '{}', message TEXT NOT NULL DEFAULT ''
);
INSERT INTO meta VALUES ('schema', '1');
INSERT INTO workspaces VALUES ('0123456789abcdef0123456789abcdef', 1.0, 1.0);
INSERT INTO jobs (ws, kind, config, status, created, started, progress) VALUES
    ('0123456789abcdef0123456789abcdef', 'train-gan', '{"seed": 4}', 'running', 1.0, 2.0, '{"steps": 7}');
"""
OLD_WS = "0123456789abcdef0123456789abcdef"


def test_a_schema_1_database_is_upgraded_in_place_keeping_its_jobs(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "auglab.sqlite3") as db:
        db.executescript(SCHEMA_1)
    store = Store(home)
    columns = {row[1] for row in store.connection().execute("PRAGMA table_info(jobs)")}
    assert "preview" in columns
    assert store.connection().execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
    (job,) = jobs.of_workspace(store, OLD_WS)
    assert (job.kind, job.config, job.progress) == ("train-gan", {"seed": 4}, {"steps": 7})
    jobs.report(store, job.id, {"steps": 8}, preview=b"\x89PNG...")  # the new column is usable
    assert jobs.preview(store, job.id, OLD_WS) == b"\x89PNG..."
    Store(home)  # opening it again (another process, a restart) changes nothing


def test_a_database_from_a_newer_auglab_is_refused_by_name(tmp_path) -> None:
    Store(tmp_path / "home")
    with sqlite3.connect(tmp_path / "home" / "auglab.sqlite3") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(WorkspaceError, match=r"written by a newer AugLab \(schema 99"):
        Store(tmp_path / "home")


@pytest.mark.parametrize(
    "limits",
    [
        Limits(workspace_bytes=1000, total_bytes=1500, ttl_s=3600.0),  # tiny, as tests use
        Limits(workspace_bytes=12_345_678, total_bytes=3 * 1024**3 + 1, ttl_s=7 * 86400.0),  # odd byte counts
        Limits(),  # the defaults
    ],
)
def test_limits_reach_a_worker_exactly_through_the_environment(monkeypatch, limits: Limits) -> None:
    for key, value in limits.to_env().items():
        monkeypatch.setenv(key, value)
    assert Limits.from_env() == limits


def test_a_relative_home_is_made_absolute(tmp_path, monkeypatch) -> None:
    """A worker runs in the repository folder: a relative home would name another database there."""
    monkeypatch.chdir(tmp_path)
    assert Store("home").home == tmp_path / "home"


@pytest.mark.parametrize(
    "also_named_by, kept",
    [
        (None, False),  # the artifact was the file's only use: the file goes
        ("artifact", True),  # another artifact (a second upload of the same bytes) still names it
        ("job", True),  # a job's config names it (e.g. to resume from it)
        ("setting", True),  # a page's setting names it (e.g. its list of uploads)
    ],
)
def test_removing_an_artifact_frees_its_file_unless_something_else_names_it(tmp_path, also_named_by, kept):
    store = Store(tmp_path / "home")
    ws = store.create()
    data = b"checkpoint bytes"
    sha = store.put(ws, data, "model.pt")
    artifact = store.add_artifact(ws, "checkpoint", "model.pt", sha, {})
    if also_named_by == "artifact":
        store.add_artifact(ws, "upload", "copy.pt", sha, {})
    elif also_named_by == "job":
        jobs.submit(store, ws, "train-gan", {"resume": {"sha256": sha}})
    elif also_named_by == "setting":
        store.set(ws, "uploads", [{"name": "model.pt", "sha256": sha}])
    store.remove_artifact(ws, artifact)
    assert [a["id"] for a in store.artifacts(ws, "checkpoint")] == []
    assert store.usage(ws) == (len(data) if kept else 0)
    assert (
        store.blob_path(ws, sha).exists()
        if kept
        else not (store.home / "blobs" / ws / sha[:2] / sha).exists()
    )


def test_removing_artifacts_by_kind_frees_their_files_and_touches_no_other_workspace(tmp_path) -> None:
    store = Store(tmp_path / "home")
    a, b = store.create(), store.create()
    for ws in (a, b):
        sha = store.put(ws, b"same bytes in both", "x.pt")
        store.add_artifact(ws, "checkpoint", "x.pt", sha, {})
    store.remove_artifacts(a, "checkpoint")
    store.remove_artifact(a, store.artifacts(b, "checkpoint")[0]["id"])  # b's id, asked through a: no-op
    assert (store.usage(a), store.usage(b)) == (0, len(b"same bytes in both"))
    assert store.read(b, sha) == b"same bytes in both"


def test_claims_with_a_limit_never_run_more_jobs_than_it_between_threads(tmp_path) -> None:
    """Two supervisors on one home: each counts and claims in one transaction, so 2 means 2 in all."""
    store = Store(tmp_path / "home")
    ws = store.create()
    for i in range(20):
        jobs.submit(store, ws, "train-gan", {"n": i})
    claimed: list[int] = []
    lock = threading.Lock()

    def claim() -> None:
        while (job := jobs.claim_next(store, limit=2)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 2 and len(jobs.running(store)) == 2


@pytest.mark.parametrize(
    "final",
    [
        "failed",  # declared dead by the supervisor while its worker still ran: the worker must stop
        "stopped",  # stopped while the worker was between two reports
    ],
)
def test_a_report_on_an_ended_job_changes_nothing_and_says_stop(tmp_path, final: str) -> None:
    store = Store(tmp_path / "home")
    ws = store.create()
    job_id = jobs.submit(store, ws, "train-gan", {})
    jobs.claim_next(store)
    assert jobs.report(store, job_id, {"steps": 1}) is False  # running, no stop asked
    jobs.finish(store, job_id, final, "Ended.", progress={"steps": 1})
    assert jobs.report(store, job_id, {"steps": 2}, {"checkpoint": "x"}, b"png") is True
    job = jobs.get(store, job_id)
    assert (job.status, job.progress, job.result, jobs.preview(store, job_id)) == (
        final,
        {"steps": 1},
        {},
        None,
    )


def test_a_stop_request_reaches_the_running_jobs_next_report(tmp_path) -> None:
    store = Store(tmp_path / "home")
    ws = store.create()
    job_id = jobs.submit(store, ws, "train-gan", {})
    jobs.claim_next(store)
    jobs.request_stop(store, job_id, ws)
    assert jobs.get(store, job_id).status == "stopping"
    assert jobs.report(store, job_id, {"steps": 3}) is True
    assert jobs.get(store, job_id).progress == {"steps": 3}  # a stopping job still reports
