"""``python -m core export --recipe recipe.json --out dataset.zip``: the export page, headless.

The recipe is the ``recipe.json`` the page downloads, or an exported archive itself (``--recipe
dataset.zip`` reads its ``recipe.json``); its inputs and generator checkpoints are read from the paths it
names, and a checkpoint missing there is read from the archive's ``generators/<sha256>.pt``. Progress is
printed once a second to stderr. A recipe that cannot be used raises :class:`~core.errors.ConfigError` or
:class:`~core.errors.InputError`, which ``core.cli.main.main`` turns into exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time


def _progress_printer(interval_s: float = 1.0):
    """A ``progress(done, total)`` that prints at most once per ``interval_s`` seconds, and at the end."""
    start = time.monotonic()
    last = [start]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= interval_s or done == total:
            last[0] = now
            rate = done / (now - start) if now > start else 0.0
            print(f"{done:,}/{total:,} examples ({rate:,.0f}/s)", file=sys.stderr)

    return progress


def cmd_export(args: argparse.Namespace) -> int:
    from core.dataset.replay import load_recipe, run_export

    source = load_recipe(args.recipe)
    printed: set[str] = set()

    def notify(line: str) -> None:
        printed.add(line)
        print(line, file=sys.stderr)

    progress = None if args.quiet else _progress_printer()
    summary = run_export(source.recipe, args.out, progress, notify, source.archive)
    per_split = ", ".join(
        f"{split} {sum(sum(c.values()) for c in classes.values()):,}"
        for split, classes in summary.counts.items()
    )
    for note in summary.notes:
        if note not in printed:  # the plan's notes; the others were printed as they came
            print(note, file=sys.stderr)
    print(
        f"wrote {summary.path} ({summary.items:,} examples: {per_split}; "
        f"{summary.bytes_written / 1e6:.1f} MB in {summary.seconds:.1f} s)",
        file=sys.stderr,
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``export`` on ``python -m core``'s sub-parsers."""
    e = sub.add_parser("export", help="write the blended, split dataset a recipe describes as a .zip")
    e.add_argument(
        "--recipe",
        required=True,
        help="recipe.json from the Export page, or an exported .zip (its recipe.json and checkpoints)",
    )
    e.add_argument("--out", required=True, help="the .zip to write (replaced only when complete)")
    e.add_argument("--quiet", action="store_true", help="no progress lines")
    e.set_defaults(func=cmd_export)
