"""What ``bench/bench_load.py`` found, and its report (Markdown for the terminal and the README)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import common
import numpy as np
from load_browser import Problems
from load_parts import Contention, Memory, Slides, TrainRun, differences
from load_server import MemorySample

from core.workspace.supervisor import default_workers

TRAIN_TARGET = 0.90  # job without a browser / CLI
KEEP_TARGET = 0.70  # training rate while 5 sessions slide / alone
P95_TARGET = 1.5  # slider p95 with training / without
MEMORY_TARGET_MB = 100.0
# Issue 9's figures from before worker processes (training in a thread of the server).
BEFORE = {1: "0.7 s", 5: "p95 3.8 s", 10: "p95 8.7 s"}


@dataclass
class Results:
    plan: Any
    parts: tuple[str, ...]
    load_before: str
    load_after: str = ""
    chromium: str = ""
    total_s: float = 0.0
    problems: Problems = field(default_factory=Problems)
    log_problems: list[str] = field(default_factory=list)
    latency: dict[int, Slides] = field(default_factory=dict)
    cli: TrainRun | None = None
    unwatched: TrainRun | None = None
    watched: TrainRun | None = None
    contention: Contention | None = None
    contention_remote: Contention | None = None  # the same with the browsers at the lowest CPU priority
    memory: Memory | None = None
    memory_final: MemorySample | None = None
    memory_samples: list[MemorySample] = field(default_factory=list)


def _stats(slides: Slides) -> tuple[int, float, float, float, int]:
    """Moves that updated, their p50, p95 and max in seconds, and moves that never updated."""
    times = slides.times
    done = [t for t in times if t is not None]
    if not done:
        return 0, float("nan"), float("nan"), float("nan"), len(times)
    p50, p95 = np.percentile(done, [50, 95])
    return len(done), float(p50), float(p95), max(done), len(times) - len(done)


def _latency(results: Results) -> list[str]:
    think = results.plan.think_s
    lines = [
        '1. Slider to preview on the Images page (built-in photos, "Mild, photos"): one arrow key on the '
        "rotation slider, timed in the page from the key press until every variant grid shows its new "
        f"image and nothing is left being redrawn. Each session pauses {think[0]:g}-{think[1]:g} s before "
        "each move.",
        "",
        "| sessions at once | moves timed | p50 s | p95 s | max s | never updated | CPU: server / browser "
        "| issue 9, before |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for count, slides in results.latency.items():
        n, p50, p95, top, missed = _stats(slides)
        lines.append(
            f"| {count} | {n} | {p50:.2f} | {p95:.2f} | {top:.2f} | {missed} | {_cpu(slides)} "
            f"| {BEFORE.get(count, '')} |"
        )
    lines += [
        "",
        f"CPU: the share of the {common.usable_cores()} cores the server process and the browser side "
        "(Chromium, Playwright's driver and this script) used while the sessions moved their sliders. "
        "Issue 9's figures: the app before worker processes (training ran in a thread of the server).",
    ]
    return lines


def _cpu(slides: Slides) -> str:
    return f"{slides.cpu['server']:.0%} / {slides.cpu['browser']:.0%}"


def _training(results: Results) -> list[str]:
    cli, alone, watched = results.cli, results.unwatched, results.watched
    model = cli.model
    shape = (
        f"{model['arch']}, {model['image_size']} px, "
        f"{'conditional' if model.get('n_classes') else 'unconditional'}"
    )
    lines = [
        f"2. Training the GAN page's defaults on the digits ({shape}), {results.plan.train_s} s each, one "
        "after the other: started by a click on the page, then watched to the end or left alone (the page "
        "closed after the click), against the CLI.",
        "",
        "| run | steps | steps/s | vs CLI | CPU: server / worker / browser |",
        "|---|---:|---:|---:|---:|",
        f"| (c) `python -m core train-gan` | {cli.steps:,} | {cli.rate:.1f} | 100% | |",
        f"| (b) a job from the page, no browser | {alone.steps:,} | {alone.rate:.1f} "
        f"| {alone.rate / cli.rate:.0%} | {_cpu3(alone.cpu)} |",
        f"| (a) a job from the page, watched | {watched.steps:,} | {watched.rate:.1f} "
        f"| {watched.rate / cli.rate:.0%} | {_cpu3(watched.cpu)} |",
        "",
        f"- No browser / CLI: {alone.rate / cli.rate:.0%} (target >= {TRAIN_TARGET:.0%}): "
        f"**{common.verdict(alone.rate / cli.rate >= TRAIN_TARGET)}**",
        f"- Watched / CLI: {watched.rate / cli.rate:.0%} (not judged): the watching browser and the server "
        f"redrawing its progress every second cost the job {1 - watched.rate / alone.rate:.0%} of its rate "
        "on this machine.",
        f"- Click to the job's end: {alone.wall_s:.1f} s (no browser), {watched.wall_s:.1f} s (watched) for "
        f"{results.plan.train_s} s of training (worker start, data, checkpoints); the CPU shares are of the "
        f"{common.usable_cores()} cores over that time.",
    ]
    for name, run in (("(b)", alone), ("(a)", watched)):
        diff = differences(cli.model, run.model)
        if diff:
            lines.append(f"- Note: {name} trained with other settings than the CLI: {', '.join(diff)}.")
    return lines


def _contention(results: Results) -> list[str]:
    n = results.plan.contention_sessions
    lines = [
        f"3. One training job and {n} slider sessions: the sessions move their sliders without training, "
        f"then a GAN job (started from the page, page closed) trains alone for "
        f"{results.contention.solo_window_s:.0f} s, then while the same sessions move their sliders again.",
        "",
        "a. Everything on this machine, the 5 browsers included. Linux shares CPU between sessions first "
        "(autogroups): the server, the worker (started in its own session, so that it survives a restart) "
        "and the browsers get about a third of the 2 cores each when all are busy, so the job cannot keep "
        "more than about two thirds of its solo rate here whatever the app does:",
        "",
        *_contention_table(results.contention, n),
    ]
    if results.contention_remote is not None:
        lines += [
            "",
            "b. The same, with the browsers at the lowest CPU priority (`nice 19`, their autogroup too), "
            "standing in for a class's own machines: the server and the worker get the cores first, the "
            "browsers what is left — so the slider times here include browsers starved of CPU, which a "
            "class's own machines are not.",
            "",
            *_contention_table(results.contention_remote, n),
        ]
    return lines


def _contention_table(c: Contention, n: int) -> list[str]:
    q_n, q50, q95, _, q_miss = _stats(c.quiet)
    b_n, b50, b95, _, b_miss = _stats(c.busy)
    keep = c.busy_rate / c.solo_rate
    ratio = b95 / q95
    lines = [
        "| phase | job steps/s | over s | moves timed | slider p50 s | slider p95 s | CPU: server / worker "
        "/ browser |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| {n} sessions, no training | | | {q_n} | {q50:.2f} | {q95:.2f} | {_cpu3(c.quiet)} |",
        f"| the job alone ({n} sessions open, idle) | {c.solo_rate:.1f} | {c.solo_window_s:.0f} | | | | |",
        f"| the job and {n} sessions moving sliders | {c.busy_rate:.1f} | {c.busy_window_s:.0f} | {b_n} | "
        f"{b50:.2f} | {b95:.2f} | {_cpu3(c.busy)} |",
        "",
        f"- Training rate kept: {keep:.0%} of its rate alone (target >= {KEEP_TARGET:.0%}): "
        f"**{common.verdict(keep >= KEEP_TARGET)}**",
        f"- Slider p95 with training / without: {ratio:.2f}x (target <= {P95_TARGET:g}x): "
        f"**{common.verdict(ratio <= P95_TARGET)}**",
    ]
    if q_miss or b_miss:
        lines.append(f"- Moves whose preview never updated: {q_miss} without training, {b_miss} with.")
    if not c.ran_throughout:
        lines.append(
            "- Note: the job had stopped before the sliders did; its rate covers less than the window."
        )
    return lines


def _cpu3(measured: Slides | dict[str, float] | None) -> str:
    cpu = measured.cpu if isinstance(measured, Slides) else measured
    if not cpu:
        return ""
    return f"{cpu['server']:.0%} / {cpu['workers']:.0%} / {cpu['browser']:.0%}"


def _at(samples: list[MemorySample], t: float) -> MemorySample | None:
    later = [s for s in samples if s.t >= t]
    return later[0] if later else None


def _mb(value: float | None) -> str:
    return "gone" if value is None else f"{value:,.0f}"


def _memory(results: Results) -> list[str]:
    m, plan, final = results.memory, results.plan, results.memory_final
    samples = results.memory_samples
    later = [s for s in samples if m.start_t <= s.t <= final.t]
    peak = MemorySample(
        final.t,
        max((s.server_mb or 0.0 for s in later), default=float("nan")),
        max((s.workers_mb for s in later), default=0.0),
        max((s.workers for s in later), default=0),
    )
    minute = _at(samples, m.closed_t + 60)
    outcomes = ", ".join(f"{n} {name.lower()}" for name, n in sorted(_count(m.outcomes).items()))
    pool = default_workers()
    rows = [
        ("started, no session yet", m.cold),
        ("after one warm-up session (imports, the digits, one model loaded)", m.warm),
        ("highest from the first measured session on (each column on its own)", peak),
        *((f"{n} sessions closed", _at(samples, m.closed[n - 1])) for n in range(5, len(m.closed), 5)),
        ("the last session closed", _at(samples, m.closed_t)),
        ("1 min later", minute if plan.memory_wait_s > 60 else None),
        (f"{plan.memory_wait_s / 60:g} min later", final),
    ]
    lines = [
        f"4. Memory: {plan.memory_sessions} sessions, {plan.memory_parallel} at a time, each opens the GAN "
        f"page, trains on the digits for {plan.memory_train_s} s (the jobs queue for the pool of {pool} "
        f"worker{'s' if pool > 1 else ''}), waits for the end and the redraw, and closes. Sessions: "
        f"{outcomes}. Resident memory (VmRSS) sampled every second.",
        "",
        "| moment | server MB | workers running | workers MB |",
        "|---|---:|---:|---:|",
    ]
    for label, sample in rows:
        if sample is not None:
            lines.append(
                f"| {label} | {_mb(sample.server_mb)} | {sample.workers} | {sample.workers_mb:,.0f} |"
            )
    growth = (final.server_mb or float("nan")) - (m.warm.server_mb or float("nan"))
    lines += [
        "",
        f"- Server {plan.memory_wait_s / 60:g} min after the last session closed, against after the warm-up "
        f"session: {growth:+,.0f} MB (target <= {MEMORY_TARGET_MB:g} MB): "
        f"**{common.verdict(growth <= MEMORY_TARGET_MB)}**",
        f"- Against the server just started: {(final.server_mb or 0) - (m.cold.server_mb or 0):+,.0f} MB, "
        "most of it what the first session loads once for every later one (torch, the pages' modules, the "
        "built-in data); not judged.",
    ]
    if peak.workers > pool:
        lines.append(
            f"- {peak.workers} workers at once for a moment with a pool of {pool}: a worker that has ended "
            "its job is still exiting when the next one starts."
        )
    return lines


def _count(items: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item] = found.get(item, 0) + 1
    return found


def _problems(results: Results) -> list[str]:
    seen = results.problems.lines() + results.log_problems
    if not seen:
        return [
            "Problems seen: none (no JavaScript or console error, page crash, exception box, or error line "
            "in the servers' logs)."
        ]
    return ["Problems seen (browser pages and the servers' logs):", "", *[f"- {line}" for line in seen[:30]]]


def _versions() -> dict[str, str]:
    found = {}
    for name in ("streamlit", "playwright", "torch"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def report(results: Results) -> str:
    cores = common.usable_cores()
    lines = [
        "The app under load: `streamlit run app.py` with its own AUGLAB_HOME, driven by Debian's Chromium "
        "through Playwright's asyncio API (one Chromium, one browser context per session, so one Streamlit "
        f"session and one workspace each). The browsers run on the same {cores} cores as the server and its "
        "worker, so every figure includes their cost.",
    ]
    sections = (
        ("latency", _latency, results.latency),
        ("training", _training, results.cli and results.unwatched and results.watched),
        ("contention", _contention, results.contention),
        ("memory", _memory, results.memory and results.memory_final),
    )
    for _, draw, present in sections:
        if present:
            lines += ["", *draw(results)]
    lines += ["", *_problems(results), ""]
    settings = {
        "load average before": results.load_before,
        "after": results.load_after,
        "whole run": f"{results.total_s / 60:.1f} min",
    }
    versions = {**_versions(), "chromium": results.chromium}
    lines.append(common.machine_line(common.machine_info(settings, versions)))
    return "\n".join(lines)
