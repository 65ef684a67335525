"""The app under load, server side: ``streamlit run app.py`` with its own AUGLAB_HOME, its memory, clean-up.

:class:`AppServer` starts the app as a user does (``python -m streamlit run app.py --server.port P
--server.headless true``, bound to localhost) with a fresh ``AUGLAB_HOME``, waits for its health
check, and on the way out ends the server *and* the worker processes its supervisor started (workers
run in their own process session so that they outlive a server restart; left alone they would train on
after the bench). :class:`MemorySampler` records the server's resident memory and its workers' once a
second in a thread. Nothing here imports ``tests/`` (the browser tests' ``running_app`` does the same
start-up; the few lines are repeated here on purpose).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import common

HEALTH_TIMEOUT_S = 60.0
_ERROR_LINE = re.compile(r"Traceback|Error|Exception", re.IGNORECASE)


def free_port() -> int:
    """A TCP port on localhost that nothing listens on (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of process ``pid`` in MB (VmRSS), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (index 0 is the state), or [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far; 0 when it is gone."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if len(fields) > 12 else 0.0


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for pid in _pids():
        fields = _stat(pid)
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class CpuMeter:
    """CPU time of the server, its workers and the browser side (Chromium and Playwright's driver, which this
    process started, and this process, which drives them) while it runs, as shares of the usable cores.

    A thread reads every process's CPU seconds twice a second and keeps the last reading of each, so a
    process that ends in between (a worker that finished its job, a closed page) still counts up to its
    last reading; one that starts in between counts from zero. Use as a context manager; ``shares``
    is set on the way out.
    """

    EVERY_S = 0.5

    def __init__(self, server: AppServer) -> None:
        self.server = server
        self.shares: dict[str, float] = {}
        self._first: dict[int, float] = {}  # pid -> CPU seconds when first seen (0 for new processes)
        self._last: dict[int, tuple[str, float]] = {}  # pid -> (group, CPU seconds at the last reading)
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-load-cpu", daemon=True)

    def _groups(self) -> dict[str, list[int]]:
        browser = [
            pid
            for pid in descendants(os.getpid())
            if "chrom" in " ".join(_cmdline(pid)[:1]).lower()
            or any("playwright" in arg for arg in _cmdline(pid)[:3])
        ]
        return {
            "server": [self.server.pid],
            "workers": self.server.workers(),
            "browser": [os.getpid(), *browser],
        }

    def _read(self, first: bool) -> None:
        for group, pids in self._groups().items():
            for pid in pids:
                seconds = cpu_s(pid)
                if seconds <= 0.0:  # gone between listing and reading
                    continue
                self._first.setdefault(pid, seconds if first else 0.0)
                self._last[pid] = (group, seconds)

    def _loop(self) -> None:
        while not self._halt.wait(self.EVERY_S):
            self._read(first=False)

    def __enter__(self) -> CpuMeter:
        self._read(first=True)
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        self._thread.join(5)
        self._read(first=False)
        wall = (time.monotonic() - self._t0) * (common.usable_cores() or 1)
        used = {"server": 0.0, "workers": 0.0, "browser": 0.0}
        for pid, (group, seconds) in self._last.items():
            used[group] += seconds - self._first[pid]
        self.shares = {group: seconds / wall for group, seconds in used.items()}


class AppServer:
    """One ``streamlit run app.py`` on a free localhost port with its own workspace home.

    Use as a context manager; ``url``, ``pid`` and ``home`` are set once it answers its health check.
    """

    def __init__(self, home: Path, log_path: Path) -> None:
        self.home = home.resolve()
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.started_s = 0.0  # seconds from launch to a healthy server

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> AppServer:
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        start = time.perf_counter()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=common.ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AUGLAB_HOME": str(self.home)},
        )
        log.close()  # the child has its own copy of the descriptor
        try:
            self._wait_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.started_s = time.perf_counter() - start
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start; see {self.log_path}") from None
                time.sleep(0.3)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.kill_workers()

    def workers(self) -> list[int]:
        """Process ids of the worker processes on this server's home (``python -m core worker --home H``),
        whether still the server's children or orphaned by its end."""
        wanted = ["-m", "core", "worker", "--home", str(self.home)]
        found = []
        for pid in _pids():
            args = _cmdline(pid)
            if any(args[i : i + len(wanted)] == wanted for i in range(len(args))):
                found.append(pid)
        return found

    def kill_workers(self) -> int:
        """End this home's workers (SIGTERM: they checkpoint and stop; SIGKILL after 10 s); returns how many
        were still running."""
        pids = self.workers()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(rss_mb(pid) is not None for pid in pids):
            time.sleep(0.2)
        for pid in pids:
            if rss_mb(pid) is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        return len(pids)

    def log_problems(self, limit: int = 20) -> list[str]:
        """The server log's lines that mention a traceback, an error or an exception (at most ``limit``)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [line.strip() for line in lines if _ERROR_LINE.search(line)][:limit]


@dataclass(frozen=True)
class MemorySample:
    t: float  # seconds since the sampler started (time.monotonic)
    server_mb: float | None  # the streamlit process; None once it has ended
    workers_mb: float  # all worker processes of the home together
    workers: int  # how many there were


class MemorySampler:
    """Samples a server's and its workers' resident memory every ``every_s`` seconds in a daemon thread."""

    def __init__(self, server: AppServer, every_s: float = 1.0) -> None:
        self.server = server
        self.every_s = every_s
        self.samples: list[MemorySample] = []
        self.t0 = time.monotonic()
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-load-memory", daemon=True)

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(5)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def sample(self) -> MemorySample:
        workers = [(pid, rss_mb(pid)) for pid in self.server.workers()]
        alive = [mb for _, mb in workers if mb is not None]
        return MemorySample(self.now(), rss_mb(self.server.pid), sum(alive), len(alive))

    def _loop(self) -> None:
        while not self._halt.is_set():
            self.samples.append(self.sample())
            self._halt.wait(self.every_s)

    def between(self, start: float, end: float) -> list[MemorySample]:
        return [s for s in self.samples if start <= s.t <= end]
