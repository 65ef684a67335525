"""Throughput and memory of AugLab's dataset export, against augmenting and encoding alone.

Run from the repository root::

    python bench/bench_export.py [--quick] [--update-readme]

Four cases, each in a fresh subprocess so that memory figures do not carry over:

- images: 64x64 RGB photos (the bundled scikit-image / scikit-learn photos, resized with INTER_AREA),
  50 originals in 5 classes, each with many augmented variants (rotation, shift, shear, zoom, flip,
  brightness), all in train, so 1 original -> ~99 (5,000) or ~399 (20,000) variants;
- text: 50 sentences of CPython's documentation, 5 classes, variants by random swap, random deletion
  and punctuation insertion (no WordNet needed), the same counts.

In each subprocess: a small warm-up export; the high-water mark of resident memory (``VmHWM`` from
/proc/self/status); the timed export (``core.dataset.writer.export_images`` / ``export_text`` to a zip in a
temporary folder, fsync included); ``VmHWM`` again; then the baseline, the same items augmented and
encoded with nothing written (``augment`` + ``encode_png``, or ``augment_text`` + the CSV row). Export
and baseline are each timed twice, interleaved, best reported. ``--update-readme`` writes the table
between ``<!-- bench:export:start -->`` and ``<!-- bench:export:end -->`` in README.md (if present).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # puts the repository root on sys.path for `core`

SIZE = 64  # image side, pixels
ORIGINALS = 50  # originals per case; the rest of the items are their variants
CLASSES = 5
SEED = 2024
FULL_SIZES = (5_000, 20_000)
QUICK_SIZES = (500, 2_000)
WARMUP = 200  # items in the untimed warm-up export
TARGET_GROWTH_MB = 300.0  # images: peak RSS growth from the small to the large export
TARGET_RATIO = 0.80  # export throughput / (augment + encode) throughput

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
TEXT_AUG = {"operations": ["RS", "RD", "PI"]}


def vm_hwm_mb() -> float:
    """Peak resident memory of this process so far, in MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# Child: one case in a fresh process


def load_photos(size: int):
    """The bundled photos, RGB uint8, resized to ``size`` x ``size`` (as bench_image_aug, without
    importing albumentations into the measured process)."""
    import cv2
    import numpy as np
    from skimage import data
    from sklearn.datasets import load_sample_images

    photos = [getattr(data, name)() for name in ("astronaut", "chelsea", "coffee", "rocket")]
    photos += list(load_sample_images().images)
    return [
        np.ascontiguousarray(cv2.resize(p[..., :3], (size, size), interpolation=cv2.INTER_AREA))
        for p in photos
    ]


def image_case(total: int):
    """Recipe, originals and plan for ``total`` images."""
    import numpy as np

    from core.data.image_io import LoadedImage
    from core.dataset.plan import plan
    from core.dataset.recipe import Recipe

    photos = load_photos(SIZE)
    originals = [
        LoadedImage(f"photo{i}.png", np.ascontiguousarray(photos[i % len(photos)]), f"class{i % CLASSES}")
        for i in range(ORIGINALS)
    ]
    variants = max(0, round(total / ORIGINALS) - 1)
    recipe = Recipe(augmentation=IMAGE_AUG, seed=SEED, variants_per_original=variants, split=(1.0, 0.0, 0.0))
    return recipe, originals, plan(recipe, [o.label for o in originals])


def text_case(total: int):
    """Recipe, originals and plan for ``total`` sentences."""
    from core.data.text_io import TextExample
    from core.data.texts import pydoc_sentences
    from core.dataset.plan import plan
    from core.dataset.recipe import Recipe

    sentences = pydoc_sentences(ORIGINALS)
    originals = [TextExample(s, f"class{i % CLASSES}", f"sentence {i}") for i, s in enumerate(sentences)]
    variants = max(0, round(total / ORIGINALS) - 1)
    recipe = Recipe(
        kind="text", augmentation=TEXT_AUG, seed=SEED, variants_per_original=variants, split=(1.0, 0.0, 0.0)
    )
    return recipe, originals, plan(recipe, [o.label for o in originals])


def baseline_images(the_plan, originals, recipe) -> float:
    """Seconds to augment and PNG-encode the plan's items, nothing written."""
    from core.augment.image import augment
    from core.dataset.writer import encode_png

    config = recipe.aug_config()
    start = time.perf_counter()
    for item in the_plan.items:
        image = originals[item.parent].array
        if item.source == "augmented":
            image = augment(image, config, recipe.seed, item.parent, item.variant)[0]
        encode_png(image)
    return time.perf_counter() - start


def baseline_text(the_plan, originals, recipe) -> float:
    """Seconds to augment the plan's items and format each as a CSV row, nothing written."""
    from core.augment.text import augment_text

    config = recipe.aug_config()
    writer = csv.writer(io.StringIO())
    start = time.perf_counter()
    for item in the_plan.items:
        text = originals[item.parent].text
        if item.source == "augmented":
            text = augment_text(text, config, recipe.seed, item.parent, item.variant)[0]
        writer.writerow([item.name, text, item.label, item.split, item.source])
    return time.perf_counter() - start


def child(kind: str, total: int, repeats: int) -> dict:
    from core.dataset.plan import plan as make_plan
    from core.dataset.writer import export_images, export_text

    recipe, originals, the_plan = (image_case if kind == "images" else text_case)(total)
    export = export_images if kind == "images" else export_text
    baseline = baseline_images if kind == "images" else baseline_text
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "dataset.zip"
        # Warm-up: imports, caches and first-call costs, on a small plan of the same recipe.
        small = type(recipe).from_dict({**recipe.to_dict(), "max_total": min(WARMUP, len(the_plan))})
        warm_plan = make_plan(small, [o.label for o in originals])
        export(warm_plan, originals, [], small, out)
        baseline(warm_plan, originals, small)
        before = vm_hwm_mb()
        exports, baselines = [], []
        summary = None
        for r in range(repeats):
            summary = export(the_plan, originals, [], recipe, out)
            exports.append(summary.seconds)
            if r == 0:
                after = vm_hwm_mb()
            baselines.append(baseline(the_plan, originals, recipe))
        size = out.stat().st_size
    return {
        "kind": kind,
        "items": len(the_plan),
        "export_s": min(exports),
        "baseline_s": min(baselines),
        "hwm_before_mb": before,
        "hwm_after_mb": after,
        "archive_mb": size / 1e6,
        "augmented": summary.counts["train"]["class0"]["augmented"] * CLASSES if summary else 0,
    }


# ---------------------------------------------------------------------------------------------
# Parent: run the children, render the report


def run_child(kind: str, total: int, repeats: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(total), str(repeats)],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {kind} {total} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine_info() -> str:
    import cv2
    import numpy as np

    settings = {"load average (1/5/15 min)": common.load_average()}
    versions = {"numpy": np.__version__, "opencv": f"{cv2.__version__} ({cv2.getNumThreads()} threads)"}
    return common.machine_line(common.machine_info(settings, versions))


def render(results: list[dict], sizes: tuple[int, int], repeats: int, quick: bool) -> str:
    lines = [
        "Dataset export, one fresh process per row"
        f"{' (--quick: small sizes, figures not meaningful)' if quick else ''}. "
        f"Best of {repeats} interleaved runs; peak RSS (VmHWM) measured around the first export, after a "
        f"{WARMUP}-item warm-up. Images: 64x64 RGB photos, {ORIGINALS} originals with many variants each, "
        "PNG in a zip. Text: documentation sentences, random swap / deletion / punctuation, CSV + JSONL.",
        "",
        "| case | items | export items/s | augment+encode items/s | export / baseline | peak RSS growth, MB "
        "| archive MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = r["baseline_s"] / r["export_s"]
        lines.append(
            f"| {r['kind']} | {r['items']:,} | {r['items'] / r['export_s']:,.0f} "
            f"| {r['items'] / r['baseline_s']:,.0f} | {100 * ratio:.0f}% "
            f"| {r['hwm_after_mb'] - r['hwm_before_mb']:.1f} (of {r['hwm_after_mb']:.0f}) "
            f"| {r['archive_mb']:.1f} |"
        )
    lines.append("")
    for kind in ("images", "text"):
        small, large = (
            next(r for r in results if r["kind"] == kind and r["items"] >= s * 0.99) for s in sizes
        )
        growth = large["hwm_after_mb"] - small["hwm_after_mb"]
        ratio = min(r["baseline_s"] / r["export_s"] for r in (small, large))
        target = f" (target < {TARGET_GROWTH_MB:g} MB): **{common.verdict(growth < TARGET_GROWTH_MB)}**"
        goal = f" (target >= {100 * TARGET_RATIO:.0f}%): **{common.verdict(ratio >= TARGET_RATIO)}**"
        if kind == "text":  # the targets are the image export's; text writes three files per row
            target = goal = " (no target; it also writes the JSON lines and the manifest)"
        lines.append(
            f"- {kind}: peak RSS of the {large['items']:,}-item export minus that of the "
            f"{small['items']:,}-item one: {growth:+.1f} MB{target}"
        )
        lines.append(
            f"- {kind}: export throughput / augment+encode throughput, worst size: {100 * ratio:.0f}%{goal}"
        )
    lines += ["", machine_info()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "small sizes for a smoke check (seconds)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "ITEMS", "REPEATS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, total, repeats = args.child
        print(json.dumps(child(kind, int(total), int(repeats))))
        return 0
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    repeats = 1 if args.quick else 2
    results = []
    for kind in ("images", "text"):
        for total in sizes:
            print(f"running {kind} x {total:,} ...", file=sys.stderr)
            results.append(run_child(kind, total, repeats))
    report = render(results, sizes, repeats, args.quick)
    common.publish(report, "export", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
