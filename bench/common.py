"""What the bench scripts share: the repository root on ``sys.path``, the machine line, the README.

Each script runs as ``python bench/bench_X.py`` from the repository root, so ``bench/`` is first on
``sys.path`` and ``import common`` finds this module; importing it puts the repository root there
too, so that ``import core`` works afterwards (``common`` sorts before ``core``, so isort keeps it so).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `import core` works when run as `python bench/...`
    sys.path.insert(0, str(ROOT))

README = ROOT / "README.md"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (``platform.processor()`` where that is missing)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def usable_cores() -> int | None:
    """Cores this process may run on (its affinity mask), or all logical cores where that is unknown."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages as ``"a / b / c"``, or ``"n/a"``."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def machine_info(
    settings: dict[str, str] | None = None, versions: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Label/value pairs: CPU, cores, ``settings`` (threads, load), python, then ``versions`` (library
    versions, and anything else that should end the line)."""
    return [
        ("CPU", cpu_model()),
        ("cores", f"{os.cpu_count()} logical, {usable_cores()} usable by this process"),
        *(settings or {}).items(),
        ("python", platform.python_version()),
        *(versions or {}).items(),
    ]


def machine_line(pairs: list[tuple[str, str]]) -> str:
    """The report's last line: ``Machine: label value; label value; ...``."""
    return "Machine: " + "; ".join(f"{k} {v}" for k, v in pairs)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def markers(name: str) -> tuple[str, str]:
    """The README markers of bench ``name``."""
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def update_readme(report: str, name: str, path: Path = README) -> str:
    """Replace the text between bench ``name``'s markers in ``path``; return a sentence saying what
    happened. The file is never created, and left alone when the markers are missing."""
    if not path.is_file():
        return f"Note: {path.name} not found; not updated (this bench never creates it)."
    start_marker, end_marker = markers(name)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < 0 or end < start:
        return f"Note: {path.name} lacks the markers {start_marker} ... {end_marker}; not updated."
    head = text[: start + len(start_marker)]
    path.write_text(f"{head}\n{report}\n{text[end:]}", encoding="utf-8")
    return f"Updated {path.name} between the bench markers."


def parser(doc: str, quick_help: str, readme_help: str = "write the table into README.md"):
    """The scripts' argument parser: the docstring's first paragraph, ``--quick``, ``--update-readme``."""
    made = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    made.add_argument("--quick", action="store_true", help=quick_help)
    made.add_argument("--update-readme", action="store_true", help=readme_help)
    return made


def publish(report: str, name: str, update: bool) -> None:
    """Print the report; with ``update``, write it between bench ``name``'s README markers and say so."""
    print(report)
    if update:
        print()
        print(update_readme(report, name))
