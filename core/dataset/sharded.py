"""A recipe exported as a folder of shards — Parquet or an ImageFolder directory — by any engine.

``python -m core export --recipe R --out DIR --format parquet --engine {local,processes,ray}`` runs
:func:`export_sharded`:

1. load the recipe's originals, regenerate its synthetic samples, plan (as the zip export does) and
   fingerprint the lot (:func:`core.dataset.digest.export_digest`);
2. cut the plan into shards (:mod:`core.dataset.shards`), open the folder's index and skip every shard
   already written with the sha256 the index holds;
3. hand the other shards to the engine (:mod:`core.dataset.engines`); each finished shard goes into
   the index at once, so a run stopped anywhere resumes where it was;
4. finish the folder: ``recipe.json`` (the zip's), the generator checkpoints, and the dataset card
   (Parquet) or ``manifest.csv`` (ImageFolder); the index is marked complete.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.dataset.engines import ENGINES, Context, ShardJob, build_context, run_local, run_processes
from core.dataset.recipe import Recipe
from core.dataset.shards import (
    SHARDED_FORMATS,
    Shard,
    ShardResult,
    estimate_item_bytes,
    fingerprint,
    finished,
    open_folder,
    plan_shards,
    rows_per_shard,
    write_atomic,
)
from core.errors import ConfigError

ShardProgress = Callable[[int, int, int, int], None]  # items done, items, shards done, shards


@dataclass
class ShardedSummary:
    """What a sharded export wrote.

    Attributes:
        path: The export folder.
        fmt, engine: As asked.
        counts: ``counts[split][class][source]``, as :meth:`core.dataset.plan.Plan.counts`.
        items: Examples in the export.
        shards: Shards in the export; ``skipped`` of them were already written and kept.
        bytes_written: Bytes of the shards written by this run.
        seconds: Wall time, start-up included.
        startup_s: Seconds Ray took to start (or connect), to ready its workers (one small Ray Data
            map importing AugLab) and to shut down; 0 for the other engines.
        notes: Sentences about what could not be done as asked, and what was done.
    """

    path: Path
    fmt: str
    engine: str
    counts: dict[str, dict[str, dict[str, int]]]
    items: int
    shards: int
    skipped: int
    bytes_written: int
    seconds: float
    startup_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def examples_per_second(self) -> float:
        """Throughput of the export, start-up included."""
        return self.items / self.seconds if self.seconds > 0 else float("inf")


def _opened_inputs(recipe: Recipe) -> tuple[str, ...]:
    """The recipe's inputs as a worker opens them: built-in names as they are, paths made absolute
    (a Ray worker may run in another folder)."""
    from core.data.sources import builtin

    return tuple(
        name if builtin(name, recipe.kind) is not None else str(Path(name).resolve())
        for name in recipe.inputs
    )


def _opened_checkpoints(recipe: Recipe) -> tuple[str, ...]:
    """The recipe's generator checkpoints as a worker opens them: absolute where the file is here (a
    missing one is looked up in the archive, as the recipe names it)."""
    return tuple(
        str(Path(s.checkpoint).resolve()) if Path(s.checkpoint).is_file() else s.checkpoint
        for s in recipe.synthetic
    )


def _versions(fmt: str, kind: str) -> dict[str, str]:
    """Libraries whose output is in the shard files (part of the index's key)."""
    import cv2

    versions = {"opencv": cv2.__version__} if kind == "images" else {}
    if fmt == "parquet":
        import pyarrow

        versions["pyarrow"] = pyarrow.__version__
    return versions


def export_sharded(
    recipe: Recipe,
    out_dir: str | Path,
    fmt: str = "parquet",
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    *,
    archive: Path | None = None,
    shard_rows: int | None = None,
    shard_mb: float | None = None,
    progress: ShardProgress | None = None,
    notify: Callable[[str], None] | None = None,
    loaded: tuple[list[Any], list[Any], dict[str, bytes]] | None = None,
) -> ShardedSummary:
    """Write the export a recipe describes as a folder of shards, resuming a previous run.

    Args:
        recipe: The recipe.
        out_dir: The folder: new, empty, or an unfinished (or finished) export of the same recipe.
        fmt: "parquet" or "imagefolder" (images only).
        engine: "local", "processes" or "ray".
        workers: Processes (default: the machine's cores), or Ray's concurrent tasks (default: all
            of the cluster's CPUs; a local Ray gets this many CPUs).
        address: A Ray cluster's address (default: ``RAY_ADDRESS``, else a local Ray).
        archive: The exported archive the recipe came from (its generator checkpoints).
        shard_rows, shard_mb: Shard size (:func:`core.dataset.shards.rows_per_shard`).
        progress: ``progress(items done, items, shards done, shards)`` as work finishes.
        notify: Receives sentences about inputs and synthetic samples (default: stderr).
        loaded: ``(originals, synthetic, checkpoints)`` already loaded (the page's); the engine must
            then be ``local``.

    Returns:
        What was written.

    Raises:
        ConfigError: An unknown format or engine, text as ImageFolder, a folder that holds something
            else, Ray missing, a worker that died (the finished shards are kept).
        InputError: An input file is missing or unusable.
    """
    from core.dataset.replay import load_originals, regenerate_synthetic

    if fmt not in SHARDED_FORMATS:
        raise ConfigError(f"The format must be one of {', '.join(SHARDED_FORMATS)}, got {fmt!r}.")
    if engine not in ENGINES:
        raise ConfigError(f"The engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
    if fmt == "imagefolder" and recipe.kind != "images":
        raise ConfigError("--format imagefolder is for images; write text as parquet or zip.")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"--workers must be a whole number of at least 1, got {workers!r}.")
    if loaded is not None and engine != "local":
        raise ConfigError("Data loaded in this process is written by the local engine only.")
    start = time.perf_counter()
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        (notify or (lambda s: print(s, file=sys.stderr)))(line)

    # 1. What the export holds, and its fingerprint (the workers check theirs against it).
    if loaded is None:
        originals = load_originals(recipe.kind, recipe.inputs, recipe.text_column, recipe.label_column, note)
        synthetic, checkpoints = regenerate_synthetic(recipe, note, archive)
    else:
        originals, synthetic, checkpoints = loaded
    ctx = build_context(recipe, originals, synthetic)
    notes.extend(ctx.plan.notes)

    # 2. Shards, the folder and what it already holds.
    folder = Path(out_dir).resolve()
    total = len(ctx.plan.items)
    rows = rows_per_shard(total, estimate_item_bytes(recipe.kind, originals), shard_mb, shard_rows)
    shards = plan_shards(ctx.plan, fmt, rows)
    key = fingerprint(ctx.digest, fmt, rows, _versions(fmt, recipe.kind))
    index = open_folder(folder, key, fmt, total)
    done = finished(folder, index, shards)
    _write_fixed(folder, recipe, checkpoints)
    if fmt == "imagefolder":
        from core.dataset.folder import make_folders

        make_folders(folder, ctx.plan)
    if done:
        note(f"{len(done):,} of {len(shards):,} shards were already written (sha256 as in the index); kept.")

    # 3. The engine writes the rest.
    todo = [s for s in shards if s.name not in done]
    if todo and index.complete:  # a damaged or missing shard of a finished export: unfinished again
        index.complete = False
        index.save(folder)
    jobs = [
        ShardJob(
            recipe.to_json(),
            _opened_inputs(recipe),
            str(Path(archive).resolve()) if archive else None,
            ctx.digest,
            fmt,
            str(folder),
            shard,
            _opened_checkpoints(recipe),
        )
        for shard in todo
    ]
    state = {"items": sum(s.rows for s in shards if s.name in done), "shards": len(done), "bytes": 0}

    def tell() -> None:
        if progress is not None:
            progress(state["items"], total, state["shards"], len(shards))

    def on_items(n: int) -> None:
        state["items"] += n
        tell()

    def on_done(shard: Shard, result: ShardResult) -> None:
        index.record(shard, result)
        index.save(folder)
        state["shards"] += 1
        state["bytes"] += result.size
        if engine == "ray":  # Ray reports whole shards only
            state["items"] += result.rows
        tell()

    startup = _run(engine, ctx, jobs, workers, address, on_done, on_items, tell, note)

    # 4. The folder's finishing files.
    if fmt == "imagefolder":
        from core.dataset.folder import join_manifest

        join_manifest(folder, shards)
    else:
        _write_card(folder, recipe, ctx, shards, index)
    index.complete = True
    index.save(folder)
    return ShardedSummary(
        path=folder,
        fmt=fmt,
        engine=engine,
        counts=ctx.plan.counts(),
        items=total,
        shards=len(shards),
        skipped=len(done),
        bytes_written=state["bytes"],
        seconds=time.perf_counter() - start,
        startup_s=startup,
        notes=notes,
    )


def _run(
    engine: str,
    ctx: Context,
    jobs: list[ShardJob],
    workers: int | None,
    address: str | None,
    on_done: Callable[[Shard, ShardResult], None],
    on_items: Callable[[int], None],
    ready: Callable[[], None],
    note: Callable[[str], None],
) -> float:
    """Run ``jobs`` on ``engine``, calling ``ready()`` when the shards start (after Ray's start-up);
    the seconds Ray took to start, ready its workers and shut down (0 for the other engines; for a
    Ray that was running already, the warm-up only)."""
    import os

    if engine == "local":
        ready()
        run_local(ctx, jobs, on_done, on_items)
        return 0.0
    if engine == "processes":
        ready()
        if jobs:
            run_processes(jobs, min(workers or os.cpu_count() or 1, len(jobs)), on_done, on_items)
        return 0.0
    from core.dataset.engines import run_ray, start_ray, warm_ray

    if not jobs:
        ready()
        return 0.0
    running = sys.modules.get("ray")
    if running is not None and running.is_initialized():
        where = "the one already running in this process"
    else:
        where = address or os.environ.get("RAY_ADDRESS") or f"a local Ray of {workers or os.cpu_count()} CPUs"
    note(f"starting Ray: {where} ...")
    started, overhead = start_ray(address, workers)
    try:
        overhead += warm_ray(workers)
        note(f"Ray is up ({overhead:.1f} s); {len(jobs):,} shards to write.")
        ready()
        run_ray(jobs, workers, on_done)
    finally:
        if started:
            import ray

            stop = time.perf_counter()
            ray.shutdown()
            overhead += time.perf_counter() - stop
    return overhead


def _write_fixed(folder: Path, recipe: Recipe, checkpoints: dict[str, bytes]) -> None:
    """``recipe.json`` (the zip's bytes) and the generator checkpoints, as in the zip."""
    write_atomic(folder / "recipe.json", recipe.to_json().encode("utf-8") + b"\n")
    for name in sorted(checkpoints):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != checkpoints[name]:
            write_atomic(path, checkpoints[name])


def _write_card(folder: Path, recipe: Recipe, ctx: Context, shards: list[Shard], index: Any) -> None:
    from core.dataset.parquet import class_names, dataset_card

    split_rows = dict.fromkeys(("train", "val", "test"), 0)
    split_bytes = dict.fromkeys(("train", "val", "test"), 0)
    for shard in shards:
        split_rows[shard.split] += shard.rows
        split_bytes[shard.split] += index.shards[shard.name]["size"]
    card = dataset_card(recipe.kind, class_names(ctx.plan), split_rows, split_bytes, recipe.to_json())
    write_atomic(folder / "README.md", card.encode("utf-8"))


def export_parquet_zip(
    recipe: Recipe,
    originals: list[Any],
    synthetic: list[Any],
    out_path: str | Path,
    progress: Callable[[int, int], None] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> ShardedSummary:
    """The Parquet export of data already loaded (the Export page's), as one zip of the folder.

    The folder is written by the local engine into a temporary folder beside ``out_path`` (the same
    shards, bytes and card as ``python -m core export --format parquet`` writes), then stored in a zip
    with the writer's fixed dates and permissions, replaced only when complete. Unzipped, it loads in
    ``datasets`` and Ray Data as the folder does. Meant for small sets: the shards pass through disk
    twice.

    Args:
        recipe, originals, synthetic: As :func:`core.dataset.writer.export_images`.
        out_path: The ``.zip`` to write.
        progress: ``progress(done, total)`` as items are written; raising cancels.
        extra_files: The generator checkpoints, ``{"generators/<sha256>.pt": bytes}``.

    Returns:
        What was written (``path`` is the zip, ``bytes_written`` its size).
    """
    import os
    import shutil
    import tempfile
    import zipfile

    from core.dataset.writer import FILE_MODE, ZIP_DATE

    out = Path(out_path)
    tick = None if progress is None else (lambda done, total, *_: progress(done, total))
    with tempfile.TemporaryDirectory(prefix=".parquet-", dir=out.parent) as scratch:
        folder = Path(scratch) / "parquet"
        summary = export_sharded(
            recipe,
            folder,
            "parquet",
            "local",
            progress=tick,
            notify=lambda line: None,
            loaded=(originals, synthetic, dict(extra_files or {})),
        )
        members = sorted(
            p for p in folder.rglob("*") if p.is_file() and not p.relative_to(folder).parts[0].startswith(".")
        )
        tmp = Path(scratch) / "archive.zip"
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            for path in members:
                name = path.relative_to(folder).as_posix()
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.external_attr = FILE_MODE << 16
                info.create_system = 3
                packed = name.endswith((".parquet", ".pt"))  # compressed already
                info.compress_type = zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED
                with open(path, "rb") as source, zf.open(info, "w", force_zip64=True) as member:
                    shutil.copyfileobj(source, member, 1 << 20)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    summary.path = out
    summary.bytes_written = out.stat().st_size
    return summary
