"""Commands on images and the built-in data: check-data, wordnet, inspect, augment."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import cv2

from core.augment import wordnet
from core.augment.image import PRESETS, ImageAugConfig, augment
from core.data.image_io import LoadProblem, LoadResult, load_files
from core.data.images import summarize
from core.data.sources import BUILTINS, builtin, load_builtin_images, load_builtin_text


def _load_inputs(paths: Sequence[str]) -> LoadResult:
    """Read each input in order: a built-in sample's name (``photos``, ``digits``) or a path (image or
    zip); a missing file is a problem like any other, not a crash."""
    result = LoadResult()
    for path in paths:
        p = Path(path)
        if p.is_file():
            result.extend(load_files([(p.name, p.read_bytes())]))
        elif builtin(path, "images") is not None:
            result.images.extend(load_builtin_images(path).images)
        else:
            result.problems.append(
                LoadProblem(path, "is not a built-in sample and does not exist as a file; check the path.")
            )
    return result


def _report_problems(result: LoadResult) -> None:
    for problem in result.problems:
        print(f"skipped {problem}", file=sys.stderr)  # names the archive and the entry


def cmd_check_data(_: argparse.Namespace) -> int:
    for item in BUILTINS:
        start = time.perf_counter()
        if item.kind == "images":
            dataset = load_builtin_images(item.short)
            count, classes = len(dataset.images), dataset.classes
        else:
            dataset = load_builtin_text(item.short)
            count, classes = len(dataset.examples), dataset.labels
        took = time.perf_counter() - start
        what = f"{len(classes)} classes" if classes else "unlabelled"
        unit = "images" if item.kind == "images" else "examples"
        print(f"ok  {item.short} ({item.display}): {count} {unit}, {what} ({took:.2f} s)")
    return 0


def cmd_wordnet(args: argparse.Namespace) -> int:
    if args.action == "install" and not wordnet.is_installed():
        if wordnet.download():
            print(f"WordNet downloaded with NLTK into {wordnet.DATA_DIR}")
        elif wordnet.install_from_debian():
            print(f"WordNet copied from {wordnet.DEBIAN_DIR} into {wordnet.CORPUS_DIR}, lexnames written")
    try:
        start = time.perf_counter()
        wordnet.reader()
        took = time.perf_counter() - start
    except wordnet.WordNetMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"ok  WordNet loads in {took:.1f} s; synonyms of 'quick': {', '.join(wordnet.synonyms('quick')[:5])}"
    )
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    result = _load_inputs(args.inputs)
    _report_problems(result)
    summary = summarize(result.images)
    print(json.dumps(asdict(summary), indent=2))
    return 0 if result.images else 2


def cmd_augment(args: argparse.Namespace) -> int:
    if not 1 <= args.variants <= 10_000:
        print(f"error: --variants must be from 1 to 10000, got {args.variants}.", file=sys.stderr)
        return 2
    if args.config and args.preset:
        print("error: give --config or --preset, not both.", file=sys.stderr)
        return 2
    if args.preset and args.preset not in PRESETS:
        print(f"error: no preset {args.preset!r}; the presets are: {', '.join(PRESETS)}.", file=sys.stderr)
        return 2
    if args.preset:
        config = PRESETS[args.preset]
    else:
        config = ImageAugConfig.from_json(Path(args.config).read_text()) if args.config else ImageAugConfig()
    result = _load_inputs(args.inputs)
    _report_problems(result)
    if not result.images:
        print("No input image could be used; nothing written.", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    total = len(result.images) * args.variants
    with (out / "params.jsonl").open("w") as log:
        for index, item in enumerate(result.images):
            stem = Path(item.name).stem or f"image{index}"
            for variant in range(args.variants):
                image, params = augment(item.array, config, args.seed, index, variant)
                name = f"{index:05d}_{stem}_v{variant}.png"
                bgr = (
                    image
                    if image.ndim == 2
                    else cv2.cvtColor(
                        image, cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
                    )
                )
                cv2.imwrite(str(out / name), bgr)
                record = {
                    "file": name,
                    "source": item.name,
                    "label": item.label,
                    "index": index,
                    "variant": variant,
                    "seed": args.seed,
                    "params": params.to_dict(),
                }
                log.write(json.dumps(record) + "\n")
                done = index * args.variants + variant + 1
                if done % 100 == 0 or done == total:
                    print(f"\r{done}/{total} variants", end="", file=sys.stderr)
    print(f"\nwrote {total} variants and params.jsonl to {out}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("check-data", help="load the built-in samples offline").set_defaults(func=cmd_check_data)
    wn = sub.add_parser("wordnet", help="check or install WordNet for synonym operations")
    wn.add_argument("action", choices=["status", "install"])
    wn.set_defaults(func=cmd_wordnet)
    inspect = sub.add_parser("inspect", help="decode images or zips and summarise them")
    inputs_help = "built-in samples (photos, digits), image files or .zip archives (one folder per class)"
    inspect.add_argument("inputs", nargs="+", help=inputs_help)
    inspect.set_defaults(func=cmd_inspect)
    aug = sub.add_parser("augment", help="write augmented variants of images as PNG")
    aug.add_argument("inputs", nargs="+", help=inputs_help)
    aug.add_argument(
        "--config",
        help="JSON configuration saved from the Images page (auglab.image_aug/1 or /2; default: no change); "
        "every operation of the page (crops, colour, blur, noise, erasing, policies) applies",
    )
    aug.add_argument("--preset", help="a preset of the Images page by name instead, e.g. 'Mild, photos'")
    aug.add_argument("--seed", type=int, default=0, help="seed; variant v of image i depends on (seed, i, v)")
    aug.add_argument("--variants", type=int, default=4, help="variants per image (default 4)")
    aug.add_argument("--out", required=True, help="folder to write PNGs and params.jsonl into")
    aug.set_defaults(func=cmd_augment)
