"""What the image loaders return: decoded images, and the files or entries that could not be used."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """One decoded image, ready for augmentation.

    Attributes:
        name: The user's file name, or the member path inside a zip (never a path on this machine).
        array: uint8 pixels, C-contiguous and read-only; shape ``(H, W)``, ``(H, W, 3)`` RGB or
            ``(H, W, 4)`` RGBA.
        label: Class name (the folder the image sat in), or None when unlabelled.
        source_mode: The Pillow mode of the file before conversion, e.g. ``"I;16"``, ``"CMYK"``, ``"P"``.
        notes: Human-readable notes about what was done, e.g. ``"16-bit scaled to 8-bit"``.
    """

    name: str
    array: np.ndarray
    label: str | None = None
    source_mode: str = "L"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        arr = self.array
        if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8:
            raise TypeError(f"LoadedImage.array must be a uint8 numpy array, got {type(arr).__name__}")
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
            raise ValueError(f"LoadedImage.array must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
        if arr.flags.writeable or not arr.flags.c_contiguous:
            # Copy so that nobody holding the original can change our pixels behind our back.
            arr = np.array(arr, order="C", copy=True)
            arr.flags.writeable = False
            object.__setattr__(self, "array", arr)

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.array.shape[0])

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.array.shape[1])

    @property
    def channels(self) -> int:
        """Number of channels: 1 (grayscale), 3 (RGB) or 4 (RGBA)."""
        return 1 if self.array.ndim == 2 else int(self.array.shape[2])


@dataclass(frozen=True)
class LoadProblem:
    """A file, zip entry or CSV row that could not be used.

    Attributes:
        name: The file name, zip entry path or ``"<file> row <n>"`` as the user knows it.
        reason: What is wrong and what to do, as a sentence.
        archive: The zip archive's file name when ``name`` is an entry inside it, else None.
    """

    name: str
    reason: str
    archive: str | None = None

    @property
    def where(self) -> str:
        """The file and, inside an archive, the entry: ``"photos.zip: dogs/x.png"`` or ``"notes.png"``."""
        return self.name if self.archive is None else f"{self.archive}: {self.name}"

    def __str__(self) -> str:
        """The whole message: ``"photos.zip: dogs/x.png: is not an image ...; leave it out"``."""
        return f"{self.where}: {self.reason}"


@dataclass
class LoadResult:
    """Images that loaded and problems with the ones that did not, in input order."""

    images: list[LoadedImage] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        """Append another result's images and problems to this one, in place."""
        self.images.extend(other.images)
        self.problems.extend(other.problems)
