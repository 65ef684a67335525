"""An ImageFolder directory: the zip's layout written as files, for exports too large for one archive.

``train/ val/ test/``, one folder per class, PNG files, ``manifest.csv`` and ``recipe.json``: the same
paths and the same bytes as the zip of the same recipe (:mod:`core.dataset.writer`), so torchvision's
``ImageFolder`` and Keras' ``image_dataset_from_directory`` read ``DIR/train`` unchanged.

A shard (:mod:`core.dataset.shards`) writes its images, each to a temporary file renamed into place
(a file under its final name is always complete), then its manifest lines as one part file under
``.auglab/parts/``, renamed into place last: the part is the shard's mark of completion, and its
sha256 goes into the index. When every shard is done, the parts are joined, in plan order, into
``manifest.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.dataset.plan import Plan, PlannedItem
from core.dataset.shards import TMP_DIR, Shard, ShardResult, tmp_path, write_atomic
from core.dataset.writer import MANIFEST_COLUMNS, manifest_cells


def make_folders(folder: Path, plan: Plan) -> None:
    """Create every split / class folder of the plan (before the workers start: no race on mkdir)."""
    for split, label in {(item.split, item.label) for item in plan.items}:
        (folder / split / plan.folders[label]).mkdir(parents=True, exist_ok=True)
    (folder / TMP_DIR).mkdir(exist_ok=True)


def write_shard(
    folder: Path,
    shard: Shard,
    items: Sequence[PlannedItem],
    render: Callable[[PlannedItem], tuple[Any, dict[str, Any]]],
    tick: Callable[[int], None] = lambda n: None,
    worker: str = "",
) -> ShardResult:
    """Render ``items`` as PNG files under ``folder``, then their manifest lines as the shard's part.

    Args:
        folder: The export folder (:func:`make_folders` done).
        shard: The shard; ``shard.name`` is its part file.
        items: ``plan.items[shard.start:shard.stop]``.
        render: :func:`core.dataset.writer.image_renderer` of the plan.
        tick: Called with the number of items written since the last call, every 100 items.
        worker: Who writes it, for the result.

    Returns:
        The part's rows, size and sha256 (the part lists every image's sha256).
    """
    start = time.perf_counter()
    tmp = tmp_path(folder, "image")
    lines = io.StringIO()
    writer = csv.writer(lines, lineterminator="\n")
    since = 0
    try:
        for item in items:
            data, row = render(item)
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, folder / row["path"])
            writer.writerow(manifest_cells(row))
            since += 1
            if since == 100:
                tick(since)
                since = 0
    finally:
        tmp.unlink(missing_ok=True)
    part = lines.getvalue().encode("utf-8")
    final = folder / shard.name
    final.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(final, part)
    tick(since)
    return ShardResult(
        shard.name,
        len(items),
        len(part),
        hashlib.sha256(part).hexdigest(),
        time.perf_counter() - start,
        worker,
    )


def join_manifest(folder: Path, shards: Sequence[Shard]) -> None:
    """``manifest.csv``: the header, then every shard's part in plan order (the zip's manifest.csv),
    streamed to a temporary file and renamed into place."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(MANIFEST_COLUMNS)
    tmp = tmp_path(folder, "manifest.csv")
    try:
        with open(tmp, "wb") as out:
            out.write(header.getvalue().encode("utf-8"))
            for shard in shards:
                with open(folder / shard.name, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / "manifest.csv")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
