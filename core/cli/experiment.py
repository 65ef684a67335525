"""``python -m core experiment --recipe experiment.json --out results.json``: the Experiment page, headless.

The recipe is the ``experiment.json`` the page downloads (:class:`~core.experiment.ExperimentRecipe`);
its inputs and generator checkpoints are read from the paths it names, as an export recipe's are. A
progress line per fit goes to stderr (``--quiet``: none), then the table of results; ``results.json``
is written under a temporary name and moved into place once complete. Ctrl-C stops after the fit in
progress is abandoned and still writes the finished fits (status ``"stopped"``). A recipe that cannot
be used raises :class:`~core.errors.ConfigError`, :class:`~core.errors.InputError` or
:class:`~core.experiment.ExperimentError`, which ``core.cli.main.main`` turns into exit status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

from core.errors import ConfigError, InputError


def read_recipe(path: str):
    """The experiment recipe at ``path``.

    Raises:
        InputError: No such file.
        ConfigError: Not a valid experiment recipe; the message names the file.
    """
    from core.experiment import ExperimentRecipe

    p = Path(path)
    if not p.is_file():
        raise InputError(path, "does not exist; give the experiment.json the Experiment page downloads")
    try:
        return ExperimentRecipe.from_json(p.read_bytes())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` beside ``path`` under a temporary name, then move it into place."""
    folder = path.absolute().parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(results: dict) -> list[str]:
    """The results as aligned text lines: one per row, mean, interval, paired difference, verdict."""
    head = ("model", "size", "arm", "accuracy", "95% CI", "vs real", "95% CI", "verdict")
    widths = (7, 6, 25, 8, 16, 8, 18)
    lines = ["  ".join(f"{h:<{w}}" for h, w in zip(head, (*widths, 0), strict=True)).rstrip()]
    for row in results["rows"]:
        ci = row["ci95"] or [None, None]
        diff = row["diff_vs_real"]
        dci = diff["ci95"] or [None, None]
        cells = (
            row["model"],
            f"{row['size']:g}",
            row["arm"],
            _fmt(row["mean"]),
            f"[{_fmt(ci[0])}, {_fmt(ci[1])}]",
            _fmt(diff["mean"], 4),
            f"[{_fmt(dci[0], 4)}, {_fmt(dci[1], 4)}]",
            diff["verdict"],
        )
        lines.append("  ".join(f"{c:<{w}}" for c, w in zip(cells, (*widths, 0), strict=True)).rstrip())
    return lines


def cmd_experiment(args: argparse.Namespace) -> int:
    from core.experiment import results_json, run_experiment

    recipe = read_recipe(args.recipe)
    out = Path(args.out)

    def notify(line: str) -> None:
        print(line, file=sys.stderr)

    def progress(p) -> None:
        fit = p.fit
        print(
            f"fit {p.done:,}/{p.total:,}: {fit['model']}, size {fit['size']:g}, {fit['arm']}, repeat "
            f"{fit['repeat'] + 1}: accuracy {fit['accuracy']:.3f} ({fit['fit_s']:.1f} s; "
            f"{p.elapsed_s:.0f} s elapsed, ETA {p.eta_s:.0f} s)",
            file=sys.stderr,
        )

    interrupted = [False]

    def should_stop() -> bool:
        return interrupted[0]

    try:
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.__setitem__(0, True))
    except ValueError:  # not the main thread (a test calling main()): Ctrl-C is not ours to catch
        previous = None
    try:
        results = run_experiment(
            recipe, progress=None if args.quiet else progress, should_stop=should_stop, notify=notify
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    _write_atomic(out, results_json(results) + "\n")
    if not args.quiet:
        for line in table(results):
            print(line, file=sys.stderr)
    state = "stopped early, with" if results["status"] == "stopped" else "finished:"
    print(
        f"{state} {results['fits_done']:,} of {results['fits_total']:,} fits in "
        f"{results['timing']['total_s']:.1f} s; wrote {out}",
        file=sys.stderr,
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``experiment`` on ``python -m core``'s sub-parsers."""
    e = sub.add_parser(
        "experiment", help="train small models with and without augmentation / synthesis and compare them"
    )
    e.add_argument("--recipe", required=True, help="experiment.json from the Experiment page")
    e.add_argument("--out", required=True, help="results.json to write (replaced only when complete)")
    e.add_argument("--quiet", action="store_true", help="no progress lines and no table")
    e.set_defaults(func=cmd_experiment)
