"""``python -m core export --recipe recipe.json --out dataset.zip``: the export page, headless.

The recipe is the ``recipe.json`` the page downloads, or an exported archive itself (``--recipe
dataset.zip`` reads its ``recipe.json``); its inputs and generator checkpoints are read from the paths it
names, and a checkpoint missing there is read from the archive's ``generators/<sha256>.pt``.

``--format zip`` (the default) writes today's archive in this process. ``--format parquet`` and
``--format imagefolder`` write a folder of shards (:mod:`core.dataset.sharded`) with ``--engine local``
(this process), ``processes`` (``--workers`` of this machine's cores) or ``ray`` (Ray Data: a local Ray,
or the cluster at ``--address`` / ``RAY_ADDRESS``); every engine writes the same bytes per shard, and
running the same command again resumes an unfinished folder. Progress (items, shards, rate, ETA) is
printed once a second to stderr. A recipe that cannot be used raises
:class:`~core.errors.ConfigError` or :class:`~core.errors.InputError`, which ``core.cli.main.main``
turns into exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time

FORMATS = ("zip", "parquet", "imagefolder")


def _clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def progress_line(done: int, total: int, elapsed: float, first: int = 0, shards: str = "") -> str:
    """``12,000/20,000 examples[, 19/32 shards] (2,400/s, ETA 0:03)``: the rate counts only what this
    run wrote (``done - first``; a resumed run starts with ``first`` done)."""
    rate = (done - first) / elapsed if elapsed > 0 else 0.0
    if done >= total:
        eta = "done"
    elif rate > 0:
        eta = f"ETA {_clock((total - done) / rate)}"
    else:
        eta = "ETA ?"
    return f"{done:,}/{total:,} examples{shards} ({rate:,.0f}/s, {eta})"


def _progress_printer(interval_s: float = 1.0):
    """A ``progress(done, total[, shards done, shards])`` that prints at most once per ``interval_s``
    seconds, and at the end; the rate and ETA count from its first call."""
    state: dict[str, float] = {}

    def progress(done: int, total: int, shards_done: int | None = None, shards: int | None = None) -> None:
        now = time.monotonic()
        if not state:
            state.update(start=now, last=now, first=done)
        if now - state["last"] >= interval_s or (done == total and shards_done == shards):
            state["last"] = now
            part = f", {shards_done:,}/{shards:,} shards" if shards is not None else ""
            line = progress_line(done, total, now - state["start"], int(state["first"]), part)
            print(line, file=sys.stderr)

    return progress


def cmd_export(args: argparse.Namespace) -> int:
    from core.dataset.replay import load_recipe
    from core.errors import ConfigError

    source = load_recipe(args.recipe)
    printed: set[str] = set()

    def notify(line: str) -> None:
        printed.add(line)
        print(line, file=sys.stderr)

    progress = None if args.quiet else _progress_printer()
    if args.format == "zip":
        if args.engine != "local":
            raise ConfigError(
                "--format zip writes one archive in one process; use --format parquet or imagefolder "
                f"with --engine {args.engine}."
            )
        from core.dataset.replay import run_export

        summary = run_export(source.recipe, args.out, progress, notify, source.archive)
        shards, size, extra = "", summary.bytes_written, ""
    else:
        from core.dataset.sharded import export_sharded

        summary = export_sharded(
            source.recipe,
            args.out,
            args.format,
            args.engine,
            args.workers,
            args.address,
            archive=source.archive,
            shard_rows=args.shard_rows,
            shard_mb=args.shard_mb,
            progress=progress,
            notify=notify,
        )
        shards = f" in {summary.shards:,} shards"
        if summary.skipped:
            shards += f", {summary.skipped:,} kept from the last run"
        size = summary.bytes_written
        extra = f"; Ray start-up {summary.startup_s:.1f} s" if args.engine == "ray" else ""
    per_split = ", ".join(
        f"{split} {sum(sum(c.values()) for c in classes.values()):,}"
        for split, classes in summary.counts.items()
    )
    for note in summary.notes:
        if note not in printed:  # the plan's notes; the others were printed as they came
            print(note, file=sys.stderr)
    print(
        f"wrote {summary.path} ({summary.items:,} examples{shards}: {per_split}; "
        f"{size / 1e6:.1f} MB in {summary.seconds:.1f} s{extra})",
        file=sys.stderr,
    )
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``export`` on ``python -m core``'s sub-parsers."""
    e = sub.add_parser(
        "export",
        help="write the blended, split dataset a recipe describes: a .zip, or a folder of Parquet / "
        "ImageFolder shards on one core, all cores or Ray",
    )
    e.add_argument(
        "--recipe",
        required=True,
        help="recipe.json from the Export page, or an exported .zip (its recipe.json and checkpoints)",
    )
    e.add_argument(
        "--out",
        required=True,
        help="zip: the .zip to write (replaced only when complete); parquet, imagefolder: the folder "
        "(new, empty, or an unfinished export of the same recipe, which is resumed)",
    )
    e.add_argument("--format", choices=FORMATS, default="zip", help="what to write (default: zip)")
    e.add_argument(
        "--engine",
        choices=("local", "processes", "ray"),
        default="local",
        help="who writes the shards: this process, this machine's cores, or Ray Data (default: local)",
    )
    e.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="processes: worker processes (default: all cores); ray: concurrent tasks (default: all "
        "CPUs of the cluster; a local Ray gets this many CPUs)",
    )
    e.add_argument(
        "--address", default=None, help="ray: the cluster's address (default: RAY_ADDRESS, else a local Ray)"
    )
    e.add_argument(
        "--shard-rows", type=_positive_int, default=None, help="examples per shard (default: by size)"
    )
    e.add_argument(
        "--shard-mb",
        type=float,
        default=None,
        help="target shard size in MB (default: 256; at least 32 shards)",
    )
    e.add_argument("--quiet", action="store_true", help="no progress lines")
    e.set_defaults(func=cmd_export)
