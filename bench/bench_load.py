"""The app under load: slider latency with many browser sessions, training speed with and without a
browser, both at once, and the server's memory after sessions come and go.

The real app (``python -m streamlit run app.py``, its own temporary AUGLAB_HOME) driven by Debian's
Chromium through Playwright's asyncio API: one Chromium process, one browser context per user (so one
Streamlit session and one ``?ws=`` workspace each), all from one event loop. The browsers run on the
same cores as the server and its worker, as in a class demo served from one small machine.

1. latency: 1, 5 and 10 sessions on the Images page (the built-in photos, the "Mild, photos" preset)
   move the rotation slider together, one arrow key at a time with a random 0.3-1 s pause before each;
   a move's latency is from the key press to the moment every variant grid shows a new image and
   nothing on the page is still being redrawn, both read from the page's own clock.
2. training: the GAN page's default settings on the digits (a 30 s budget), started by a click and
   (a) watched by that page to the end, (b) left alone (the page closes after the click; the job runs on
   in its worker), against (c) ``python -m core train-gan`` on the same settings, one after the other;
   rates from the job table (the worker's last report) and the CLI's output (``bench_jobs.cli_run``).
3. contention: 5 slider sessions without training; then one GAN job (submitted through the page, page
   closed) trains alone, then while the same 5 sessions move their sliders again; the job's rate in each
   window from its reports. Then all of it again with the browsers at nice 19, standing in for a class's
   own machines (in a class demo only the server and its workers run on the server's cores).
4. memory: a warm-up session, then 20 sessions, 4 at a time, each training a GAN for 10 s through the
   page, waiting for the end and closing; the server's resident memory is sampled every second until
   5 minutes after the last one closed. That wait overlaps the other parts, which run on a second server.

Targets (issue 9): (b) >= 90% of (c); with training, >= 70% of the solo rate and slider p95 within 1.5x of
the same sessions without it; server memory back within 100 MB of its start 5 minutes later.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import common
import load_parts
from load_browser import CHROMIUM, launch
from load_parts import note
from load_report import Results, report
from load_server import AppServer, MemorySampler, descendants

from core.workspace.store import Store

PARTS = ("latency", "training", "contention", "memory")


@dataclass(frozen=True)
class Plan:
    """How much of each part to run."""

    latency: tuple[tuple[int, int], ...] = ((1, 20), (5, 10), (10, 8))  # (sessions, timed moves each)
    think_s: tuple[float, float] = (0.3, 1.0)  # pause before each move, uniform
    train_s: int = 30  # training budget of (a), (b) and (c), as bench_jobs (the page's default is 60)
    contention_sessions: int = 5
    contention_moves: int = 10
    solo_s: float = 15.0  # seconds the contention job trains alone before the sliders move
    memory_sessions: int = 20
    memory_parallel: int = 4
    memory_train_s: int = 10
    memory_wait_s: float = 300.0  # after the last session closed


FULL = Plan()
QUICK = Plan(
    latency=((1, 4), (5, 3), (10, 2)),
    train_s=10,
    contention_moves=3,
    solo_s=5.0,
    memory_sessions=4,
    memory_parallel=2,
    memory_wait_s=60.0,
)


async def run(plan: Plan, parts: tuple[str, ...], tmp: Path) -> Results:
    from playwright.async_api import async_playwright

    results = Results(plan=plan, parts=parts, load_before=common.load_average())
    problems = results.problems
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        results.chromium = browser.version
        try:
            with ExitStack() as stack:  # ends the servers and their workers whatever happens
                sampler = memory_server = None
                if "memory" in parts:
                    memory_server = stack.enter_context(AppServer(tmp / "memory-home", tmp / "memory.log"))
                    sampler = MemorySampler(memory_server).start()
                    stack.callback(sampler.stop)
                    results.memory = await load_parts.memory_sessions(
                        browser,
                        memory_server,
                        sampler,
                        plan.memory_sessions,
                        plan.memory_parallel,
                        plan.memory_train_s,
                        problems,
                    )
                    note(
                        f"memory: the reading is due {plan.memory_wait_s:.0f} s after the last session closed"
                    )
                others = tuple(p for p in parts if p != "memory")
                if others:  # meanwhile, on a second server: the first one only waits
                    with AppServer(tmp / "home", tmp / "server.log") as server:
                        await _others(browser, server, Store(server.home), plan, others, results, tmp)
                        results.log_problems += [f"server: {line}" for line in server.log_problems()]
                if sampler is not None:
                    due = results.memory.closed_t + plan.memory_wait_s
                    if due > sampler.now():
                        note(f"memory: {due - sampler.now():.0f} s more to wait")
                        await asyncio.sleep(due - sampler.now())
                    await asyncio.sleep(2 * sampler.every_s)  # so that a sample at or after `due` exists
                    results.memory_samples = list(sampler.samples)
                    results.memory_final = next(s for s in results.memory_samples if s.t >= due)
                    results.log_problems += [
                        f"memory server: {line}" for line in memory_server.log_problems()
                    ]
        finally:
            await browser.close()
    results.load_after = common.load_average()
    return results


async def _others(browser, server, store, plan: Plan, parts, results: Results, tmp: Path) -> None:
    """The parts other than memory, one after the other on ``server``; a part that fails is reported
    as a problem (what failed, where) and the others still run."""
    problems = results.problems

    async def training() -> None:
        note(f"training: (c) python -m core train-gan, {plan.train_s} s")
        results.cli = await load_parts.train_cli(plan.train_s, tmp)
        note(f"training: (b) through the page, no browser, {plan.train_s} s")
        results.unwatched = await load_parts.train_in_app(
            browser, server, store, plan.train_s, False, problems
        )
        note(f"training: (a) through the page, watched, {plan.train_s} s")
        results.watched = await load_parts.train_in_app(browser, server, store, plan.train_s, True, problems)

    async def latency() -> None:
        results.latency = await load_parts.latency(browser, server, plan.latency, plan.think_s, problems)

    async def measure_contention():
        return await load_parts.contention(
            browser,
            server,
            store,
            plan.contention_sessions,
            plan.contention_moves,
            plan.think_s,
            plan.solo_s,
            problems,
        )

    async def contention() -> None:
        results.contention = await measure_contention()

    async def contention_remote() -> None:
        # Last: a process may not raise its priority again. Chromium starts a renderer per new context
        # at its own priority, so new ones are niced as they appear, twice a second.
        async def keep_niced() -> None:
            while True:
                nice_browsers(19)
                await asyncio.sleep(0.5)

        before = _autogroup_nice()
        note(f"contention, browsers at nice 19 ({nice_browsers(19)} Chromium processes so far): again")
        keeper = asyncio.create_task(keep_niced())
        try:
            results.contention_remote = await measure_contention()
        finally:
            keeper.cancel()
            # The autogroup is this terminal session's too: give it its priority back (root may; others
            # are told how).
            try:
                Path("/proc/self/autogroup").write_text(str(before))
            except OSError:
                note(f"could not restore this session's CPU priority: `echo {before} > /proc/self/autogroup`")

    steps = {"latency": latency, "training": training, "contention": contention}
    if "contention" in parts:
        parts = (*parts, "contention_remote")
        steps["contention_remote"] = contention_remote
    for name in parts:
        try:
            await steps[name]()
        except Exception as exc:  # a bench of an app under load reports a failure and goes on
            note(f"{name}: failed: {type(exc).__name__}: {exc}")
            problems.add(f"the {name} part", f"failed: {type(exc).__name__}: {exc}")


def _autogroup_nice() -> int:
    """This session's autogroup nice value (0 where the kernel has no autogroups)."""
    try:
        return int(Path("/proc/self/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return 0


def nice_browsers(level: int) -> int:
    """Lower the CPU priority of every Chromium process this bench started; returns how many.

    With the kernel's autogroups (``/proc/sys/kernel/sched_autogroup_enabled``, on in most desktop and
    server kernels) CPU time is shared between sessions first and by nice only within one, and workers
    run in their own session: so the browsers' autogroup (this bench's session) is niced as well.
    """
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(level))
    count = 0
    for pid in descendants(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if b"chrom" in cmdline:
            try:
                if os.getpriority(os.PRIO_PROCESS, pid) != level:
                    os.setpriority(os.PRIO_PROCESS, pid, level)
                count += 1
            except OSError:
                pass
    return count


def main(argv: list[str] | None = None) -> int:
    made = common.parser(__doc__, "a few moves and sessions, 10 s training runs, a 60 s memory wait")
    made.add_argument(
        "--only", choices=PARTS, action="append", help="run this part (repeatable); default all"
    )
    args = made.parse_args(argv)
    parts = tuple(p for p in PARTS if p in (args.only or PARTS))
    plan = QUICK if args.quick else FULL
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.", file=sys.stderr)
        return 1
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="auglab-load-") as tmp:
        results = asyncio.run(run(plan, parts, Path(tmp)))
    results.total_s = time.perf_counter() - start
    text = report(results)
    # A partial run (--only) or a quick one must not replace the full figures in the README.
    complete = parts == PARTS and not args.quick
    if args.update_readme and not complete:
        print(text)
        print("\nNote: README.md not updated: only a full run (all parts, no --quick) is written there.")
        return 0
    common.publish(text, "load", args.update_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
