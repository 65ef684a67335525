"""core.generators.registry: the server frees closed sessions' runs and caps how many it holds (defect 9).

Before, the GAN and LSTM pages kept every session's model and data for the life of the server. The
registry is tested with fake runs and a fake clock: no Streamlit, no threads, no sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from core.generators.registry import RegistryFull, RunRegistry


@dataclass
class FakeRun:
    running: bool = False
    stops: list[bool] = field(default_factory=list)  # the `wait` of each stop() call

    def stop(self, wait: bool = True, timeout: float | None = 30.0) -> None:
        self.stops.append(wait)
        self.running = False


@dataclass
class FakeEntry:
    name: str
    run: FakeRun = field(default_factory=FakeRun)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def registry(
    max_runs: int = 3, ttl: float = 600.0, open_sessions: set | None = None, closed_ttl: float = 120.0
):
    clock = Clock()
    session_open = (lambda s: s in open_sessions) if open_sessions is not None else (lambda s: True)
    runs = RunRegistry(
        idle_ttl_s=ttl, max_runs=max_runs, clock=clock, session_open=session_open, closed_ttl_s=closed_ttl
    )
    return runs, clock


def test_a_session_sees_its_own_runs_only():
    runs, _ = registry()
    mine, theirs = FakeEntry("mine"), FakeEntry("theirs")
    runs.put("s1", "gan", mine)
    runs.put("s2", "gan", theirs)
    assert runs.get("s1", "gan") is mine and runs.get("s2", "gan") is theirs
    assert runs.get("s1", "lstm") is None and runs.get("s3", "gan") is None


@pytest.mark.parametrize(
    "running, visits, idle_s, freed",
    [
        (False, [], 599.0, False),  # idle, not yet past the time to live
        (False, [], 600.0, True),  # idle for the whole time to live: freed
        (True, [], 600.0, True),  # still training after the time to live (a closed tab): stopped, freed
        (True, [300.0], 600.0, False),  # a visit half-way restarts the clock
        (False, [599.0], 1100.0, False),  # visited late, then 501 s idle
    ],
)
def test_runs_not_visited_for_the_time_to_live_are_stopped_and_freed(running, visits, idle_s, freed):
    runs, clock = registry()
    entry = FakeEntry("a", FakeRun(running=running))
    runs.put("s1", "gan", entry)
    start = clock.now
    for at in visits:
        clock.now = start + at
        runs.touch("s1")
    clock.now = start + idle_s
    assert runs.sweep() == int(freed)
    assert len(runs) == (0 if freed else 1)
    assert entry.run.stops == ([False] if freed else [])  # stopped without waiting for its step
    if freed:
        notice = runs.notice("s1", "gan")
        assert "10 minutes without a visit" in notice and "checkpoint" in notice
        assert runs.notice("s1", "gan") is None  # said once


def test_a_closed_session_goes_after_the_shorter_time_to_live():
    open_sessions = {"open"}
    runs, clock = registry(open_sessions=open_sessions)
    runs.put("open", "gan", FakeEntry("a"))
    runs.put("closed", "gan", FakeEntry("b", FakeRun(running=True)))
    clock.now += 119.0
    assert runs.sweep() == 0
    clock.now += 1.0  # 120 s without a visit
    assert runs.sweep() == 1
    assert runs.get("open", "gan") is not None and runs.get("closed", "gan") is None


def test_get_sweeps_and_counts_as_a_visit():
    runs, clock = registry()
    runs.put("s1", "gan", FakeEntry("a"))
    runs.put("s2", "gan", FakeEntry("b"))
    clock.now += 400.0
    assert runs.get("s1", "gan") is not None  # a visit at 400 s
    clock.now += 300.0  # s1: 300 s since its visit; s2: 700 s
    assert runs.get("s1", "gan") is not None
    assert runs.get("s2", "gan") is None  # swept by the get
    assert len(runs) == 1


def test_the_cap_frees_the_longest_idle_runs_first():
    runs, clock = registry(max_runs=3)
    entries = {name: FakeEntry(name) for name in "abc"}
    for name, entry in entries.items():
        runs.put(name, "gan", entry)
        clock.now += 10.0
    runs.touch("a")  # a visited last: b is now the longest idle
    runs.put("d", "gan", FakeEntry("d"))
    assert len(runs) == 3
    assert runs.get("b", "gan") is None and entries["b"].run.stops == [False]
    assert all(runs.get(s, "gan") is not None for s in "acd")
    assert "room for other sessions" in runs.notice("b", "gan")


def test_the_cap_spares_training_runs_and_refuses_when_all_train():
    runs, clock = registry(max_runs=2)
    busy = FakeEntry("busy", FakeRun(running=True))
    runs.put("s1", "gan", busy)
    clock.now += 1.0
    idle = FakeEntry("idle")
    runs.put("s2", "gan", idle)
    clock.now += 1.0
    runs.put("s3", "gan", FakeEntry("new"))  # the idle one goes, although the busy one is older
    assert runs.get("s2", "gan") is None and runs.get("s1", "gan") is busy and busy.run.stops == []
    runs.get("s3", "gan").run.running = True
    with pytest.raises(RegistryFull, match="limit"):
        runs.put("s4", "gan", FakeEntry("refused"))
    assert len(runs) == 2 and runs.get("s4", "gan") is None


def test_replacing_a_run_stops_the_old_one_and_does_not_count_twice():
    runs, _ = registry(max_runs=1)
    old, new = FakeEntry("old", FakeRun(running=True)), FakeEntry("new")
    runs.put("s1", "gan", old)
    runs.put("s1", "gan", new)  # the cap of one is not hit: the old run makes way
    assert runs.get("s1", "gan") is new and old.run.stops == [False]
    runs.put("s1", "gan", new)  # the same entry again: nothing stopped
    assert new.run.stops == []


def test_remove_and_end_session():
    runs, _ = registry()
    gan, lstm, other = FakeEntry("g", FakeRun(running=True)), FakeEntry("l"), FakeEntry("o")
    runs.put("s1", "gan", gan)
    runs.put("s1", "lstm", lstm)
    runs.put("s2", "gan", other)
    runs.remove("s1", "lstm")
    assert runs.get("s1", "lstm") is None and lstm.run.stops == [False]
    runs.end_session("s1")
    assert runs.get("s1", "gan") is None and gan.run.stops == [False]
    assert runs.get("s2", "gan") is other and len(runs) == 1
    assert runs.notice("s1", "gan") is None  # the user ended it: nothing to explain


def test_notices_are_bounded():
    from core.generators import registry as module

    runs, clock = registry(max_runs=2000, ttl=1.0)
    for i in range(module.MAX_NOTICES + 5):
        runs.put(f"s{i}", "gan", FakeEntry(str(i)))
    clock.now += 1.0
    assert runs.sweep() == module.MAX_NOTICES + 5
    assert runs.notice("s0", "gan") is None  # the oldest notices were dropped
    assert runs.notice(f"s{module.MAX_NOTICES + 4}", "gan") is not None
