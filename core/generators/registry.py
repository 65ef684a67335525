"""Which training runs a server holds for its browser sessions, and when it lets them go.

A generator page keeps its model in a run (a trainer and its worker thread) that must outlive reruns
and page switches, so runs live in one registry per server process, keyed by ``(session, kind)``.
Nothing tells a server reliably that a browser tab was closed, so without limits every closed
session's model and data would stay in memory for good. :class:`RunRegistry` bounds that:

1. **Time to live.** A run not looked at by its session (:meth:`RunRegistry.get` or
   :meth:`RunRegistry.touch`) for ``idle_ttl_s`` seconds is stopped if it is still training and freed;
   ``closed_ttl_s`` when the server says the session is closed (``session_open``). An open page touches
   its runs every second while training and every minute otherwise, so only the runs of closed (or
   long-forgotten) tabs go.
2. **A cap.** At most ``max_runs`` runs are held. Adding one past the cap frees the runs that have been
   idle (not training) longest first; when every other run is training, the new one is refused with
   a message rather than stopping someone else's training.
3. **A word to the owner.** A session whose run was freed is told why, once, the next time it asks.

The class is plain Python with an injectable clock, so it is tested without Streamlit and without
sleeping; ``ui/training.py`` keeps one instance per server.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from core.errors import AugLabError

IDLE_TTL_S = 600.0  # seconds without a visit after which a session's run is stopped and freed
CLOSED_TTL_S = 120.0  # the same for a session its server says is closed (Streamlit's reconnection window)
MAX_RUNS = 12  # runs held per server; a digits GAN needs a few MB, a 64 px DCGAN a few hundred
MAX_NOTICES = 1000  # eviction notices kept for sessions that have not come back yet (oldest dropped)


class RegistryFull(AugLabError):
    """The server holds as many runs as it may, all of them training."""


class _Run(Protocol):
    @property
    def running(self) -> bool: ...

    def stop(self, wait: bool = True, timeout: float | None = 30.0) -> None: ...


class _Entry(Protocol):
    run: _Run


E = TypeVar("E", bound=_Entry)
Key = tuple[Hashable, str]  # (session id, kind)


@dataclass
class _Held(Generic[E]):
    entry: E
    seen: float  # clock time of the owner's last visit


class RunRegistry(Generic[E]):
    """Runs by ``(session, kind)``, freed after an idle time to live and capped in number.

    Entries are anything with a ``run`` that has ``running`` and ``stop(wait=...)`` (a
    :class:`core.generators.engine.TrainingRun`). Thread-safe: Streamlit runs each session's script in
    its own thread.
    """

    def __init__(
        self,
        idle_ttl_s: float = IDLE_TTL_S,
        max_runs: int = MAX_RUNS,
        clock: Callable[[], float] = time.monotonic,
        session_open: Callable[[Hashable], bool] = lambda session: True,
        closed_ttl_s: float = CLOSED_TTL_S,
    ) -> None:
        """
        Args:
            idle_ttl_s: Seconds without a visit after which a run is stopped and freed.
            max_runs: Runs held at most (>= 1).
            clock: Seconds, monotonic; tests pass a fake one.
            session_open: Whether the server still has the session open (True when it cannot tell).
            closed_ttl_s: The time to live of a closed session's runs (at most ``idle_ttl_s``).
        """
        if max_runs < 1 or idle_ttl_s <= 0 or closed_ttl_s <= 0:
            raise ValueError("A registry needs max_runs >= 1 and times to live above 0.")
        self.idle_ttl_s = idle_ttl_s
        self.closed_ttl_s = min(closed_ttl_s, idle_ttl_s)
        self._session_open = session_open
        self.max_runs = max_runs
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[Key, _Held[E]] = {}
        self._notices: OrderedDict[Key, str] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)

    def get(self, session: Hashable, kind: str) -> E | None:
        """The session's entry of ``kind`` (counted as a visit), or None; sweeps expired runs first."""
        key = (session, kind)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            held = self._held.get(key)
            if held is None:
                return None
            held.seen = now
            return held.entry

    def touch(self, session: Hashable, kind: str | None = None) -> None:
        """Count a visit of the session to its run of ``kind`` (all its runs when None)."""
        with self._lock:
            now = self._clock()
            for (owner, k), held in self._held.items():
                if owner == session and (kind is None or k == kind):
                    held.seen = now

    def put(self, session: Hashable, kind: str, entry: E) -> None:
        """Hold ``entry`` as the session's run of ``kind``, stopping and replacing the one before.

        Raises:
            RegistryFull: The cap is reached and every other run is training.
        """
        key = (session, kind)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            old = self._held.pop(key, None)
            if old is not None and old.entry is not entry:
                old.entry.run.stop(wait=False)
            if len(self._held) >= self.max_runs:
                idle = sorted((h.seen, k) for k, h in self._held.items() if not h.entry.run.running)
                for _, victim in idle[: len(self._held) - self.max_runs + 1]:
                    self._evict(
                        victim,
                        "Your model was freed to make room for other sessions' models, after it had been "
                        "idle longer than the others.",
                    )
            if len(self._held) >= self.max_runs:
                if old is not None:
                    self._held[key] = old  # nothing changed for the caller
                raise RegistryFull(
                    f"The server is training {len(self._held)} models already, its limit; try again in "
                    "a few minutes."
                )
            self._notices.pop(key, None)
            self._held[key] = _Held(entry, now)

    def remove(self, session: Hashable, kind: str) -> None:
        """Stop (without waiting) and forget the session's run of ``kind``, if any."""
        with self._lock:
            held = self._held.pop((session, kind), None)
        if held is not None:
            held.entry.run.stop(wait=False)

    def end_session(self, session: Hashable) -> None:
        """Stop and forget every run of a session that has ended."""
        with self._lock:
            keys = [k for k in self._held if k[0] == session]
            helds = [self._held.pop(k) for k in keys]
            for k in keys:
                self._notices.pop(k, None)
        for held in helds:
            held.entry.run.stop(wait=False)

    def notice(self, session: Hashable, kind: str) -> str | None:
        """Why the session's run of ``kind`` was freed, once (None when it was not)."""
        with self._lock:
            return self._notices.pop((session, kind), None)

    def sweep(self) -> int:
        """Free the runs whose time to live has passed; returns how many."""
        with self._lock:
            return self._sweep(self._clock())

    # -- under the lock -------------------------------------------------------------------------

    def _sweep(self, now: float) -> int:
        expired = []
        for key, held in self._held.items():
            idle = now - held.seen
            if idle >= self.idle_ttl_s or (idle >= self.closed_ttl_s and not self._session_open(key[0])):
                expired.append(key)
        for key in expired:
            self._evict(
                key,
                f"Your model was freed after {(now - self._held[key].seen) / 60:.0f} minutes without a visit "
                "to this page (a closed tab does not keep a model on the server).",
            )
        return len(expired)

    def _evict(self, key: Key, why: str) -> None:
        held = self._held.pop(key)
        held.entry.run.stop(wait=False)  # a training run ends after its current step
        self._notices[key] = f"{why} Start again, or load the checkpoint you downloaded."
        self._notices.move_to_end(key)
        while len(self._notices) > MAX_NOTICES:
            self._notices.popitem(last=False)
