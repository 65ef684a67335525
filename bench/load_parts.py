"""The four measurements of ``bench/bench_load.py``, each a coroutine on a running app and one Chromium.

1. :func:`latency`: N sessions (new browser contexts, so N workspaces) on the Images page move the
   rotation slider at the same time; each move's time from key press to the new preview shown.
2. :func:`train_in_app` / :func:`train_cli`: the GAN page's default training through the page, watched
   by its browser or left alone after the click, and ``python -m core train-gan`` on the same settings.
3. :func:`contention`: five slider sessions, first with no training, then around one job that trains.
4. :func:`memory_sessions`: sessions that each train a small GAN through the page, then close.

Training figures come from the job table (``core.workspace.jobs`` on the server's AUGLAB_HOME): a
job's ``progress`` holds its steps, seconds of training and steps/s as its worker last reported them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import bench_jobs
from load_browser import GanSession, Problems, SliderSession
from load_server import AppServer, CpuMeter, MemorySample, MemorySampler

from core.seeding import python_random
from core.workspace import jobs
from core.workspace.store import Store

SEED = 0  # the think times between slider moves come from (SEED, "load", phase, session)
KIND = "train-gan"
OPEN_AT_ONCE = 3  # pages loading at the same time while sessions are opened (a class arriving)
JOB_TIMEOUT_S = 900.0
BIG_STEPS = 1_000_000  # the contention job's step limit: the bench stops it itself


def note(text: str) -> None:
    """Progress on stderr, so a long run shows where it is (the report goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- sliders ------------------------------------------------------------------------------------------


async def open_sliders(browser, url: str, count: int, problems: Problems, tag: str) -> list[SliderSession]:
    """``count`` Images-page sessions, each with one untimed move done (the first rerun warms caches)."""
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one(i: int) -> SliderSession:
        async with gate:
            session = await SliderSession.open(browser, url, f"{tag} session {i + 1}", problems)
        await session.move()
        return session

    opened = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    failed = [x for x in opened if isinstance(x, BaseException)]
    if failed:  # close the sessions that did open, then say why the others did not
        for session in opened:
            if isinstance(session, SliderSession):
                await session.close()
        raise failed[0]
    return opened


@dataclass(frozen=True)
class Slides:
    """Slider moves of sessions at once: each move's latency in seconds (None: the preview never updated
    within the timeout), and the CPU the server, its workers and the browser used meanwhile (a fraction of
    all usable cores each)."""

    times: list[float | None]
    cpu: dict[str, float]


async def slide(
    server: AppServer, sessions: Sequence[SliderSession], moves: int, think_s: tuple[float, float], phase: str
) -> Slides:
    """Every session makes ``moves`` moves at once with the others, a random think time before each."""

    async def one(i: int, session: SliderSession) -> list[float | None]:
        rng = python_random(SEED, "load", phase, i)
        times = []
        for _ in range(moves):
            await asyncio.sleep(rng.uniform(*think_s))
            times.append(await session.move())
        return times

    with CpuMeter(server) as meter:
        per_session = await asyncio.gather(*(one(i, s) for i, s in enumerate(sessions)))
    return Slides([t for times in per_session for t in times], meter.shares)


async def close_all(sessions: Sequence, problems: Problems) -> None:
    for session in sessions:
        try:
            await problems.check_exceptions(session.page, session.name)
        finally:
            await session.close()


async def latency(
    browser,
    server: AppServer,
    plan: Sequence[tuple[int, int]],
    think_s: tuple[float, float],
    problems: Problems,
) -> dict[int, Slides]:
    """Slider latencies for each (sessions, moves per session) of ``plan``, fresh sessions each time."""
    found: dict[int, Slides] = {}
    for count, moves in plan:
        note(f"latency: opening {count} Images session(s)")
        sessions = await open_sliders(browser, server.url, count, problems, f"latency {count}")
        try:
            note(f"latency: {count} session(s) x {moves} moves")
            found[count] = await slide(server, sessions, moves, think_s, f"latency-{count}")
        finally:
            await close_all(sessions, problems)
    return found


# -- training -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainRun:
    """One training run's figures."""

    steps: int
    rate: float  # steps per second of training
    wall_s: float  # click (or command) to the job's end
    model: dict  # the GAN settings it trained with
    cpu: dict[str, float] | None = None  # server / workers / browser from the click to the end (CpuMeter)


def _latest_job(store: Store, ws: str) -> jobs.Job | None:
    found = jobs.of_workspace(store, ws, KIND)
    return found[0] if found else None


async def wait_job(store: Store, ws: str, done, timeout_s: float = JOB_TIMEOUT_S) -> jobs.Job:
    """Poll ``ws``'s latest GAN job until ``done(job)``; raises TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = _latest_job(store, ws)
        if job is not None and done(job):
            return job
        if time.monotonic() > deadline:
            state = "no job" if job is None else f"job {job.id} {job.status}"
            raise TimeoutError(f"workspace {ws[:8]}: still {state} after {timeout_s:.0f} s")
        await asyncio.sleep(0.25)


async def train_in_app(
    browser, server: AppServer, store: Store, seconds: int, watch: bool, problems: Problems
) -> TrainRun:
    """The GAN page's default training with a ``seconds`` budget, started by a click; ``watch``: the page
    stays open until the run ends, else it closes right after the click and the job runs on alone."""
    name = "training, watched" if watch else "training, no browser"
    gan = await GanSession.open(browser, server.url, name, problems)
    try:
        await gan.set_seconds(seconds)
    except BaseException:
        await gan.close()
        raise
    with CpuMeter(server) as meter:  # from the click to the job's end
        start = time.perf_counter()
        try:
            await gan.start()
            if watch:
                await gan.wait_ended(JOB_TIMEOUT_S)
                await problems.check_exceptions(gan.page, name)
        finally:
            await gan.close()
        job = await wait_job(store, gan.ws, lambda j: not j.active)
        wall = time.perf_counter() - start
    if job.status != "finished":
        raise RuntimeError(f"{name}: the job ended {job.status}: {job.message}")
    steps, rate = int(job.progress["steps"]), float(job.progress["steps_per_s"])
    return TrainRun(steps, rate, wall, job.config["model"], meter.shares)


async def train_cli(seconds: int, folder: Path) -> TrainRun:
    """``python -m core train-gan --data digits --seconds S --seed 0`` (``bench_jobs.cli_run``), run off the
    event loop."""
    start = time.perf_counter()
    steps, model = await asyncio.to_thread(bench_jobs.cli_run, float(seconds), folder / "cli.pt")
    return TrainRun(steps, steps / seconds, time.perf_counter() - start, model)


def differences(a: dict, b: dict) -> list[str]:
    """Keys whose values differ between two settings dicts (compared as JSON: tuples equal lists)."""
    a, b = json.loads(json.dumps(a)), json.loads(json.dumps(b))
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


# -- contention ---------------------------------------------------------------------------------------


@dataclass
class Contention:
    quiet: Slides  # no training
    busy: Slides  # while the job trains
    solo_rate: float  # steps/s of the job while the sessions sat idle
    busy_rate: float  # steps/s of the job while the sessions moved sliders
    solo_window_s: float  # seconds of training each rate is measured over
    busy_window_s: float
    ran_throughout: bool  # the job was still training when the sliders stopped


def _point(job: jobs.Job) -> tuple[int, float]:
    return int(job.progress.get("steps", 0)), float(job.progress.get("elapsed_s", 0.0))


def _rate(a: tuple[int, float], b: tuple[int, float]) -> float:
    return (b[0] - a[0]) / (b[1] - a[1]) if b[1] > a[1] else float("nan")


async def contention(
    browser,
    server: AppServer,
    store: Store,
    sessions_count: int,
    moves: int,
    think_s: tuple[float, float],
    solo_s: float,
    problems: Problems,
) -> Contention:
    """Sliders without training; then one GAN job (submitted through the page, its page closed) trains
    alone for ``solo_s`` seconds, then while the same sessions move their sliders again."""
    note(f"contention: opening {sessions_count} Images sessions")
    sessions = await open_sliders(browser, server.url, sessions_count, problems, "contention")
    try:
        note(f"contention: {sessions_count} sessions x {moves} moves, no training")
        quiet = await slide(server, sessions, moves, think_s, "contention-quiet")
        gan = await GanSession.open(browser, server.url, "contention, GAN page", problems)
        try:
            await gan.set_steps(BIG_STEPS)
            await gan.start()
        finally:
            await gan.close()
        job = await wait_job(
            store, gan.ws, lambda j: j.status == "running" and j.progress.get("steps", 0) > 0
        )
        await asyncio.sleep(2.0)  # past the first steps (allocations, the first report)
        a = _point(jobs.get(store, job.id))
        note(f"contention: the job trains alone for {solo_s:g} s")
        await asyncio.sleep(solo_s)
        b = _point(jobs.get(store, job.id))
        note(f"contention: {sessions_count} sessions x {moves} moves while it trains")
        busy = await slide(server, sessions, moves, think_s, "contention-busy")
        now = jobs.get(store, job.id)
        c = _point(now)
        ran = now.status == "running"
        jobs.request_stop(store, job.id, gan.ws)
        await wait_job(store, gan.ws, lambda j: not j.active, timeout_s=60)
    finally:
        await close_all(sessions, problems)
    return Contention(quiet, busy, _rate(a, b), _rate(b, c), b[1] - a[1], c[1] - b[1], ran)


# -- memory -------------------------------------------------------------------------------------------


@dataclass
class Memory:
    """Resident memory of the server (MB) around sessions that each train a small GAN, then close."""

    cold: MemorySample  # the server just started, no session yet
    warm: MemorySample  # after one warm-up session (imports, the built-in data, one model loaded)
    start_t: float  # sampler time the measured sessions began
    closed_t: float  # sampler time the last one closed
    closed: list[float] = field(default_factory=list)  # sampler time each session closed, in order
    outcomes: list[str] = field(default_factory=list)  # each session's last status line (or what failed)


async def gan_session(browser, url: str, seconds: int, name: str, problems: Problems) -> str:
    """One user: open the GAN page, set a ``seconds`` budget, start, wait for the end, close."""
    try:
        gan = await GanSession.open(browser, url, name, problems)
    except Exception as exc:  # reported as the session's outcome
        problems.add(name, f"could not open the GAN page: {exc}")
        return "page did not load"
    try:
        await gan.set_seconds(seconds)
        await gan.start()
        line = await gan.wait_ended(JOB_TIMEOUT_S)
        await problems.check_exceptions(gan.page, name)
        return line.split(" · ")[0]
    except Exception as exc:
        problems.add(name, f"{type(exc).__name__}: {exc}")
        return "did not end"
    finally:
        await gan.close()


async def memory_sessions(
    browser,
    server: AppServer,
    sampler: MemorySampler,
    count: int,
    parallel: int,
    seconds: int,
    problems: Problems,
) -> Memory:
    """A warm-up session, then ``count`` sessions, ``parallel`` at a time, each training ``seconds`` s."""
    await asyncio.sleep(2.0)
    cold = sampler.sample()
    note("memory: warm-up session")
    await gan_session(browser, server.url, seconds, "memory warm-up", problems)
    await asyncio.sleep(5.0)
    warm = sampler.sample()
    start = sampler.now()
    gate = asyncio.Semaphore(parallel)
    closed: list[float] = []

    async def one(i: int) -> str:
        async with gate:
            outcome = await gan_session(browser, server.url, seconds, f"memory session {i + 1}", problems)
        closed.append(sampler.now())
        if len(closed) % 5 == 0 or len(closed) == count:
            note(f"memory: {len(closed)} of {count} sessions done")
        return outcome

    note(f"memory: {count} sessions, {parallel} at a time, {seconds} s of training each")
    outcomes = list(await asyncio.gather(*(one(i) for i in range(count))))
    return Memory(cold, warm, start, sampler.now(), closed, outcomes)
