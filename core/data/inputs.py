"""The data a job works on: a built-in sample or files of the workspace, named by their hashes.

A training job (:mod:`core.generators.jobs`), an experiment and an export submitted from a page all
name their originals this way, and their workers load them with :func:`load_images` /
:func:`load_text`, as the pages load them: uploads are read by hash through ``read`` (a worker's
:meth:`~core.workspace.worker.JobContext.read`, which finds only its own workspace's files); a name is
for messages only, never a path, and only its ending tells a CSV from plain text.

The JSON form::

    {"builtin": "digits"}                                  # a built-in sample (core.data.sources names)
    {"files": [{"name": "photos.zip", "sha256": "<64 hex>"}, ...],   # the workspace's files, in order
     "text_column": "text", "label_column": null, "header": true}    # CSV uploads' columns
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.config import check_bool, from_mapping
from core.data.image_io import LoadedImage, load_files
from core.data.sources import load_builtin_images, load_builtin_text
from core.data.text_io import TextExample, load_csv, load_txt
from core.errors import ConfigError, InputError

SHA256 = re.compile(r"[0-9a-f]{64}")
Read = Callable[[str, str], bytes]  # (sha256, name) -> the file's bytes


@dataclass(frozen=True)
class FileRef:
    """A file of the workspace: what the user called it, and the hash it is stored under."""

    name: str  # for messages only; its ending tells .csv / .tsv from plain text
    sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"A file's name must be a non-empty string, got {self.name!r}.")
        if not isinstance(self.sha256, str) or SHA256.fullmatch(self.sha256) is None:
            raise ConfigError(f"{self.name}: the file's sha256 must be 64 lower-case hex digits.")


@dataclass(frozen=True)
class DataSpec:
    """The training data: a built-in sample, or files of the workspace (exactly one of the two)."""

    builtin: str | None = None  # a short or display name from core.data.sources
    files: tuple[FileRef, ...] = ()  # uploads, in order
    text_column: str = "text"  # CSV uploads: the column with the text
    label_column: str | None = None  # CSV uploads: the column with the labels (None: unlabelled)
    header: bool = True  # CSV uploads: the first row holds the column names

    def __post_init__(self) -> None:
        files = self.files
        if not isinstance(files, list | tuple):
            raise ConfigError(f"data.files must be a list of {{name, sha256}} objects, got {files!r}.")
        object.__setattr__(
            self,
            "files",
            tuple(
                f if isinstance(f, FileRef) else from_mapping(FileRef, f, "data file entry") for f in files
            ),
        )
        if (self.builtin is None) == (not self.files):
            raise ConfigError(
                'The data must be a built-in sample or uploaded files: give "builtin" (e.g. "digits") '
                'or a non-empty "files" list, not both.'
            )
        if self.builtin is not None and not isinstance(self.builtin, str):
            raise ConfigError(f"data.builtin must be a sample's name, got {self.builtin!r}.")
        if not isinstance(self.text_column, str):
            raise ConfigError(f"data.text_column must be a column name, got {self.text_column!r}.")
        if self.label_column is not None and not isinstance(self.label_column, str):
            raise ConfigError(f"data.label_column must be a column name or null, got {self.label_column!r}.")
        check_bool("data.header", self.header)


def images_from_files(files: Sequence[tuple[str, bytes]]) -> tuple[list[LoadedImage], list[str]]:
    """Decode uploads (images or class-folder zips) in memory.

    Returns:
        The images, and one sentence per file or entry skipped (``"skipped photos.zip: a/b.png: ..."``).

    Raises:
        InputError: No image could be used (the message names the files and the first reasons).
    """
    result = load_files(files)
    skipped = [f"skipped {problem}" for problem in result.problems]
    if not result.images:
        names = ", ".join(name for name, _ in files)
        reasons = "; ".join(str(p) for p in result.problems[:3])
        raise InputError(names, f"holds no image that could be used ({reasons})")
    return result.images, skipped


def text_from_files(
    files: Sequence[tuple[str, bytes]], text_column: str, label_column: str | None, header: bool
) -> tuple[list[TextExample], list[str]]:
    """Read uploads as a corpus: ``.csv`` / ``.tsv`` by column, anything else one example per line.

    Long lines are kept whole (the 10,000-character cap is for augmentation previews), as
    ``python -m core train-lstm`` keeps them.

    Returns:
        The examples, and the notices and skipped rows, each a sentence naming the file.
    """
    examples: list[TextExample] = []
    notices: list[str] = []
    for name, data in files:
        if name.lower().endswith((".csv", ".tsv")):
            dataset = load_csv(data, name, text_column, label_column, header=header, max_chars=None)
        else:
            dataset = load_txt(data, name, max_chars=None)
        examples.extend(dataset.examples)
        notices.extend([*dataset.notices, *(f"skipped {p}" for p in dataset.problems)])
    return examples, notices


def _files(spec: DataSpec, read: Read) -> list[tuple[str, bytes]]:
    return [(f.name, read(f.sha256, f.name)) for f in spec.files]


def load_images(spec: DataSpec, read: Read) -> tuple[list[LoadedImage], list[str]]:
    """The images ``spec`` names, and one sentence per file or entry skipped.

    Raises:
        InputError: No image could be used; WorkspaceError (from ``read``): a file is gone.
    """
    if spec.builtin is not None:
        return list(load_builtin_images(spec.builtin).images), []
    return images_from_files(_files(spec, read))


def load_text(spec: DataSpec, read: Read) -> tuple[list[TextExample], list[str]]:
    """The text examples ``spec`` names, and the notices and skipped rows (sentences naming files)."""
    if spec.builtin is not None:
        dataset = load_builtin_text(spec.builtin)
        return list(dataset.examples), list(dataset.notices)
    return text_from_files(_files(spec, read), spec.text_column, spec.label_column, spec.header)
