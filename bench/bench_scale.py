"""Sharded Parquet export of augmented images on one core, on this machine's cores and on Ray Data.

Run from the repository root::

    python bench/bench_scale.py [--quick] [--update-readme] [--sizes 5000 20000] [--rounds 2]

The same recipe each time: 50 photos (the bundled scikit-image / scikit-learn photos, 64x64 RGB, in 5
class folders of a zip on disk, which every worker reads from its path), many augmented variants each
(rotation, shifts, shear, zoom, flip, brightness), all in train, written with ``python -m core export
--format parquet`` (:func:`core.dataset.sharded.export_sharded`, default shard size) by

- ``local``: one process, as today (OpenCV's own threads left as they are);
- ``processes``: 2 worker processes (spawned: each loads the inputs and plans itself);
- ``ray``: Ray Data on a local Ray of 2 CPUs, started by the export; its start-up (``ray.init`` and
  one small map that readies the worker processes) and shut-down are timed and reported apart, the
  throughput counts from the moment Ray is up.

Each run is a fresh process; this script polls the peak resident memory (``VmHWM``) of that process
and of every process under it (spawned workers, Ray's workers) while it runs, so "per worker" is the
largest peak of any one worker process (the driver's for ``local``). Throughput is best of
``--rounds`` interleaved runs at the largest size; memory growth compares the first run at each size.
Every run's shards are checked to be byte-identical to the local run's (sha256 per shard).
``--update-readme`` writes the table between ``<!-- bench:scale:start -->`` and
``<!-- bench:scale:end -->`` in README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import common  # puts the repository root on sys.path for `core`

SIZE = 64  # image side, pixels
ORIGINALS = 50
CLASSES = 5
SEED = 2024
WORKERS = 2
FULL_SIZES = (5_000, 20_000)
QUICK_SIZES = (500, 2_000)
ENGINES = ("local", "processes", "ray")
TARGETS = {"processes": 1.7, "ray": 1.5}  # throughput / local's
TARGET_GROWTH_MB = 100.0  # per worker, smallest to largest size
POLL_S = 0.1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

IMAGE_AUG = {
    "rotation_range": 20,
    "width_shift_range": 0.1,
    "height_shift_range": 0.1,
    "shear_range": 8,
    "zoom_range": [0.9, 1.1],
    "horizontal_flip": True,
    "fill_mode": "reflect",
    "brightness_range": [0.8, 1.2],
}


def write_inputs(folder: Path) -> Path:
    """The 50 originals as PNGs in 5 class folders of a zip (as bench_export's photos, resized)."""
    import cv2
    import numpy as np
    from skimage import data
    from sklearn.datasets import load_sample_images

    photos = [getattr(data, name)() for name in ("astronaut", "chelsea", "coffee", "rocket")]
    photos += list(load_sample_images().images)
    path = folder / "photos.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(ORIGINALS):
            small = cv2.resize(photos[i % len(photos)][..., :3], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
            small = np.ascontiguousarray(np.roll(small, i, axis=1))  # 50 different originals
            _ok, png = cv2.imencode(".png", cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
            zf.writestr(f"class{i % CLASSES}/photo{i:02d}.png", png.tobytes())
    return path


def recipe_json(source: Path, total: int) -> str:
    from core.dataset.recipe import Recipe

    variants = max(0, round(total / ORIGINALS) - 1)
    recipe = Recipe(
        inputs=(str(source),),
        augmentation=IMAGE_AUG,
        seed=SEED,
        variants_per_original=variants,
        split=(1.0, 0.0, 0.0),
    )
    return recipe.to_json()


# ---------------------------------------------------------------------------------------------
# Child: one export in a fresh process


def child(engine: str, recipe_path: str, out: str) -> dict:
    from core.dataset.recipe import Recipe
    from core.dataset.sharded import export_sharded

    recipe = Recipe.from_json(Path(recipe_path).read_text())
    workers = None if engine == "local" else WORKERS
    summary = export_sharded(recipe, out, "parquet", engine, workers, notify=lambda line: None)
    index = json.loads((Path(out) / "auglab-index.json").read_text())
    return {
        "engine": engine,
        "items": summary.items,
        "shards": summary.shards,
        "seconds": summary.seconds,
        "startup_s": summary.startup_s,
        "mb": sum(e["size"] for e in index["shards"].values()) / 1e6,
        "sha256": {name: e["sha256"] for name, e in index["shards"].items()},
    }


# ---------------------------------------------------------------------------------------------
# Parent: run and watch the children


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = []
        for task in tasks:
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _role(pid: int, parent_cmd: str) -> str:
    """``worker`` (a process of the pool, a Ray worker) or ``other`` (the fork server, Ray's services)."""
    cmd = _cmdline(pid)
    if "multiprocessing.forkserver" in cmd:  # the server, or a worker forked from it
        return "worker" if "multiprocessing.forkserver" in parent_cmd else "other"
    if "spawn_main" in cmd or cmd.startswith("ray::") or "default_worker.py" in cmd:
        return "worker"
    return "other"


class Watcher(threading.Thread):
    """Polls the peak RSS (VmHWM, MB) of a process and of every process under it until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, tuple[str, float]] = {}
        self.cpu: dict[int, float] = {}  # CPU seconds of every process of the tree, last seen
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            todo, seen = [(self.pid, "")], set()
            while todo:
                pid, parent_cmd = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                cmd = _cmdline(pid)
                todo += [(child, cmd) for child in _children(pid)]
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), _cpu_s(pid))
                hwm = _status_kb(pid, "VmHWM:") / 1024
                if hwm:
                    known = self.peaks.get(pid)
                    role = "driver" if pid == self.pid else known[0] if known else _role(pid, parent_cmd)
                    self.peaks[pid] = (role, max(hwm, known[1] if known else 0.0))
            self.done.wait(POLL_S)

    def peak(self, role: str) -> float:
        return max((mb for r, mb in self.peaks.values() if r == role), default=0.0)


def run_child(engine: str, recipe_path: Path, scratch: Path) -> dict:
    out = scratch / f"out-{engine}"
    shutil.rmtree(out, ignore_errors=True)
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", engine, str(recipe_path), str(out)],
        cwd=common.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watcher = Watcher(process.pid)
    start = time.perf_counter()
    watcher.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    watcher.done.set()
    watcher.join()
    shutil.rmtree(out, ignore_errors=True)
    if process.returncode != 0:
        raise SystemExit(f"child {engine} failed:\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["driver_mb"] = watcher.peak("driver")
    result["worker_mb"] = watcher.peak("worker") if engine != "local" else result["driver_mb"]
    result["workers_seen"] = sum(1 for r, _ in watcher.peaks.values() if r == "worker")
    result["cpu_s"] = sum(watcher.cpu.values())  # the whole tree's, Ray's services included
    result["wall_s"] = wall
    return result


def rate(r: dict) -> float:
    """Items per second, Ray's start-up left out."""
    return r["items"] / max(1e-9, r["seconds"] - r["startup_s"])


def machine_info() -> str:
    import cv2
    import pyarrow
    import ray

    settings = {"load average (1/5/15 min)": common.load_average()}
    versions = {
        "opencv": f"{cv2.__version__} ({cv2.getNumThreads()} threads in the local run)",
        "pyarrow": pyarrow.__version__,
        "ray": ray.__version__,
    }
    return common.machine_line(common.machine_info(settings, versions))


def render(
    first: dict[tuple[str, int], dict], best: dict[str, dict], sizes: list[int], rounds: int, quick: bool
) -> str:
    large, small = sizes[-1], sizes[0]
    local = rate(best["local"])
    quick_note = " (--quick: small sizes, figures not meaningful)" if quick else ""
    lines = [
        f"Sharded Parquet export of {large:,} augmented 64x64 RGB images (50 photos, 5 classes, all in "
        "train; rotation, shifts, shear, zoom, flip, brightness; PNG in Parquet, default shard size), one "
        f"fresh process per run{quick_note}. Throughput: best of {rounds} interleaved runs, everything from "
        "reading the recipe to the last shard's rename (Ray: from the moment Ray is up). Peak RSS: VmHWM of "
        "the driver and of each worker process, polled every 0.1 s.",
        "",
        "| engine | items/s | vs local | wall s | Ray start-up s | cores busy | shards | Parquet MB "
        f"| peak RSS per worker, MB ({small:,} -> {large:,} items) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine in ENGINES:
        b = best[engine]
        lo, hi = first[(engine, small)], first[(engine, large)]
        name = engine if engine == "local" else f"{engine} ({WORKERS})"
        startup = f"{b['startup_s']:.1f}" if engine == "ray" else ""
        who = "driver" if engine == "local" else f"largest of {hi['workers_seen']} worker processes"
        growth = hi["worker_mb"] - lo["worker_mb"]
        memory = f"{lo['worker_mb']:.0f} -> {hi['worker_mb']:.0f} ({growth:+.1f}; {who})"
        lines.append(
            f"| {name} | {rate(b):,.0f} | {rate(b) / local:.2f}x | {b['seconds']:.1f} | {startup} "
            f"| {b['cpu_s'] / b['wall_s']:.2f} | {b['shards']} | {b['mb']:.1f} | {memory} |"
        )
    lines.append("")
    for engine, target in TARGETS.items():
        ratio = rate(best[engine]) / local
        what = f"{WORKERS} CPUs (Ray's start-up left out)" if engine == "ray" else f"{WORKERS} workers"
        lines.append(
            f"- {engine} with {what} / local: {ratio:.2f}x (target >= {target}x): "
            f"**{common.verdict(ratio >= target)}**"
        )
    growth = max(first[(e, large)]["worker_mb"] - first[(e, small)]["worker_mb"] for e in ENGINES)
    lines.append(
        f"- Peak RSS growth per worker from {small:,} to {large:,} items, worst engine: {growth:+.1f} MB "
        f"(target < {TARGET_GROWTH_MB:g} MB): **{common.verdict(growth < TARGET_GROWTH_MB)}**"
    )
    ray_with = best["ray"]["items"] / best["ray"]["seconds"]
    lines.append(
        f"- Ray with its start-up counted: {ray_with:,.0f} items/s ({ray_with / local:.2f}x local); "
        "start-up and shut-down (`ray.init` with 2 CPUs and no dashboard, one small Ray Data map readying "
        f"the worker processes, `ray.shutdown`) {best['ray']['startup_s']:.1f} s."
    )
    lines.append(
        "- Cores busy: CPU seconds of the run's whole process tree (driver, workers, Ray's services) over "
        "its wall time, start-up included; on a machine that others load, it shows how much of the 2 cores "
        "each run got, and so how far the ratios above measure the engines rather than the load."
    )
    lines.append("- Every run's shards had the local run's sha256, shard by shard.")
    lines += ["", machine_info()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "small sizes for a smoke check (about a minute)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "RECIPE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs=2, type=int, default=None, help="smallest and largest item counts")
    parser.add_argument("--rounds", type=int, default=2, help="runs per engine at the largest size")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    sizes = list(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    rounds = 1 if args.quick else max(1, args.rounds)
    first: dict[tuple[str, int], dict] = {}
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench_scale.") as folder:
        scratch = Path(folder)
        source = write_inputs(scratch)
        for total in sizes:
            recipe_path = scratch / f"recipe-{total}.json"
            recipe_path.write_text(recipe_json(source, total))
            for round_ in range(rounds if total == sizes[-1] else 1):
                for engine in ENGINES:
                    print(f"{engine} x {total:,} (round {round_ + 1}) ...", file=sys.stderr)
                    result = run_child(engine, recipe_path, scratch)
                    print(f"  {rate(result):,.0f} items/s, {result['seconds']:.1f} s", file=sys.stderr)
                    first.setdefault((engine, total), result)
                    reference = first[("local", total)]["sha256"]
                    if result["sha256"] != reference:
                        raise SystemExit(f"{engine} wrote other bytes than local at {total:,} items")
                    if total == sizes[-1] and (engine not in best or rate(result) > rate(best[engine])):
                        best[engine] = result
    report = render(first, best, sizes, rounds, args.quick)
    common.publish(report, "scale", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
