"""Workspaces: what a user made, kept in an embedded SQLite database plus content-addressed files.

A workspace is named by a random 128-bit id (32 hex digits, :func:`new_id`) that the app keeps in
the page URL (``?ws=...``): a reload, a server restart or the same link in another tab finds it again,
and nobody can guess another's. Everything lives under one folder, ``AUGLAB_HOME`` (default
``~/.local/share/auglab``)::

    auglab.sqlite3                  the database: workspaces, settings, artifacts, jobs (with the
                                    latest preview image of each job)
    blobs/<ws id>/<aa>/<sha256>     file contents, named by their SHA-256 (never by a user's name)

No path is ever built from user input: a workspace's folder is its validated id, a file's name is
the hash of its bytes. The names users gave (``photos.zip``) are only stored as text in the database.

Limits (see :class:`Limits`): bytes per workspace, bytes in all, and a time-to-live after which an
idle workspace is deleted (:meth:`Store.cleanup`, run at start-up and hourly by the app).

Schema versions (``meta.schema``): a :class:`Store` upgrades an older database in place when it opens
it, and refuses a newer one by name.

1. Workspaces, settings, blobs, artifacts, jobs.
2. ``jobs.preview``: the latest preview image a job's worker drew (PNG bytes), kept out of the JSON
   progress so that polling a job's status never reads an image.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import check_float, check_int
from core.errors import AugLabError

SCHEMA_VERSION = 2
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
DB_NAME = "auglab.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    last_used REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (ws, key)
);
CREATE TABLE IF NOT EXISTS blobs (
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (ws, sha256)
);
CREATE TABLE IF NOT EXISTS artifacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT,
    meta TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS artifacts_ws_kind ON artifacts (ws, kind);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    ended REAL,
    pid INTEGER,
    heartbeat REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT NOT NULL DEFAULT '{}',
    result TEXT NOT NULL DEFAULT '{}',
    message TEXT NOT NULL DEFAULT '',
    preview BLOB
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, id);
CREATE INDEX IF NOT EXISTS jobs_ws ON jobs (ws, id);
"""


# Upgrades from each older schema version to the next, applied in order inside one transaction.
# Each checks what is there first, so a database half-upgraded by hand (or by a crash) still upgrades.
def _add_job_preview(db: sqlite3.Connection) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "preview" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN preview BLOB")


_MIGRATIONS = {1: _add_job_preview}  # from version -> the change to version + 1


class WorkspaceError(AugLabError):
    """A workspace cannot be used: unknown, malformed, or over a limit."""


def default_home() -> Path:
    """``$AUGLAB_HOME``, else ``$XDG_DATA_HOME/auglab``, else ``~/.local/share/auglab``."""
    if os.environ.get("AUGLAB_HOME"):
        return Path(os.environ["AUGLAB_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "auglab"


def new_id() -> str:
    """A fresh workspace id: 128 random bits from the OS's CSPRNG, as 32 hex digits."""
    return secrets.token_hex(16)


def is_valid_id(value: Any) -> bool:
    """Whether ``value`` has the form of a workspace id (says nothing about whether it exists)."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class Limits:
    """How much a workspace may hold and how long an idle one is kept."""

    workspace_bytes: int = 2 * 1024**3  # bytes of files per workspace (uploads, checkpoints, exports)
    total_bytes: int = 20 * 1024**3  # bytes of files of all workspaces together
    ttl_s: float = 7 * 24 * 3600  # a workspace not opened for this long is deleted

    def __post_init__(self) -> None:
        check_int("workspace_bytes", self.workspace_bytes, 1)
        check_int("total_bytes", self.total_bytes, 1)
        check_float("ttl_s", self.ttl_s, 0.0, 10 * 365 * 24 * 3600.0, low_open=True)

    @classmethod
    def from_env(cls) -> Limits:
        """Limits from ``AUGLAB_WORKSPACE_GB``, ``AUGLAB_TOTAL_GB`` and ``AUGLAB_TTL_DAYS`` where set."""
        values: dict[str, Any] = {}
        for env, name, scale in (
            ("AUGLAB_WORKSPACE_GB", "workspace_bytes", 1024**3),
            ("AUGLAB_TOTAL_GB", "total_bytes", 1024**3),
            ("AUGLAB_TTL_DAYS", "ttl_s", 24 * 3600),
        ):
            if os.environ.get(env):
                try:
                    number = float(os.environ[env])
                except ValueError:
                    raise WorkspaceError(f"{env} must be a number, got {os.environ[env]!r}.") from None
                # round(), not int(): 1000 bytes written as GB and read back is 999.9999999999999.
                values[name] = round(number * scale) if name != "ttl_s" else number * scale
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """These limits as the variables :meth:`from_env` reads (how a worker process gets its server's)."""
        return {
            "AUGLAB_WORKSPACE_GB": repr(self.workspace_bytes / 1024**3),
            "AUGLAB_TOTAL_GB": repr(self.total_bytes / 1024**3),
            "AUGLAB_TTL_DAYS": repr(self.ttl_s / (24 * 3600)),
        }


def _human(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


class Store:
    """The database and files under one home folder; safe to share between threads and processes.

    Each thread gets its own SQLite connection (WAL mode: readers never wait for the writer; a writer
    waits up to 30 s for another). Worker processes open their own :class:`Store` on the same home.
    """

    def __init__(self, home: str | os.PathLike[str] | None = None, limits: Limits | None = None) -> None:
        # Absolute, so that a worker process started in another folder opens the same home.
        self.home = (Path(home).expanduser() if home is not None else default_home()).resolve()
        self.limits = limits or Limits()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "blobs").mkdir(exist_ok=True)
        self.path = self.home / DB_NAME
        self._local = threading.local()
        self.connection().executescript(_SCHEMA)  # CREATE ... IF NOT EXISTS: idempotent, own commit
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise WorkspaceError(
                    f"The workspace database {self.path} was written by a newer AugLab (schema {row[0]}, "
                    f"this version reads {SCHEMA_VERSION}); update AugLab or set AUGLAB_HOME elsewhere."
                )
            elif int(row[0]) < SCHEMA_VERSION:
                for version in range(int(row[0]), SCHEMA_VERSION):
                    _MIGRATIONS[version](db)
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))

    # -- connections ---------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on an exception)."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- workspaces ----------------------------------------------------------------------------

    def create(self, now: float | None = None) -> str:
        """A new, empty workspace; returns its id."""
        ws, now = new_id(), time.time() if now is None else now
        with self.transaction() as db:
            db.execute("INSERT INTO workspaces VALUES (?, ?, ?)", (ws, now, now))
        return ws

    def exists(self, ws: Any) -> bool:
        """Whether ``ws`` is a well-formed id of a workspace that exists."""
        if not is_valid_id(ws):
            return False
        return (
            self.connection().execute("SELECT 1 FROM workspaces WHERE id = ?", (ws,)).fetchone() is not None
        )

    def open(self, ws: Any, now: float | None = None) -> tuple[str, str | None]:
        """The workspace ``ws`` if it exists (its idle clock restarts), else a new one and why.

        Returns:
            ``(id, notice)``: ``notice`` is None when ``ws`` was opened, else a sentence for the user
            saying why a new workspace was made (never another user's workspace).
        """
        if ws is None or ws == "":
            return self.create(now), None
        if not is_valid_id(ws):
            return self.create(now), (
                "The workspace id in the link is not a valid id (32 hex digits); a new workspace was made."
            )
        if not self.exists(ws):
            return self.create(now), (
                "No workspace has the id in the link (it may have expired after "
                f"{self.limits.ttl_s / 86400:g} days without use, or been deleted); a new one was made."
            )
        self.touch(ws, now)
        return ws, None

    def touch(self, ws: str, now: float | None = None) -> None:
        """Mark ``ws`` as used now (its time-to-live starts again)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE workspaces SET last_used = ? WHERE id = ?", (time.time() if now is None else now, ws)
            )

    def delete(self, ws: str) -> None:
        """Delete a workspace: its rows (jobs, settings, artifacts) and its files."""
        if not is_valid_id(ws):
            raise WorkspaceError("Not a workspace id.")
        with self.transaction() as db:
            db.execute("DELETE FROM workspaces WHERE id = ?", (ws,))
        shutil.rmtree(self.home / "blobs" / ws, ignore_errors=True)

    def workspaces(self) -> list[dict[str, Any]]:
        """Every workspace with its times and size, most recently used first."""
        rows = self.connection().execute(
            "SELECT w.id, w.created, w.last_used, COALESCE(SUM(b.size), 0) FROM workspaces w "
            "LEFT JOIN blobs b ON b.ws = w.id GROUP BY w.id ORDER BY w.last_used DESC"
        )
        return [{"id": r[0], "created": r[1], "last_used": r[2], "bytes": r[3]} for r in rows]

    def cleanup(self, now: float | None = None) -> list[str]:
        """Delete workspaces idle for longer than the time-to-live, and stray blob folders.

        A workspace with a job still queued or running is kept. Returns the deleted ids.
        """
        now = time.time() if now is None else now
        cutoff = now - self.limits.ttl_s
        rows = (
            self.connection()
            .execute(
                "SELECT id FROM workspaces WHERE last_used < ? AND id NOT IN "
                "(SELECT ws FROM jobs WHERE status IN ('queued', 'running', 'stopping'))",
                (cutoff,),
            )
            .fetchall()
        )
        deleted = [r[0] for r in rows]
        for ws in deleted:
            self.delete(ws)
        known = {r[0] for r in self.connection().execute("SELECT id FROM workspaces")}
        for folder in (self.home / "blobs").iterdir():
            if folder.is_dir() and folder.name not in known and is_valid_id(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
        return deleted

    # -- settings: small JSON values by key ----------------------------------------------------

    def set(self, ws: str, key: str, value: Any) -> None:
        """Store a JSON-serialisable value under ``key`` in ``ws`` (replacing the old one)."""
        text = json.dumps(value, sort_keys=True)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO settings VALUES (?, ?, ?, ?) ON CONFLICT (ws, key) DO UPDATE SET "
                "value = excluded.value, updated = excluded.updated",
                (ws, key, text, time.time()),
            )

    def get(self, ws: str, key: str, default: Any = None) -> Any:
        """The value stored under ``key`` in ``ws``, else ``default``."""
        row = (
            self.connection()
            .execute("SELECT value FROM settings WHERE ws = ? AND key = ?", (ws, key))
            .fetchone()
        )
        return default if row is None else json.loads(row[0])

    def settings(self, ws: str, prefix: str = "") -> dict[str, Any]:
        """Every setting of ``ws`` whose key starts with ``prefix``."""
        rows = self.connection().execute(
            "SELECT key, value FROM settings WHERE ws = ? AND substr(key, 1, ?) = ?",
            (ws, len(prefix), prefix),
        )
        return {k: json.loads(v) for k, v in rows}

    def unset(self, ws: str, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM settings WHERE ws = ? AND key = ?", (ws, key))

    # -- blobs: file contents by SHA-256 ---------------------------------------------------------

    def _blob_path(self, ws: str, sha256: str) -> Path:
        if not is_valid_id(ws) or re.fullmatch(r"[0-9a-f]{64}", sha256) is None:
            raise WorkspaceError("Bad workspace id or content hash.")
        return self.home / "blobs" / ws / sha256[:2] / sha256

    def usage(self, ws: str | None = None) -> int:
        """Bytes of files held by ``ws`` (or by every workspace when None)."""
        if ws is None:
            row = self.connection().execute("SELECT COALESCE(SUM(size), 0) FROM blobs").fetchone()
        else:
            row = (
                self.connection()
                .execute("SELECT COALESCE(SUM(size), 0) FROM blobs WHERE ws = ?", (ws,))
                .fetchone()
            )
        return int(row[0])

    def put(self, ws: str, data: bytes, what: str = "This file") -> str:
        """Store ``data`` in ``ws``; returns its SHA-256. Storing the same bytes twice costs nothing.

        Args:
            what: The thing being stored, for the message when a limit is reached ("photos.zip").

        Raises:
            WorkspaceError: The workspace or the server would go over its limit; the message names the
                sizes and says what to do.
        """
        sha = hashlib.sha256(data).hexdigest()
        path = self._blob_path(ws, sha)
        db = self.connection()
        if (
            db.execute("SELECT 1 FROM blobs WHERE ws = ? AND sha256 = ?", (ws, sha)).fetchone()
            and path.exists()
        ):
            return sha
        used, total = self.usage(ws), self.usage()
        if used + len(data) > self.limits.workspace_bytes:
            raise WorkspaceError(
                f"{what} ({_human(len(data))}) would take this workspace over its limit of "
                f"{_human(self.limits.workspace_bytes)} ({_human(used)} used). Delete checkpoints, exports "
                "or uploads you no longer need, or start a new workspace."
            )
        if total + len(data) > self.limits.total_bytes:
            raise WorkspaceError(
                f"{what} ({_human(len(data))}) would take the server over its storage limit of "
                f"{_human(self.limits.total_bytes)}; ask whoever runs it to raise AUGLAB_TOTAL_GB or "
                "delete old workspaces."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{sha}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a reader sees the whole file or none
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?, ?, ?)", (ws, sha, len(data), time.time()))
        return sha

    def read(self, ws: str, sha256: str) -> bytes:
        """The bytes stored under ``sha256`` in ``ws``.

        Raises:
            WorkspaceError: No such file in this workspace.
        """
        row = (
            self.connection()
            .execute("SELECT 1 FROM blobs WHERE ws = ? AND sha256 = ?", (ws, sha256))
            .fetchone()
        )
        path = self._blob_path(ws, sha256)
        if row is None or not path.exists():
            raise WorkspaceError(f"This workspace holds no file with SHA-256 {sha256[:12]}….")
        return path.read_bytes()

    def blob_path(self, ws: str, sha256: str) -> Path:
        """Where the file ``sha256`` of ``ws`` lies (for streaming large files); it must exist."""
        self.read_check(ws, sha256)
        return self._blob_path(ws, sha256)

    def read_check(self, ws: str, sha256: str) -> None:
        row = (
            self.connection()
            .execute("SELECT 1 FROM blobs WHERE ws = ? AND sha256 = ?", (ws, sha256))
            .fetchone()
        )
        if row is None:
            raise WorkspaceError(f"This workspace holds no file with SHA-256 {sha256[:12]}….")

    # -- artifacts: named things a user made ----------------------------------------------------

    def add_artifact(self, ws: str, kind: str, name: str, sha256: str | None, meta: dict[str, Any]) -> int:
        """Record an artifact (an upload, a checkpoint, a pool batch, an export) and return its id."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO artifacts (ws, kind, name, sha256, meta, created) VALUES (?, ?, ?, ?, ?, ?)",
                (ws, kind, name, sha256, json.dumps(meta, sort_keys=True), time.time()),
            )
        return int(cur.lastrowid)

    def artifacts(self, ws: str, kind: str) -> list[dict[str, Any]]:
        """The artifacts of ``kind`` in ``ws``, oldest first."""
        rows = self.connection().execute(
            "SELECT id, name, sha256, meta, created FROM artifacts WHERE ws = ? AND kind = ? ORDER BY id",
            (ws, kind),
        )
        return [
            {"id": r[0], "name": r[1], "sha256": r[2], "meta": json.loads(r[3]), "created": r[4]}
            for r in rows
        ]

    def remove_artifacts(self, ws: str, kind: str) -> None:
        """Forget every artifact of ``kind`` in ``ws`` (their files go when nothing else uses them)."""
        with self.transaction() as db:
            shas = [
                r[0] for r in db.execute("SELECT sha256 FROM artifacts WHERE ws = ? AND kind = ?", (ws, kind))
            ]
            db.execute("DELETE FROM artifacts WHERE ws = ? AND kind = ?", (ws, kind))
        self._drop_unused(ws, shas)

    def remove_artifact(self, ws: str, artifact_id: int) -> None:
        """Forget one artifact of ``ws`` (its file goes when nothing else uses it); another's is untouched."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT sha256 FROM artifacts WHERE id = ? AND ws = ?", (artifact_id, ws)
            ).fetchone()
            db.execute("DELETE FROM artifacts WHERE id = ? AND ws = ?", (artifact_id, ws))
        self._drop_unused(ws, [row[0]] if row else [])

    def _drop_unused(self, ws: str, shas: list[str | None]) -> None:
        """Delete the files among ``shas`` that no artifact, job or setting of ``ws`` mentions any more.

        Jobs and settings hold hashes inside JSON (a job's inputs, a resume checkpoint, a page's
        upload list), so they are searched as text: a file named anywhere in its workspace stays.
        """
        for sha in {s for s in shas if s}:
            with self.transaction() as db:
                used = db.execute(
                    "SELECT 1 FROM artifacts WHERE ws = ?1 AND sha256 = ?2 UNION ALL "
                    "SELECT 1 FROM jobs WHERE ws = ?1 AND (instr(config, ?2) OR instr(result, ?2)) UNION ALL "
                    "SELECT 1 FROM settings WHERE ws = ?1 AND instr(value, ?2) LIMIT 1",
                    (ws, sha),
                ).fetchone()
                if used:
                    continue
                db.execute("DELETE FROM blobs WHERE ws = ? AND sha256 = ?", (ws, sha))
                # Unlinked inside the transaction: no other writer can record the same file meanwhile.
                self._blob_path(ws, sha).unlink(missing_ok=True)
