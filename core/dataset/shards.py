"""Shards planned up front: which items each shard holds, its file name, and the index that resumes.

A sharded export (Parquet or an ImageFolder directory, :mod:`core.dataset.sharded`) cuts the plan into
shards before anything is computed. Each shard is a contiguous run of one split's items, so

- the shards depend on the plan, the inputs and the shard size alone, never on the engine or the
  number of workers: every engine writes the same bytes per shard;
- a shard is written whole by one worker, to a temporary name, and renamed when complete: a killed
  worker leaves no half-written file under a shard's final name;
- the index (``auglab-index.json``) records each finished shard's sha256: running the same export
  again skips every shard whose file still has that sha256, and writes the others.

The default shard size aims at about 256 MB (estimated from the first original's size before
anything is encoded) and at least :data:`MIN_SHARDS` shards when there are enough items, so that two
workers, or two hundred, have shards to share.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.dataset.plan import Plan
from core.errors import ConfigError

INDEX_NAME = "auglab-index.json"
INDEX_FORMAT = "auglab.shards/1"
TMP_DIR = ".auglab-tmp"  # temporary files, on the same file system as the shards (rename is atomic)
PARTS_DIR = ".auglab/parts"  # an ImageFolder shard's manifest lines, joined into manifest.csv at the end
SHARDED_FORMATS = ("parquet", "imagefolder")
HF_SPLITS = {"train": "train", "val": "validation", "test": "test"}  # the Hugging Face Hub's names
DEFAULT_SHARD_MB = 256.0  # Parquet files of a few hundred MB read well everywhere
MIN_SHARDS = 32  # when the items allow: enough shards for every worker of a small cluster
MIN_ROWS = 256  # ... but never shards smaller than this (per-shard overhead)
TEXT_ROW_OVERHEAD = 200  # bytes of manifest columns per text row, for the size estimate


@dataclass(frozen=True)
class Shard:
    """A contiguous run of one split's items: ``plan.items[start:stop]``.

    Attributes:
        split: "train", "val" or "test".
        index: Position among the split's shards, from 0.
        count: Shards of the split.
        start, stop: The items' positions in the plan.
        name: The shard's file, relative to the export folder (a Parquet file, or an ImageFolder
            shard's manifest part).
    """

    split: str
    index: int
    count: int
    start: int
    stop: int
    name: str

    @property
    def rows(self) -> int:
        """Items in the shard."""
        return self.stop - self.start


@dataclass(frozen=True)
class ShardResult:
    """What a worker wrote: the shard's file, its rows, size (bytes) and sha256, and its time (s)."""

    name: str
    rows: int
    size: int
    sha256: str
    seconds: float
    worker: str = ""  # host:pid of the worker that wrote it


def shard_file(fmt: str, split: str, index: int, count: int) -> str:
    """The shard's file relative to the export folder.

    Parquet: ``data/train-00000-of-00004.parquet`` (val as ``validation``), the Hugging Face Hub's
    sharded layout, which ``datasets.load_dataset("parquet", data_dir=...)`` maps to splits.
    ImageFolder: the shard's manifest lines, ``.auglab/parts/train-00000-of-00004.csv``.
    """
    if fmt == "parquet":
        return f"data/{HF_SPLITS[split]}-{index:05d}-of-{count:05d}.parquet"
    return f"{PARTS_DIR}/{split}-{index:05d}-of-{count:05d}.csv"


def estimate_item_bytes(kind: str, originals: Sequence[Any]) -> int:
    """About how many bytes one exported item takes, before anything is encoded.

    Images: the raw size of the first original (height x width x channels; lossless PNG of a photo
    is about half of it, so shards come out at most the size asked for). Text: the mean UTF-8 length
    of the first 1,000 originals plus :data:`TEXT_ROW_OVERHEAD`.
    """
    if not originals:
        return 1
    if kind == "images":
        return max(1, int(np.asarray(originals[0].array).nbytes))
    sample = originals[:1000]
    mean = sum(len(o.text.encode("utf-8", "surrogatepass")) for o in sample) / len(sample)
    return max(1, int(mean) + TEXT_ROW_OVERHEAD)


def rows_per_shard(total: int, item_bytes: int, shard_mb: float | None, shard_rows: int | None) -> int:
    """The number of items per shard.

    Args:
        total: Items in the export.
        item_bytes: :func:`estimate_item_bytes`.
        shard_mb: Target shard size in MB (10**6 bytes); None: :data:`DEFAULT_SHARD_MB`.
        shard_rows: Items per shard, given by the user: taken as it is (then ``shard_mb`` is ignored).

    Returns:
        ``shard_rows`` when given; else the rows that fit ``shard_mb``, but no more than
        ``total / MIN_SHARDS`` (and no fewer than :data:`MIN_ROWS`), so that workers have shards to
        share.

    Raises:
        ConfigError: A size below 1.
    """
    if shard_rows is not None:
        if isinstance(shard_rows, bool) or not isinstance(shard_rows, int) or shard_rows < 1:
            raise ConfigError(f"--shard-rows must be a whole number of at least 1, got {shard_rows!r}.")
        return shard_rows
    mb = DEFAULT_SHARD_MB if shard_mb is None else shard_mb
    if not mb > 0:
        raise ConfigError(f"--shard-mb must be a size in MB above 0, got {shard_mb!r}.")
    by_size = max(1, int(mb * 1e6 // max(1, item_bytes)))
    spread = max(MIN_ROWS, -(-total // MIN_SHARDS))
    return max(1, min(by_size, spread))


def plan_shards(plan: Plan, fmt: str, rows: int) -> list[Shard]:
    """Cut each split of ``plan`` into shards of at most ``rows`` items, as even as possible.

    A split of ``n`` items gets ``ceil(n / rows)`` shards; the first ``n % count`` of them one item
    more than the others. Empty splits get none. Shards are in plan order (train, val, test).
    """
    shards: list[Shard] = []
    position = 0
    for split in HF_SPLITS:
        n = sum(1 for item in plan.items if item.split == split)
        if not n:
            continue
        count = -(-n // rows)
        base, extra = divmod(n, count)
        for index in range(count):
            size = base + (index < extra)
            name = shard_file(fmt, split, index, count)
            shards.append(Shard(split, index, count, position, position + size, name))
            position += size
    if position != len(plan.items):  # the plan orders items by split; anything else is a bug
        raise AssertionError("the plan's items are not grouped by split")
    return shards


def fingerprint(export_digest: str, fmt: str, rows: int, versions: dict[str, str]) -> str:
    """The index's key: the export's inputs and recipe (``export_digest``), the format, the shard
    size and the versions of the libraries whose output is in the files. Another key in the folder's
    index means another export: its shards are never reused."""
    text = json.dumps([INDEX_FORMAT, export_digest, fmt, rows, sorted(versions.items())])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def worker_name() -> str:
    """``host:pid`` of this process: who wrote a shard, and a temporary name no other worker uses
    (processes on two hosts that share a file system may have the same pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def tmp_path(folder: Path, stem: str) -> Path:
    """A temporary file for ``stem`` under the folder's :data:`TMP_DIR`, unique to this process."""
    return folder / TMP_DIR / f"{stem}.{worker_name().replace(':', '.')}.tmp"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# The export folder and its index


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, renamed when complete."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass
class Index:
    """The folder's ``auglab-index.json``: whose export it is, and the shards finished so far."""

    key: str
    fmt: str
    items: int
    shards: dict[str, dict[str, Any]]  # name -> {"split", "start", "stop", "rows", "size", "sha256"}
    complete: bool = False

    def to_json(self) -> str:
        body = {"format": INDEX_FORMAT, **asdict(self)}
        return json.dumps(body, indent=1, sort_keys=True) + "\n"

    def save(self, folder: Path) -> None:
        write_atomic(folder / INDEX_NAME, self.to_json().encode("utf-8"))

    def record(self, shard: Shard, result: ShardResult) -> None:
        self.shards[shard.name] = {
            "split": shard.split,
            "start": shard.start,
            "stop": shard.stop,
            "rows": result.rows,
            "size": result.size,
            "sha256": result.sha256,
        }


def open_folder(folder: Path, key: str, fmt: str, items: int) -> Index:
    """The index of the export folder ``folder``, created (with the folder) when new.

    A folder that holds files but no index, or the index of another export (another recipe, other
    inputs, format or shard size), is refused rather than mixed with this one. Temporary files that a
    killed worker left are removed.

    Raises:
        ConfigError: As above, or ``folder`` is a file.
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"{folder} is a file; --out for this format is a folder (new, or a previous export)."
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / INDEX_NAME
    if not path.is_file():
        if any(folder.iterdir()):
            raise ConfigError(
                f"{folder} is not empty and holds no {INDEX_NAME}, so it is no AugLab export to resume; "
                "choose a new or empty folder."
            )
        index = Index(key, fmt, items, {})
        index.save(folder)
        return index
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        index = Index(data["key"], data["fmt"], data["items"], dict(data["shards"]), bool(data["complete"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: cannot be read as an AugLab shard index ({exc}); remove the folder or choose another."
        ) from None
    if index.key != key:
        raise ConfigError(
            f"{folder} holds another export (another recipe, other inputs, format, shard size or library "
            "versions), which this one would not match shard for shard; remove the folder or choose "
            "another."
        )
    tmp = folder / TMP_DIR
    if tmp.is_dir():
        for leftover in tmp.iterdir():
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                leftover.unlink()
    return index


def finished(folder: Path, index: Index, shards: Sequence[Shard]) -> set[str]:
    """Names of the shards already written: in the index, on disk, with the sha256 the index holds."""
    done = set()
    for shard in shards:
        entry = index.shards.get(shard.name)
        if entry is None or (entry["start"], entry["stop"]) != (shard.start, shard.stop):
            continue
        path = folder / shard.name
        if path.is_file() and path.stat().st_size == entry["size"] and file_sha256(path) == entry["sha256"]:
            done.add(shard.name)
    return done
