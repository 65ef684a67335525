"""Write a planned dataset to a zip, one example at a time, atomically and byte-for-byte reproducibly.

Image archives hold ``train/``, ``val/`` and ``test/``, each with one folder per class (``unlabelled``
for examples without a label) of lossless PNGs: the layout torchvision's ``ImageFolder`` and Keras'
``image_dataset_from_directory`` read unchanged. Text archives hold ``data.csv`` and ``data.jsonl``.
Both carry ``manifest.csv`` (where every example came from, with the sha256 of what was written) and
``recipe.json`` (the recipe, which ``python -m core export`` replays).

How the writer keeps its promises:

- streamed: each example is computed, encoded and written before the next one is computed; the manifest
  and the JSON lines go to temporary spool files, never to a list in memory;
- atomic: everything goes to a temporary file beside the destination, renamed into place only once
  complete; on any failure (an exception from ``progress`` is how a page cancels) it is removed;
- reproducible: fixed member order, timestamps (1980-01-01), permissions and compression settings,
  so the same plan and inputs give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np

from core.dataset.blend import SPLITS, Label, Plan, PlannedItem, Recipe, counts_of, plan
from core.errors import ConfigError, InputError

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time leaks in
FILE_MODE = 0o100644  # regular file, rw-r--r--
DEFLATE_LEVEL = 6  # zlib's default, spelled out: the archive must not change if a default does
PNG_COMPRESSION = 1  # 0..9; lossless at every level; 1 is the fastest that still compresses (-30 %)
SPLIT_FOLDERS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
MANIFEST_COLUMNS = (
    "path",
    "split",
    "label",
    "source",
    "parent_id",
    "variant",
    "params",
    "seed",
    "generator_checkpoint_sha256",
    "sample_index",
    "origin",
    "sha256",
)
TEXT_COLUMNS = ("id", "text", "label", "split", "source")
_COPY_CHUNK = 1 << 20

Progress = Callable[[int, int], None]


@dataclass
class ExportSummary:
    """What an export wrote.

    Attributes:
        path: The archive written.
        counts: ``counts[split][class][source]``, as :meth:`core.dataset.blend.Plan.counts`.
        items: Examples written.
        bytes_written: Size of the archive, in bytes.
        seconds: Wall time of the export, in seconds.
        notes: Sentences about what could not be done as asked (from the plan or the CLI).
    """

    path: Path
    counts: dict[str, dict[str, dict[str, int]]]
    items: int
    bytes_written: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def examples_per_second(self) -> float:
        """Throughput of the export."""
        return self.items / self.seconds if self.seconds > 0 else float("inf")


# --------------------------------------------------------------------------------------------------
# Zip plumbing


def _info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = FILE_MODE << 16
    info.create_system = 3  # unix, so the permissions above are read on every platform
    info.compress_type = compress
    if compress == zipfile.ZIP_DEFLATED:
        # ZipFile.open(mode="w") reads the level from the ZipInfo (named so in Python 3.11 and 3.12,
        # compress_level from 3.13); writestr gets it as an argument as well.
        setattr(
            info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", DEFLATE_LEVEL
        )
    return info


def _write_member(zf: zipfile.ZipFile, name: str, data: bytes, compress: int = zipfile.ZIP_DEFLATED) -> None:
    level = DEFLATE_LEVEL if compress == zipfile.ZIP_DEFLATED else None
    zf.writestr(_info(name, compress), data, compress_type=compress, compresslevel=level)


def _write_stored(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Append an uncompressed member in one write.

    ``ZipFile.writestr`` writes the local header, the data, then seeks back to rewrite the header with
    the CRC and sizes: four system calls per file, a quarter of the export's own cost for small PNGs.
    Here the CRC and sizes are known first, as ``ZipFile.write`` does for folders.
    """
    if not all(hasattr(zf, a) for a in ("_writecheck", "start_dir", "fp", "filelist", "NameToInfo")):
        _write_member(zf, name, data, zipfile.ZIP_STORED)  # a zipfile whose internals moved on
        return
    info = _info(name, zipfile.ZIP_STORED)
    info.file_size = info.compress_size = len(data)
    info.CRC = zlib.crc32(data)
    zf._writecheck(info)
    zf._didModify = True
    info.header_offset = zf.start_dir
    header = info.FileHeader(None)  # zip64 fields only when the sizes need them
    zf.fp.write(header + data)
    zf.start_dir += len(header) + len(data)
    zf.filelist.append(info)
    zf.NameToInfo[name] = info


def _copy_member(zf: zipfile.ZipFile, name: str, spool: IO[bytes]) -> None:
    """Stream a spool file into a deflated member, a megabyte at a time."""
    spool.flush()
    size = spool.seek(0, os.SEEK_END)
    spool.seek(0)
    info = _info(name, zipfile.ZIP_DEFLATED)
    info.file_size = size  # lets zipfile choose zip64 up front when the member is large
    with zf.open(info, "w") as member:
        shutil.copyfileobj(spool, member, _COPY_CHUNK)


@contextmanager
def _atomic_zip(out_path: str | os.PathLike[str]) -> Iterator[zipfile.ZipFile]:
    """A zip written to a temporary file beside ``out_path``, renamed into place on success only."""
    out = Path(out_path)
    if out.is_dir():
        raise ConfigError(f"{out} is a folder; give a file name for the archive, e.g. {out / 'dataset.zip'}.")
    if not out.parent.is_dir():
        raise ConfigError(f"The folder {out.parent} does not exist; create it or choose another path.")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "w+b") as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                yield zf
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an archive is for reading (no umask dance:
        # os.umask is process-wide, and the app serves sessions as threads)
        os.replace(tmp, out)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class _Manifest:
    """Manifest rows, written as CSV to a spool file as they come."""

    def __init__(self) -> None:
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), in a finally)
        self.text = io.TextIOWrapper(self.spool, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text, lineterminator="\n")
        self.writer.writerow(MANIFEST_COLUMNS)

    def add(self, **row: Any) -> None:
        self.writer.writerow(["" if row.get(c) is None else row.get(c) for c in MANIFEST_COLUMNS])

    def close(self) -> None:
        self.text.close()  # closes the spool too


# Encoders made once: json.dumps with non-default options builds a new encoder on every call.
_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_json_line = json.JSONEncoder(ensure_ascii=False).encode


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


# --------------------------------------------------------------------------------------------------
# Images


def encode_png(image: np.ndarray) -> bytes:
    """Lossless PNG bytes of an RGB(A) or grayscale uint8 array (OpenCV's encoder, fixed settings).

    Raises:
        ConfigError: The array is not an image OpenCV can encode.
    """
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, buffer = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise ConfigError(f"An image of shape {image.shape} could not be encoded as PNG.")
    return buffer.tobytes()


_PARAM_FIELDS: tuple[str, ...] = ()


def _params(params: Any) -> dict[str, Any]:
    """``AffineParams.to_dict()`` (4 decimals; tuples as lists), without its per-call ``fields()``
    lookup, which costs more than the rest of an export's own work per image."""
    global _PARAM_FIELDS
    if not _PARAM_FIELDS:
        _PARAM_FIELDS = tuple(f.name for f in fields(params))
    out: dict[str, Any] = {}
    for name in _PARAM_FIELDS:
        value = getattr(params, name)
        if isinstance(value, tuple):
            out[name] = [round(v, 4) for v in value]
        elif isinstance(value, float):
            out[name] = round(value, 4)
        else:
            out[name] = value
    return out


OriginalImages = Sequence[Any] | Callable[[int], np.ndarray]


def _original_getter(originals: OriginalImages) -> tuple[Callable[[int], np.ndarray], Callable[[int], str]]:
    if callable(originals):
        return originals, lambda i: ""

    def array(i: int) -> np.ndarray:
        return originals[i].array

    def name(i: int) -> str:
        return str(getattr(originals[i], "name", ""))

    return array, name


def export_images(
    plan: Plan,
    originals: OriginalImages,
    synthetic: Sequence[Any],
    recipe: Recipe,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> ExportSummary:
    """Write an image dataset zip: class folders per split, ``manifest.csv``, ``recipe.json``.

    Args:
        plan: From :func:`core.dataset.blend.plan` with the same recipe.
        originals: The originals (``LoadedImage``-like, with ``.array`` and ``.name``) in the order
            their labels were planned, or a callable ``index -> uint8 array`` (fetched once per run of
            consecutive items of the same original).
        synthetic: The synthetic pool (``SyntheticImage``), in the order its labels were planned.
        recipe: The recipe; its augmentation and seed make the augmented items.
        out_path: The ``.zip`` to write; replaced only when the new one is complete.
        progress: Called as ``progress(done, total)`` after each example; raising cancels the export.
        extra_files: More members, e.g. ``{"generators/<sha>.pt": bytes}``, written last in sorted order.

    Returns:
        What was written.

    Raises:
        ConfigError: The plan is not an image plan, or the destination cannot hold a file.
    """
    from core.augment.image import augment

    if plan.kind != "images" or recipe.kind != "images":
        raise ConfigError("export_images needs an image recipe and plan; use export_text for text.")
    start = time.perf_counter()
    config = recipe.aug_config()
    get_array, get_name = _original_getter(originals)
    total = len(plan.items)
    manifest = _Manifest()
    cached: tuple[int, np.ndarray] | None = None
    try:
        with _atomic_zip(out_path) as zf:
            _write_member(zf, "recipe.json", recipe.to_json().encode("utf-8") + b"\n")
            _tick(progress, 0, total)
            for done, item in enumerate(plan.items, 1):
                row: dict[str, Any] = {"params": "{}"}
                if item.source == "synthetic":
                    sample = synthetic[item.synthetic_index]
                    image = np.asarray(sample.array)
                    row.update(
                        seed=sample.seed,
                        generator_checkpoint_sha256=sample.checkpoint_sha256,
                        sample_index=sample.index,
                        origin=f"{getattr(sample, 'generator', 'gan')} {sample.checkpoint_sha256[:12]}",
                    )
                else:
                    if cached is None or cached[0] != item.parent:
                        cached = (item.parent, np.asarray(get_array(item.parent)))
                    image = cached[1]
                    row.update(parent_id=item.parent, origin=get_name(item.parent))
                    if item.source == "augmented":
                        image, params = augment(image, config, recipe.seed, item.parent, item.variant)
                        row.update(variant=item.variant, params=_json(_params(params)), seed=recipe.seed)
                data = encode_png(image)
                path = plan.path(item)
                _write_stored(zf, path, data)
                manifest.add(
                    path=path,
                    split=item.split,
                    label=item.label,
                    source=item.source,
                    sha256=hashlib.sha256(data).hexdigest(),
                    **row,
                )
                _tick(progress, done, total)
            manifest.text.flush()
            _copy_member(zf, "manifest.csv", manifest.spool)
            for name in sorted(extra_files or {}):
                _write_member(zf, name, extra_files[name], zipfile.ZIP_STORED)
    finally:
        manifest.close()
    return _summary(plan, out_path, start)


def _summary(plan: Plan, out_path: str | os.PathLike[str], start: float) -> ExportSummary:
    return ExportSummary(
        path=Path(out_path),
        counts=plan.counts(),
        items=len(plan.items),
        bytes_written=Path(out_path).stat().st_size,
        seconds=time.perf_counter() - start,
        notes=list(plan.notes),
    )


# --------------------------------------------------------------------------------------------------
# Text


def _edit(edit: Any) -> dict[str, Any]:
    """An Edit as a plain dict (dataclasses.asdict deep-copies, at several times the cost)."""
    return {"op": edit.op, "position": edit.position, "old": edit.old, "new": edit.new}


def export_text(
    plan: Plan,
    originals: Sequence[Any],
    synthetic: Sequence[Any],
    recipe: Recipe,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
) -> ExportSummary:
    """Write a text dataset zip: ``data.csv``, ``data.jsonl``, ``manifest.csv`` and ``recipe.json``.

    Rows of ``data.csv`` (UTF-8, a header line ``id,text,label,split,source``) and ``data.jsonl`` (one
    object per line with the same keys) are in plan order; an unlabelled row has an empty label in the
    CSV and ``null`` in the JSON lines. ``data.csv`` loads with
    ``core.data.text_io.load_csv(data, name, "text", "label")``. The manifest's ``path`` is the row id, its
    ``params`` the edits of augmented rows (op, position, old, new), its ``sha256`` that of the row's
    UTF-8 text.

    Args:
        plan: From :func:`core.dataset.blend.plan` with the same recipe.
        originals: The original ``TextExample`` s, in the order their labels were planned.
        synthetic: The synthetic pool (``SyntheticText``), in the order its labels were planned.
        recipe: The recipe; its augmentation and seed make the augmented rows.
        out_path: The ``.zip`` to write; replaced only when the new one is complete.
        progress: Called as ``progress(done, total)`` after each row; raising cancels the export.

    Returns:
        What was written.

    Raises:
        ConfigError: The plan is not a text plan, or the destination cannot hold a file.
        core.augment.wordnet.WordNetMissing: The augmentation uses synonyms and WordNet is not installed.
    """
    from core.augment.text import augment_text

    if plan.kind != "text" or recipe.kind != "text":
        raise ConfigError("export_text needs a text recipe and plan; use export_images for images.")
    start = time.perf_counter()
    config = recipe.aug_config()
    total = len(plan.items)
    manifest = _Manifest()
    jsonl = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    try:
        with _atomic_zip(out_path) as zf:
            _write_member(zf, "recipe.json", recipe.to_json().encode("utf-8") + b"\n")
            _tick(progress, 0, total)
            info = _info("data.csv", zipfile.ZIP_DEFLATED)
            with zf.open(info, "w", force_zip64=True) as member:
                # Buffered: the deflater gets chunks of kilobytes, not one call per row.
                text_out = io.TextIOWrapper(member, encoding="utf-8", newline="")
                writer = csv.writer(text_out, lineterminator="\r\n")
                writer.writerow(TEXT_COLUMNS)
                for done, item in enumerate(plan.items, 1):
                    row: dict[str, Any] = {"params": "[]" if item.source == "augmented" else "{}"}
                    if item.source == "synthetic":
                        sample = synthetic[item.synthetic_index]
                        text = sample.text
                        row.update(
                            seed=sample.seed,
                            generator_checkpoint_sha256=sample.checkpoint_sha256,
                            sample_index=sample.index,
                            origin=f"{getattr(sample, 'generator', 'lstm')} {sample.checkpoint_sha256[:12]}",
                            params=_json(getattr(sample, "settings", {}) or {}),
                        )
                    else:
                        example = originals[item.parent]
                        text = example.text
                        row.update(parent_id=item.parent, origin=getattr(example, "origin", ""))
                        if item.source == "augmented":
                            text, edits = augment_text(text, config, recipe.seed, item.parent, item.variant)
                            row.update(
                                variant=item.variant,
                                params=_json([_edit(e) for e in edits]),
                                seed=recipe.seed,
                            )
                    writer.writerow([item.name, text, item.label or "", item.split, item.source])
                    record = {
                        "id": item.name,
                        "text": text,
                        "label": item.label,
                        "split": item.split,
                        "source": item.source,
                    }
                    jsonl.write(_json_line(record).encode("utf-8", "surrogatepass") + b"\n")
                    manifest.add(
                        path=item.name,
                        split=item.split,
                        label=item.label,
                        source=item.source,
                        sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
                        **row,
                    )
                    _tick(progress, done, total)
                text_out.flush()
                text_out.detach()  # the member is closed by its own context manager
            _copy_member(zf, "data.jsonl", jsonl)
            manifest.text.flush()
            _copy_member(zf, "manifest.csv", manifest.spool)
    finally:
        manifest.close()
        jsonl.close()
    return _summary(plan, out_path, start)


# --------------------------------------------------------------------------------------------------
# Reading an export back


def split_of(member: str) -> str | None:
    """The split of an archive member path (``train/cat/1.png`` -> ``"train"``), after a single wrapping
    folder; ``valid`` and ``validation`` count as ``"val"``. None when the path is in no split folder."""
    parts = [p for p in member.split("/") if p]
    for part in parts[:2]:
        if part.lower() in SPLIT_FOLDERS:
            return SPLIT_FOLDERS[part.lower()]
    return None


def load_export(data: bytes, name: str) -> dict[str, Any]:
    """Load an exported image archive (or any ``train/ val/ test/`` class-folder zip) per split.

    Args:
        data: The archive's bytes.
        name: Its file name, for messages.

    Returns:
        ``{"train": ImageDataset, "val": ..., "test": ...}``; labels come from the class folders.
        ``manifest.csv``, ``recipe.json`` and other non-image members are not reported as problems.

    Raises:
        InputError: Not a readable zip, or no image in it.
    """
    from core.data.image_io import load_zip
    from core.data.images import ImageDataset

    result = load_zip(data, name)
    out = {split: ImageDataset(name=f"{name} ({split})") for split in SPLITS}
    for image in result.images:
        split = split_of(image.name)
        if split is None:
            raise InputError(name, f"holds {image.name}, outside train/, val/ and test/; it is not an export")
        out[split].images.append(image)
    keep = [p for p in result.problems if p.name.rsplit("/", 1)[-1] not in ("manifest.csv", "recipe.json")]
    keep = [p for p in keep if not p.name.startswith("generators/")]
    out["train"].problems.extend(keep)
    return out


# --------------------------------------------------------------------------------------------------
# From a recipe file (the CLI)


def _read(path: str, what: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise InputError(path, f"({what}) does not exist or is not a file; check the path in the recipe")
    return p.read_bytes()


def resolve_images(recipe: Recipe, notify: Callable[[str], None]) -> list[Any]:
    """The originals of an image recipe: ``"digits"`` or image / zip paths, in input order.

    Raises:
        InputError: An input is missing, or yields no image.
    """
    from core.data.image_io import load_files
    from core.data.images import load_digits

    images: list[Any] = []
    for source in recipe.inputs:
        if source == "digits":
            images.extend(load_digits().images)
            continue
        result = load_files([(Path(source).name, _read(source, "an image or zip input"))])
        for problem in result.problems:
            notify(f"skipped {problem.name}: {problem.reason}")
        if not result.images:
            raise InputError(source, "holds no image that could be used; see the reasons above")
        images.extend(result.images)
    return images


def resolve_text(recipe: Recipe, notify: Callable[[str], None]) -> list[Any]:
    """The originals of a text recipe: ``.csv`` / ``.tsv`` (with the recipe's columns), else plain text
    (one example per line), or a built-in sample name ("reviews", "sentences").

    Raises:
        InputError: An input is missing or unusable.
    """
    from core.data.text_io import load_csv, load_txt

    examples: list[Any] = []
    for source in recipe.inputs:
        if source in ("reviews", "sentences"):
            from core.data.texts import PYDOC, REVIEWS, TEXT_SAMPLES

            dataset = TEXT_SAMPLES[REVIEWS if source == "reviews" else PYDOC]()
        else:
            data = _read(source, "a .txt or .csv input")
            name = Path(source).name
            if name.lower().endswith((".csv", ".tsv")):
                dataset = load_csv(data, name, recipe.text_column, recipe.label_column)
            else:
                dataset = load_txt(data, name)
        for line in [*dataset.notices, *(f"skipped {p.name}: {p.reason}" for p in dataset.problems)]:
            notify(line)
        examples.extend(dataset.examples)
    return examples


def regenerate_synthetic(recipe: Recipe, notify: Callable[[str], None]) -> tuple[list[Any], dict[str, bytes]]:
    """Samples of the recipe's generator sources, and the checkpoints as ``generators/<sha>.pt``.

    Needs ``core.generators.gan`` (images) or ``core.generators.lstm`` (text); when that module or
    torch is missing, the synthetic samples are skipped with a note.

    Raises:
        ConfigError: A checkpoint's sha256 differs from the recipe's.
        InputError: A checkpoint file is missing.
    """
    if not recipe.include_synthetic or not recipe.synthetic:
        return [], {}
    module = "core.generators.gan" if recipe.kind == "images" else "core.generators.lstm"
    try:
        trainer_module = __import__(module, fromlist=["_"])
        from core.generators.checkpoint import checkpoint_hash, load_checkpoint
        from core.generators.pool import SyntheticImage, SyntheticText
    except ImportError as exc:
        notify(f"{module} is not available ({exc}); the synthetic samples of the recipe were skipped.")
        return [], {}
    samples: list[Any] = []
    extra: dict[str, bytes] = {}
    for source in recipe.synthetic:
        data = _read(source.checkpoint, "a generator checkpoint")
        digest = checkpoint_hash(data)
        if source.sha256 and source.sha256.lower() != digest:
            raise ConfigError(
                f"{source.checkpoint} has sha256 {digest[:16]}…, not the recipe's {source.sha256[:16]}…; "
                "it is not the checkpoint the samples came from."
            )
        payload = load_checkpoint(
            data, Path(source.checkpoint).name, "gan" if recipe.kind == "images" else "lstm"
        )
        extra[f"generators/{digest}.pt"] = data
        if recipe.kind == "images":
            trainer = trainer_module.GANTrainer.from_checkpoint(payload)
            arrays, labels = trainer.generate(source.n, None, source.seed)
            classes = list(getattr(trainer, "classes", []))
            for i, array in enumerate(arrays):
                label = classes[int(labels[i])] if labels is not None and classes else None
                samples.append(SyntheticImage(np.asarray(array), label, digest, source.seed, i))
        else:
            trainer = trainer_module.LSTMTrainer.from_checkpoint(payload)
            s = {"prompt": "", "max_len": 200, "temperature": 0.8, "top_k": None, "label": None}
            s.update(source.settings)
            lines = trainer.sample(
                s["prompt"], source.n, s["max_len"], s["temperature"], s["top_k"], source.seed, s["label"]
            )
            for i, line in enumerate(lines):
                samples.append(SyntheticText(line, s["label"], digest, source.seed, i, dict(s)))
    return samples, extra


def run_export(
    recipe: Recipe,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> ExportSummary:
    """Everything ``python -m core export`` does: resolve inputs, regenerate synthetic, plan, write.

    Args:
        recipe: The recipe (e.g. ``Recipe.from_json(Path("recipe.json").read_text())``).
        out_path: The ``.zip`` to write.
        progress: ``progress(done, total)`` after each example; raising cancels.
        notify: Receives sentences about skipped files and synthetic samples (default: stderr).

    Returns:
        What was written, with those sentences in ``notes``.

    Raises:
        ConfigError: The recipe has no inputs or cannot be planned.
        InputError: An input file is missing or unusable.
    """
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        if notify is not None:
            notify(line)
        else:
            print(line, file=sys.stderr)

    if not recipe.inputs:
        raise ConfigError("The recipe has no inputs; list 'digits' or the paths of the original files.")
    # Inputs first: a missing file should fail before minutes of sampling.
    originals = resolve_images(recipe, note) if recipe.kind == "images" else resolve_text(recipe, note)
    synthetic, extra = regenerate_synthetic(recipe, note)
    synthetic_labels: list[Label] = [s.label for s in synthetic]
    if recipe.kind == "images":
        the_plan = plan(recipe, [img.label for img in originals], synthetic_labels)
        summary = export_images(the_plan, originals, synthetic, recipe, out_path, progress, extra)
    else:
        examples = originals
        if not examples:
            raise ConfigError("The recipe's inputs hold no text example.")
        the_plan = plan(recipe, [ex.label for ex in examples], synthetic_labels)
        summary = export_text(the_plan, examples, synthetic, recipe, out_path, progress)
    summary.notes[:0] = notes
    return summary


def verify_archive(data: bytes | IO[bytes]) -> list[str]:
    """Check every manifest row's sha256 against the archive member it names (images).

    Returns:
        One sentence per mismatch or missing member; empty when the archive is intact.
    """
    fileobj = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    problems = []
    with zipfile.ZipFile(fileobj) as zf:
        names = set(zf.namelist())
        rows = csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8")))
        for row in rows:
            if row["path"] not in names:
                problems.append(f"{row['path']} is in the manifest but not in the archive.")
            elif hashlib.sha256(zf.read(row["path"])).hexdigest() != row["sha256"]:
                problems.append(f"{row['path']} does not match its manifest sha256.")
    return problems


__all__ = [
    "ExportSummary",
    "PlannedItem",
    "counts_of",
    "encode_png",
    "export_images",
    "export_text",
    "load_export",
    "run_export",
    "split_of",
    "verify_archive",
]
