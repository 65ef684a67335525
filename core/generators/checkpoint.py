"""Checkpoints: plain dicts of tensors and JSON-like values, saved with torch and loaded safely.

A checkpoint is ``{"kind": "gan" | "lstm", "format_version": 1, "model": state_dict, "config": {...},
"classes" or "vocab": [...], "optimizer": ..., "steps": int, ...}``, never a pickled module, and is
always read with ``torch.load(weights_only=True)``: a file from the internet cannot run code here.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from typing import Any

import torch

from core.errors import AugLabError

FORMAT_VERSION = 1


class CheckpointError(AugLabError):
    """A checkpoint file cannot be used: corrupt, foreign, from another model kind or version."""


def save_checkpoint(payload: dict[str, Any]) -> bytes:
    """Serialise a checkpoint dict to bytes (torch's zip format)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def checkpoint_hash(data: bytes) -> str:
    """The sha256 of a checkpoint's bytes, recorded beside every synthetic sample it made."""
    return hashlib.sha256(data).hexdigest()


def load_checkpoint(data: bytes, name: str, kind: str) -> dict[str, Any]:
    """Read a checkpoint safely and check that it is an AugLab ``kind`` checkpoint of this version.

    Args:
        data: The file's bytes.
        name: The file's name, for messages.
        kind: "gan" or "lstm".

    Raises:
        CheckpointError: Not a torch file, tampered with, holding code, or another kind or version.
    """
    if not data:
        raise CheckpointError(f"{name} is empty (0 bytes); download the checkpoint again.")
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        text = str(exc).strip()
        first = text.splitlines()[0].split(". ")[0].rstrip(".") if text else type(exc).__name__
        raise CheckpointError(
            f"{name} is not a usable AugLab checkpoint ({first[:160]}). Use a .pt file saved by AugLab's "
            "Download checkpoint button or `python -m core train-...`."
        ) from None
    if not isinstance(payload, dict) or "kind" not in payload or "model" not in payload:
        raise CheckpointError(f"{name} is a torch file but not an AugLab checkpoint (no kind/model entries).")
    if payload["kind"] != kind:
        raise CheckpointError(f"{name} is a {payload['kind']!r} checkpoint; this page needs a {kind!r} one.")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{name} has format version {payload.get('format_version')!r}; this AugLab reads version "
            f"{FORMAT_VERSION}."
        )
    return payload
