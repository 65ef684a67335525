"""Replay a recipe headless (``python -m core export``): read it, resolve its inputs, regenerate its
synthetic samples, plan and write.

A recipe comes from a ``recipe.json`` or from an exported archive (its own ``recipe.json``); inputs are
resolved by :mod:`core.data.sources` (built-in names such as ``digits`` or ``reviews``, display names,
or paths), synthetic samples by :func:`core.generators.pool.samples_from_checkpoint` from each generator
checkpoint the recipe names, checked against the recipe's sha256. A checkpoint missing at its path is
read from the archive the recipe came from (``generators/<sha256>.pt``), so an archive rebuilds itself.
"""

from __future__ import annotations

import os
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.dataset.plan import Label, plan
from core.dataset.reader import open_archive, read_entry, recipe_of
from core.dataset.recipe import Recipe, SyntheticSource
from core.dataset.writer import ExportSummary, Progress, export_images, export_text
from core.errors import ConfigError, InputError

Notify = Callable[[str], None]


@dataclass(frozen=True)
class RecipeFile:
    """A recipe and where it was read from.

    Attributes:
        recipe: The recipe.
        name: The file as the user gave it.
        archive: The exported archive it came from, or None for a plain ``recipe.json``.
    """

    recipe: Recipe
    name: str
    archive: Path | None = None


def load_recipe(path: str | os.PathLike[str]) -> RecipeFile:
    """Read a ``recipe.json``, or the recipe inside an exported ``.zip`` (content, not the name, decides).

    Raises:
        InputError: The file is missing or unreadable, or an archive without ``recipe.json``.
        ConfigError: Not a valid recipe of this version; the message names the file (and the entry).
    """
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise InputError(
            name, "does not exist; give the recipe.json the Export page downloads, or an exported .zip"
        )
    if zipfile.is_zipfile(p):
        return RecipeFile(recipe_of(p, name), name, p)
    try:
        return RecipeFile(Recipe.from_json(p.read_bytes()), name)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _checkpoint(source: SyntheticSource, archive: Path | None) -> tuple[bytes, str]:
    """The checkpoint's bytes and its name for messages: at its path, else in the recipe's archive."""
    path = Path(source.checkpoint)
    if path.is_file():
        return path.read_bytes(), source.checkpoint
    if archive is not None and source.sha256:
        entry = f"generators/{source.sha256.lower()}.pt"
        with open_archive(archive, str(archive)) as zf:
            return read_entry(zf, str(archive), entry), f"{archive}: {entry}"
    where = "nor in the archive (the recipe has no sha256)" if archive is not None else "here"
    raise InputError(
        source.checkpoint,
        f"(a generator checkpoint of the recipe) is not a file {where}; run the export where it is, or "
        "give the exported .zip as --recipe, which carries its checkpoints",
    )


def regenerate_synthetic(
    recipe: Recipe, notify: Notify, archive: Path | None = None
) -> tuple[list[Any], dict[str, bytes]]:
    """Samples of the recipe's generator sources, and the checkpoints as ``generators/<sha>.pt``.

    Args:
        recipe: The recipe.
        notify: Receives sentences about what was done.
        archive: The archive the recipe came from, where missing checkpoints are looked up.

    Raises:
        ConfigError: A checkpoint's sha256 differs from the recipe's, or torch is missing.
        InputError: A checkpoint is missing or unreadable (named, with the archive entry if it was read
            from the archive).
        core.generators.checkpoint.CheckpointError: A checkpoint is not a usable one of the right kind.
    """
    if not recipe.include_synthetic or not recipe.synthetic:
        return [], {}
    return samples_from_sources(recipe.kind, recipe.synthetic, notify, archive)


def samples_from_sources(
    kind: str, sources: Sequence[SyntheticSource], notify: Notify, archive: Path | None = None
) -> tuple[list[Any], dict[str, bytes]]:
    """Samples of generator ``sources`` (images: GAN or VAE checkpoints; text: LSTM checkpoints), in order.

    What :func:`regenerate_synthetic` does for an export recipe, for any recipe that lists
    :class:`SyntheticSource` entries (the experiment recipe too).

    Args:
        kind: ``"images"`` or ``"text"``.
        sources: The generator calls to repeat.
        notify: Receives sentences about what was done.
        archive: An exported archive whose ``generators/<sha256>.pt`` stand in for missing files.

    Returns:
        The samples, and the checkpoints' bytes as ``generators/<sha>.pt``.

    Raises:
        As :func:`regenerate_synthetic`.
    """
    if not sources:
        return [], {}
    try:
        from core.generators.checkpoint import checkpoint_hash
        from core.generators.pool import samples_from_checkpoint
    except ImportError as exc:
        raise ConfigError(
            f"The recipe blends synthetic samples, and regenerating them needs torch ({exc}); install "
            "requirements.txt, or set include_synthetic to false to export without them."
        ) from None
    generator = "gan" if kind == "images" else "lstm"
    samples: list[Any] = []
    extra: dict[str, bytes] = {}
    for source in sources:
        data, where = _checkpoint(source, archive)
        digest = checkpoint_hash(data)
        if source.sha256 and source.sha256.lower() != digest:
            raise ConfigError(
                f"{where}: has sha256 {digest[:16]}…, not the recipe's {source.sha256[:16]}…; it is not the "
                "checkpoint the samples came from. Give the export the checkpoint the recipe names."
            )
        batch = samples_from_checkpoint(data, where, generator, source.seed, source.n, source.settings)
        notify(f"regenerated {len(batch):,} synthetic samples from {where}")
        samples.extend(batch)
        extra[f"generators/{digest}.pt"] = data
    return samples, extra


def load_originals(
    kind: str, inputs: Sequence[str], text_column: str, label_column: str | None, notify: Notify
) -> list[Any]:
    """A recipe's originals: ``LoadedImage`` items (images) or ``TextExample`` items (text), in order.

    Args:
        kind: ``"images"`` or ``"text"``.
        inputs: Built-in names or paths (:mod:`core.data.sources`).
        text_column, label_column: CSV inputs' columns.
        notify: Receives one sentence per skipped file, entry or row.

    Raises:
        ConfigError: No inputs, or text inputs without a single example.
        InputError: An input file is missing or unusable.
    """
    from core.data.sources import resolve_images, resolve_text

    if not inputs:
        raise ConfigError("The recipe has no inputs; list 'digits' or the paths of the original files.")
    if kind == "images":
        return list(resolve_images(inputs, notify).images)
    examples = list(resolve_text(inputs, text_column, label_column, notify).examples)
    if not examples:
        raise ConfigError(f"The recipe's inputs ({', '.join(inputs)}) hold no text example.")
    return examples


def run_export(
    recipe: Recipe,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
    notify: Notify | None = None,
    archive: Path | None = None,
) -> ExportSummary:
    """Everything ``python -m core export`` does: resolve inputs, regenerate synthetic, plan, write.

    Args:
        recipe: The recipe (e.g. ``load_recipe("recipe.json").recipe``).
        out_path: The ``.zip`` to write.
        progress: ``progress(done, total)`` after each example; raising cancels.
        notify: Receives sentences about skipped files and synthetic samples (default: stderr).
        archive: The exported archive the recipe came from: its ``generators/<sha256>.pt`` stand in
            for checkpoints missing at the recipe's paths.

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

    # Inputs first: a missing file should fail before minutes of sampling.
    originals = load_originals(recipe.kind, recipe.inputs, recipe.text_column, recipe.label_column, note)
    synthetic, extra = regenerate_synthetic(recipe, note, archive)
    synthetic_labels: list[Label] = [s.label for s in synthetic]
    the_plan = plan(recipe, [o.label for o in originals], synthetic_labels)
    write = export_images if recipe.kind == "images" else export_text
    summary = write(the_plan, originals, synthetic, recipe, out_path, progress, extra)
    summary.notes[:0] = notes
    return summary
