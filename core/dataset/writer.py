"""Write a planned dataset to a zip, one example at a time, atomically and byte-for-byte reproducibly.

Image archives hold ``train/``, ``val/`` and ``test/``, each with one folder per class (``unlabelled``
for examples without a label) of lossless PNGs: the layout torchvision's ``ImageFolder`` and Keras'
``image_dataset_from_directory`` read unchanged. Text archives hold ``data.csv`` and ``data.jsonl``.
Both carry ``manifest.csv`` (where every example came from, with the sha256 of what was written),
``recipe.json`` (the recipe, which ``python -m core export`` replays; its format tag is the archive's
version) and the generator checkpoints the synthetic samples came from, as ``generators/<sha256>.pt``.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return, after any leading ``'``) get one ``'`` in front in ``data.csv`` and
``manifest.csv``; plain numbers such as ``-1`` are left as they are. :mod:`core.dataset.csv_cells`
states the rule and undoes it exactly; ``data.jsonl`` keeps the text untouched.

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
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np

from core.dataset.csv_cells import RISKY_STARTS, escape_cell
from core.dataset.plan import Plan, PlannedItem
from core.dataset.recipe import Recipe
from core.errors import ConfigError

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time leaks in
FILE_MODE = 0o100644  # regular file, rw-r--r--
DEFLATE_LEVEL = 6  # zlib's default, spelled out: the archive must not change if a default does
PNG_COMPRESSION = 1  # 0..9; lossless at every level; 1 is the fastest that still compresses (-30 %)
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
        counts: ``counts[split][class][source]``, as :meth:`core.dataset.plan.Plan.counts`.
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


def _cell(value: Any) -> Any:
    """A CSV cell of data.csv: None as empty, text neutralised for spreadsheets."""
    if value is None:
        return ""
    return escape_cell(value) if isinstance(value, str) else value


# The manifest columns that can hold text from outside (labels, file names, edited words); the others are
# split and source names, numbers, hex digests and paths that start with a split folder.
_USER_COLUMNS = tuple(MANIFEST_COLUMNS.index(c) for c in ("label", "params", "origin"))
_RISKY_FIRST = frozenset(RISKY_STARTS + "'")  # a cell starting with anything else is never changed


def manifest_cells(row: dict[str, Any]) -> list[Any]:
    """A manifest row (a render's row) as the cells of one ``manifest.csv`` line, in column order:
    None as empty, user text neutralised for spreadsheets."""
    cells = ["" if (v := row.get(c)) is None else v for c in MANIFEST_COLUMNS]
    for i in _USER_COLUMNS:  # per image: one look at the first character of three cells
        value = cells[i]
        if value.__class__ is str and value[:1] in _RISKY_FIRST:
            cells[i] = escape_cell(value)
    return cells


class _Manifest:
    """Manifest rows, written as CSV to a spool file as they come."""

    def __init__(self) -> None:
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), in a finally)
        self.text = io.TextIOWrapper(self.spool, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text, lineterminator="\n")
        self.writer.writerow(MANIFEST_COLUMNS)

    def add(self, **row: Any) -> None:
        self.writer.writerow(manifest_cells(row))

    def close(self) -> None:
        self.text.close()  # closes the spool too


# Encoders made once: json.dumps with non-default options builds a new encoder on every call.
_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_json_line = json.JSONEncoder(ensure_ascii=False).encode


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _summary(plan: Plan, out_path: str | os.PathLike[str], start: float) -> ExportSummary:
    return ExportSummary(
        path=Path(out_path),
        counts=plan.counts(),
        items=len(plan.items),
        bytes_written=Path(out_path).stat().st_size,
        seconds=time.perf_counter() - start,
        notes=list(plan.notes),
    )


def _write_extra(zf: zipfile.ZipFile, extra_files: dict[str, bytes] | None) -> None:
    for name in sorted(extra_files or {}):
        _write_member(zf, name, extra_files[name], zipfile.ZIP_STORED)  # checkpoints are zips already


def _synthetic_row(sample: Any, default_generator: str) -> dict[str, Any]:
    return {
        "seed": sample.seed,
        "generator_checkpoint_sha256": sample.checkpoint_sha256,
        "sample_index": sample.index,
        "origin": f"{getattr(sample, 'generator', default_generator)} {sample.checkpoint_sha256[:12]}",
    }


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


def _params(params: Any) -> dict[str, Any]:
    """The manifest's ``params`` of an augmented variant: ``ImageParams.to_dict()`` (4 decimals, tuples as
    lists, the steps added after Keras' settings only when they ran)."""
    return params.to_dict()


OriginalImages = Sequence[Any] | Callable[[int], np.ndarray]


def _original_getter(originals: OriginalImages) -> tuple[Callable[[int], np.ndarray], Callable[[int], str]]:
    if callable(originals):
        return originals, lambda i: ""

    def array(i: int) -> np.ndarray:
        return originals[i].array

    def name(i: int) -> str:
        return str(getattr(originals[i], "name", ""))

    return array, name


Render = Callable[[PlannedItem], tuple[Any, dict[str, Any]]]


def image_renderer(plan: Plan, originals: OriginalImages, synthetic: Sequence[Any], recipe: Recipe) -> Render:
    """``render(item) -> (png_bytes, manifest_row)``: one planned image computed and encoded.

    Every image writer calls it (this zip, :mod:`core.dataset.parquet`'s shards and
    :mod:`core.dataset.folder`'s directory), so every format and engine holds the same bytes per item. The row
    has the manifest's columns, ``path`` (the item's path in the archive) included; a column that does
    not apply is left out. Consecutive items of the same original fetch it once.

    Args:
        plan, originals, synthetic, recipe: As :func:`export_images`.
    """
    from core.dataset.mixing import augmented_item

    config = recipe.aug_config()
    get_array, get_name = _original_getter(originals)
    cached: list[Any] = [None, None]  # (parent index, its array)

    def render(item: PlannedItem) -> tuple[bytes, dict[str, Any]]:
        row: dict[str, Any] = {"params": "{}"}
        if item.source == "synthetic":
            sample = synthetic[item.synthetic_index]
            image = np.asarray(sample.array)
            row.update(_synthetic_row(sample, "gan"))
        else:
            if cached[0] != item.parent or cached[1] is None:
                cached[:] = [item.parent, np.asarray(get_array(item.parent))]
            image = cached[1]
            row.update(parent_id=item.parent, origin=get_name(item.parent))
            if item.source == "augmented":
                # The variant, mixed with another train image when the plan says so (core.dataset.mixing).
                image, params = augmented_item(item, image, get_array, config, recipe.seed)
                row.update(variant=item.variant, params=_json(params), seed=recipe.seed)
        data = encode_png(image)
        row.update(
            path=plan.path(item),
            split=item.split,
            label=item.label,
            source=item.source,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        return data, row

    return render


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
        plan: From :func:`core.dataset.plan.plan` with the same recipe.
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
    if plan.kind != "images" or recipe.kind != "images":
        raise ConfigError("export_images needs an image recipe and plan; use export_text for text.")
    start = time.perf_counter()
    render = image_renderer(plan, originals, synthetic, recipe)
    total = len(plan.items)
    manifest = _Manifest()
    try:
        with _atomic_zip(out_path) as zf:
            _write_member(zf, "recipe.json", recipe.to_json().encode("utf-8") + b"\n")
            _tick(progress, 0, total)
            for done, item in enumerate(plan.items, 1):
                data, row = render(item)
                _write_stored(zf, row["path"], data)
                manifest.add(**row)
                _tick(progress, done, total)
            manifest.text.flush()
            _copy_member(zf, "manifest.csv", manifest.spool)
            _write_extra(zf, extra_files)
    finally:
        manifest.close()
    return _summary(plan, out_path, start)


# --------------------------------------------------------------------------------------------------
# Text


def _edit(edit: Any) -> dict[str, Any]:
    """An Edit as a plain dict (dataclasses.asdict deep-copies, at several times the cost)."""
    return {"op": edit.op, "position": edit.position, "old": edit.old, "new": edit.new}


def text_renderer(plan: Plan, originals: Sequence[Any], synthetic: Sequence[Any], recipe: Recipe) -> Render:
    """``render(item) -> (text, manifest_row)``: one planned text row made, as :func:`image_renderer`.

    The row's ``path`` is the row id, its ``sha256`` that of the text's UTF-8 bytes.

    Args:
        plan, originals, synthetic, recipe: As :func:`export_text`.
    """
    from core.augment.text import augment_text

    config = recipe.aug_config()

    def render(item: PlannedItem) -> tuple[str, dict[str, Any]]:
        row: dict[str, Any] = {"params": "[]" if item.source == "augmented" else "{}"}
        if item.source == "synthetic":
            sample = synthetic[item.synthetic_index]
            text = sample.text
            row.update(_synthetic_row(sample, "lstm"))
            row["params"] = _json(getattr(sample, "settings", {}) or {})
        else:
            example = originals[item.parent]
            text = example.text
            row.update(parent_id=item.parent, origin=getattr(example, "origin", ""))
            if item.source == "augmented":
                text, edits = augment_text(text, config, recipe.seed, item.parent, item.variant)
                row.update(variant=item.variant, params=_json([_edit(e) for e in edits]), seed=recipe.seed)
        row.update(
            path=item.name,
            split=item.split,
            label=item.label,
            source=item.source,
            sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        )
        return text, row

    return render


def export_text(
    plan: Plan,
    originals: Sequence[Any],
    synthetic: Sequence[Any],
    recipe: Recipe,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> ExportSummary:
    """Write a text dataset zip: ``data.csv``, ``data.jsonl``, ``manifest.csv`` and ``recipe.json``.

    Rows of ``data.csv`` (UTF-8, a header line ``id,text,label,split,source``, cells neutralised for
    spreadsheets as the module says) and ``data.jsonl`` (one object per line with the same keys, text
    exactly as made) are in plan order; an unlabelled row has an empty label in the CSV and ``null`` in
    the JSON lines. The manifest's ``path`` is the row id, its ``params`` the edits of augmented rows
    (op, position, old, new), its ``sha256`` that of the row's UTF-8 text.

    Args:
        plan: From :func:`core.dataset.plan.plan` with the same recipe.
        originals: The original ``TextExample`` s, in the order their labels were planned.
        synthetic: The synthetic pool (``SyntheticText``), in the order its labels were planned.
        recipe: The recipe; its augmentation and seed make the augmented rows.
        out_path: The ``.zip`` to write; replaced only when the new one is complete.
        progress: Called as ``progress(done, total)`` after each row; raising cancels the export.
        extra_files: More members, e.g. ``{"generators/<sha>.pt": bytes}``, written last in sorted order.

    Returns:
        What was written.

    Raises:
        ConfigError: The plan is not a text plan, or the destination cannot hold a file.
        core.augment.wordnet.WordNetMissing: The augmentation uses synonyms and WordNet is not installed.
    """
    if plan.kind != "text" or recipe.kind != "text":
        raise ConfigError("export_text needs a text recipe and plan; use export_images for images.")
    start = time.perf_counter()
    render = text_renderer(plan, originals, synthetic, recipe)
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
                    text, row = render(item)
                    writer.writerow(
                        [item.name, escape_cell(text), _cell(item.label), item.split, item.source]
                    )
                    record = {
                        "id": item.name,
                        "text": text,
                        "label": item.label,
                        "split": item.split,
                        "source": item.source,
                    }
                    jsonl.write(_json_line(record).encode("utf-8", "surrogatepass") + b"\n")
                    manifest.add(**row)
                    _tick(progress, done, total)
                text_out.flush()
                text_out.detach()  # the member is closed by its own context manager
            _copy_member(zf, "data.jsonl", jsonl)
            manifest.text.flush()
            _copy_member(zf, "manifest.csv", manifest.spool)
            _write_extra(zf, extra_files)
    finally:
        manifest.close()
        jsonl.close()
    return _summary(plan, out_path, start)
