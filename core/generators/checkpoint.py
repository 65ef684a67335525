"""Checkpoints: plain dicts of tensors and JSON-like values, saved with torch and loaded safely.

A checkpoint is ``{"kind": "gan" | "vae" | "lstm", "format_version": 3, "model": state_dict, "config": {...},
"classes" or "vocab": [...], "optimizer": ..., "steps": int, ..., "digest": sha256}``, never a pickled
module, and is always read with ``torch.load(weights_only=True)``: a file from the internet cannot run
code here. ``digest`` (:func:`payload_digest`) covers every other entry, because torch's zip reader does
not check its CRCs: a flipped byte inside a weight would otherwise load silently.

This module is the one place that knows the format: the trainers build their payload, :func:`seal` it,
and check what they read back with :func:`check_payload`; every error names the file.

Format versions:
    1. AugLab before issue 8 (own seeding per model, "integrity" / "digest" keys).
    2. Every random stream comes from :mod:`core.seeding`, so a checkpoint's training state and samples
       differ from version 1's for the same seed; one ``digest`` key.
    3. Issue 13: the GAN keeps an averaged generator (``generator_ema``) and samples from it, and its
       convolutional networks changed (16 to 64 px, a projection discriminator); the LSTM validates on a
       time schedule (``val_every_s``) and its defaults are smaller; the VAE (kind ``"vae"``) is new.
       A version-2 file would load into other networks or sample differently.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from typing import Any

import torch

from core.errors import AugLabError

FORMAT_VERSION = 3
DIGEST_KEY = "digest"
_KIND_NAMES = {"gan": "a GAN checkpoint", "vae": "a VAE checkpoint", "lstm": "an LSTM checkpoint"}
# Why a file of an older format cannot be used, by version: the first sentence of the refusal.
_OLDER = {
    1: "whose random streams differ, so it would not resume or sample the same",
    2: "whose GAN samples from an averaged generator and whose networks and LSTM settings changed, so it "
    "would not load or sample the same",
}


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


def _feed(value: Any, h: Any) -> None:
    """Feed ``value`` to the hash ``h``, unambiguously: a type tag, a length or shape, then the content."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous().reshape(-1)
        h.update(f"T{t.dtype}{tuple(value.shape)}".encode())
        if t.numel():
            h.update(t.view(torch.uint8).numpy())  # the bytes as they are, no copy
    elif isinstance(value, dict):
        h.update(f"D{len(value)}".encode())
        for key in sorted(value, key=repr):
            h.update(repr(key).encode("utf-8", "surrogatepass"))
            _feed(value[key], h)
    elif isinstance(value, list | tuple):
        h.update(f"L{len(value)}".encode())
        for item in value:
            _feed(item, h)
    else:
        h.update(f"V{value!r}".encode("utf-8", "surrogatepass"))


def payload_digest(payload: dict[str, Any]) -> str:
    """sha256 over every entry of a checkpoint except ``"digest"`` (tensors by dtype, shape and bytes)."""
    h = hashlib.sha256()
    _feed({k: v for k, v in payload.items() if k != DIGEST_KEY}, h)
    return h.hexdigest()


def seal(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with its format version and digest set (the dict is changed in place and returned)."""
    payload["format_version"] = FORMAT_VERSION
    payload[DIGEST_KEY] = payload_digest(payload)
    return payload


def to_cpu(value: Any) -> Any:
    """``value`` with every tensor inside (dicts, lists, tuples) detached and on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(to_cpu(v) for v in value)
    return value


def _kinds_text(kinds: tuple[str, ...]) -> str:
    names = [f"{_KIND_NAMES.get(k, k)} ({k!r})" for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check_payload(payload: Any, name: str, kind: str | tuple[str, ...]) -> dict[str, Any]:
    """Check that ``payload`` is an unaltered AugLab ``kind`` checkpoint of this format version.

    Args:
        payload: What ``torch.load`` returned.
        name: The file's name, for messages.
        kind: ``"gan"``, ``"vae"`` or ``"lstm"``, or a tuple of the kinds that will do.

    Returns:
        ``payload``.

    Raises:
        CheckpointError: Not an AugLab checkpoint, another kind, another format version, or altered.
    """
    if not isinstance(payload, dict) or "kind" not in payload or "model" not in payload:
        raise CheckpointError(f"{name} is a torch file but not an AugLab checkpoint (no kind/model entries).")
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    if payload["kind"] not in kinds:
        found = payload["kind"]
        what = _KIND_NAMES.get(found, f"a checkpoint of kind {found!r}") if isinstance(found, str) else None
        what = what or f"a checkpoint of kind {found!r}"
        raise CheckpointError(f"{name} is {what} ({found!r}), not {_kinds_text(kinds)}.")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        if type(version) is int and 1 <= version < FORMAT_VERSION:
            raise CheckpointError(
                f"{name} was made by an older AugLab (checkpoint format {version}; this AugLab reads format "
                f"{FORMAT_VERSION}, {_OLDER.get(version, _OLDER[1])}). "
                "Train the model again with this AugLab, or use the older AugLab to sample from it."
            )
        if type(version) is int and version > FORMAT_VERSION:
            raise CheckpointError(
                f"{name} was made by a newer AugLab (checkpoint format {version}; this AugLab reads format "
                f"{FORMAT_VERSION}). Update AugLab to use it."
            )
        raise CheckpointError(
            f"{name} has no valid format version ({version!r}); it was not saved by AugLab."
        )
    if payload.get(DIGEST_KEY) != payload_digest(payload):
        raise CheckpointError(
            f"{name} has been altered or damaged since AugLab saved it (its contents do not match their "
            "recorded sha256 digest); download it again or use an unmodified copy."
        )
    return payload


def load_checkpoint(data: bytes, name: str, kind: str | tuple[str, ...]) -> dict[str, Any]:
    """Read a checkpoint safely (``weights_only=True``) and :func:`check_payload` it.

    Args:
        data: The file's bytes.
        name: The file's name, for messages.
        kind: "gan", "vae" or "lstm", or a tuple of the kinds that will do.

    Raises:
        CheckpointError: Empty, not a torch file, holding code, another kind or version, or altered.
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
    return check_payload(payload, name, kind)
