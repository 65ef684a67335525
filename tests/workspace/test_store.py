"""Workspaces in SQLite: ids, isolation, settings, content-addressed files, limits and time-to-live."""

from __future__ import annotations

import hashlib
import sqlite3
import threading

import pytest

from core.workspace import jobs
from core.workspace.store import Limits, Store, WorkspaceError, is_valid_id

DAY = 24 * 3600.0


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "home", Limits(workspace_bytes=1000, total_bytes=1500, ttl_s=7 * DAY))


def test_ids_are_128_random_bits_in_hex(store: Store) -> None:
    ids = [store.create() for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    # Every hex digit position varies across ids: not a counter, not a timestamp prefix.
    assert all(len({i[k] for i in ids}) > 4 for k in range(32))


@pytest.mark.parametrize(
    "link, reason",
    [
        ("../../etc/passwd", "not a valid id"),  # a path: refused, never used as one
        ("0" * 31, "not a valid id"),  # one digit short
        ("G" * 32, "not a valid id"),  # not hex
        ("0123456789abcdef0123456789ABCDEF", "not a valid id"),  # upper case is not the form we write
        ("0123456789abcdef0123456789abcdef", "No workspace has the id"),  # well formed, unknown
    ],
)
def test_a_bad_or_unknown_id_gets_a_new_workspace_and_a_reason(store: Store, link: str, reason: str) -> None:
    other = store.create()
    store.set(other, "secret", 42)
    ws, notice = store.open(link)
    assert notice is not None and reason in notice
    assert ws not in (link, other) and is_valid_id(ws)
    assert store.settings(ws) == {}  # nothing of another workspace leaks in


def test_opening_an_existing_workspace_brings_back_its_settings(store: Store, tmp_path) -> None:
    ws = store.create()
    store.set(ws, "img.rotation_range", 20)
    store.set(ws, "img.preset", "Mild, photos")
    again = Store(tmp_path / "home")  # a restarted server: a new Store on the same folder
    opened, notice = again.open(ws)
    assert (opened, notice) == (ws, None)
    assert again.settings(ws, "img.") == {"img.rotation_range": 20, "img.preset": "Mild, photos"}


def test_files_are_stored_by_content_hash_and_separately_per_workspace(store: Store) -> None:
    a, b = store.create(), store.create()
    data = b"PK\x03\x04 not really a zip"
    sha = store.put(a, data, "photos.zip")
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.read(a, sha) == data
    path = store.blob_path(a, sha)
    assert path.name == sha and a in path.parts and "photos.zip" not in str(path)
    with pytest.raises(WorkspaceError):
        store.read(b, sha)  # b cannot read a's file even knowing its hash
    assert store.put(a, data) == sha and store.usage(a) == len(data)  # stored once


def test_the_workspace_limit_names_the_file_and_the_sizes(store: Store) -> None:
    ws = store.create()
    store.put(ws, b"x" * 600)
    with pytest.raises(WorkspaceError, match=r"big\.zip \(500 bytes\).*limit of 1,000 bytes.*600 bytes used"):
        store.put(ws, b"y" * 500, "big.zip")
    assert store.usage(ws) == 600  # nothing half-written counted


def test_the_total_limit_applies_across_workspaces(store: Store) -> None:
    a, b = store.create(), store.create()
    store.put(a, b"a" * 900)
    with pytest.raises(WorkspaceError, match="server over its storage limit"):
        store.put(b, b"b" * 700)


def test_cleanup_deletes_idle_workspaces_only(store: Store) -> None:
    now = 1_000_000_000.0
    old = store.create(now=now - 8 * DAY)
    recent = store.create(now=now - 6 * DAY)
    busy = store.create(now=now - 30 * DAY)
    store.put(old, b"old file")
    jobs.submit(store, busy, "train-gan", {})  # a queued job keeps its workspace
    deleted = store.cleanup(now=now)
    assert deleted == [old]
    assert not store.exists(old) and store.exists(recent) and store.exists(busy)
    assert not (store.home / "blobs" / old).exists()


def test_delete_removes_rows_and_files(store: Store) -> None:
    ws = store.create()
    sha = store.put(ws, b"data")
    store.set(ws, "k", 1)
    store.add_artifact(ws, "upload", "a.png", sha, {})
    job = jobs.submit(store, ws, "train-gan", {})
    store.delete(ws)
    db = sqlite3.connect(store.path)
    for table in ("settings", "blobs", "artifacts", "jobs"):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE ws = ?", (ws,)).fetchone()[0] == 0, table
    assert jobs.get(store, job) is None
    assert not (store.home / "blobs" / ws).exists()


def test_jobs_are_visible_only_to_their_workspace(store: Store) -> None:
    a, b = store.create(), store.create()
    job = jobs.submit(store, a, "train-gan", {"seed": 1})
    assert jobs.get(store, job, ws=a) is not None
    assert jobs.get(store, job, ws=b) is None
    assert jobs.of_workspace(store, b) == []
    jobs.request_stop(store, job, b)  # b cannot stop a's job
    assert jobs.get(store, job).status == "queued"
    jobs.request_stop(store, job, a)
    assert jobs.get(store, job).status == "stopped"


def test_queue_positions_and_claims(store: Store) -> None:
    ws = store.create()
    ids = [jobs.submit(store, ws, "train-gan", {"n": i}) for i in range(3)]
    assert [jobs.queue_position(store, i) for i in ids] == [0, 1, 2]
    first = jobs.claim_next(store)
    assert first.id == ids[0] and first.status == "running"
    assert [jobs.queue_position(store, i) for i in ids[1:]] == [0, 1]


def test_two_threads_never_claim_the_same_job(store: Store) -> None:
    ws = store.create()
    for i in range(40):
        jobs.submit(store, ws, "train-gan", {"n": i})
    claimed: list[int] = []
    lock = threading.Lock()

    def claim() -> None:
        while (job := jobs.claim_next(store)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40


@pytest.mark.parametrize(
    "env, field, expected",
    [
        ({"AUGLAB_WORKSPACE_GB": "0.5"}, "workspace_bytes", 512 * 1024**2),  # half a GiB
        ({"AUGLAB_TTL_DAYS": "1"}, "ttl_s", DAY),  # one day in seconds
        ({}, "ttl_s", 7 * DAY),  # the default: a week
    ],
)
def test_limits_from_the_environment(monkeypatch, env, field, expected) -> None:
    for key in ("AUGLAB_WORKSPACE_GB", "AUGLAB_TOTAL_GB", "AUGLAB_TTL_DAYS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert getattr(Limits.from_env(), field) == expected


def test_a_bad_limit_in_the_environment_is_named(monkeypatch) -> None:
    monkeypatch.setenv("AUGLAB_TTL_DAYS", "a week")
    with pytest.raises(WorkspaceError, match="AUGLAB_TTL_DAYS must be a number"):
        Limits.from_env()
