"""core.generators.checkpoint: one format for both generators, read safely, refused by name.

Every refusal must name the file (defect 8: an altered file was refused without its name), old format
versions must say they come from an older AugLab and what to do, and nothing in a file may run code.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
import torch
from generator_helpers import make_trainer
from lstm_fixtures import review_examples, trained

from core.generators.checkpoint import (
    FORMAT_VERSION,
    CheckpointError,
    load_checkpoint,
    payload_digest,
    save_checkpoint,
    seal,
)
from core.generators.gan import GANConfig, GANTrainer
from core.generators.lstm import LSTMTrainer
from core.generators.vae import VAEConfig, VAETrainer

NAME = "my model (v2).pt"  # spaces and brackets: the name must appear as given


TRAINERS = {"gan": GANTrainer, "vae": VAETrainer, "lstm": LSTMTrainer}


@pytest.fixture(scope="module")
def good() -> dict[str, bytes]:
    """One checkpoint of each kind."""
    gan = make_trainer(GANConfig.dry_run(n_classes=3))
    gan.step()
    vae = VAETrainer(
        torch.zeros(6, 1, 8, 8), torch.arange(6) % 3, ["a", "b", "c"], VAEConfig.dry_run(n_classes=3)
    )
    vae.step()
    lstm = trained(review_examples(), steps=1)
    return {kind: save_checkpoint(t.checkpoint()) for kind, t in (("gan", gan), ("vae", vae), ("lstm", lstm))}


def rebuild(kind: str, data: bytes) -> None:
    """Read ``data`` as the pages and the CLI do: load, then rebuild the trainer."""
    payload = load_checkpoint(data, NAME, kind)
    TRAINERS[kind].from_checkpoint(payload, device="cpu", name=NAME)


def resaved(data: bytes, **changes) -> bytes:
    """The checkpoint's payload with ``changes``, saved again (digest left as it was)."""
    payload = torch.load(io.BytesIO(data), weights_only=True)
    payload.update(changes)
    return save_checkpoint(payload)


def flipped(data: bytes, at: float) -> bytes:
    out = bytearray(data)
    pos = int(len(out) * at)
    out[pos : pos + 16] = bytes(b ^ 0xFF for b in out[pos : pos + 16])
    return bytes(out)


_EXECUTED: list[str] = []


def _mark(note: str) -> str:
    _EXECUTED.append(note)
    return note


class _Evil:
    """Unpickling this would call _mark: code execution from a file."""

    def __reduce__(self):
        return (_mark, ("pwned",))


class _Shell:
    """A pickle that runs a shell command when unpickled without weights_only."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def with_code(kind: str) -> bytes:
    buffer = io.BytesIO()
    torch.save({"kind": kind, "format_version": FORMAT_VERSION, "model": {}, "config": _Evil()}, buffer)
    return buffer.getvalue()


CASES = [
    ("flipped 30%", lambda d, k: flipped(d, 0.3), "altered or damaged"),  # inside tensor data: torch loads it
    ("flipped 50%", lambda d, k: flipped(d, 0.5), "altered or damaged|not a usable"),
    ("flipped 90%", lambda d, k: flipped(d, 0.9), "altered or damaged|not a usable"),
    ("half missing", lambda d, k: d[: len(d) // 2], "not a usable"),  # truncated download
    ("99% kept", lambda d, k: d[: int(len(d) * 0.99)], "not a usable"),
    ("empty", lambda d, k: b"", "empty"),  # 0 bytes
    ("code", lambda d, k: with_code(k), "not a usable"),  # a pickled callable: refused, never run
    ("other kind", lambda d, k: resaved(d, kind="lstm" if k == "gan" else "gan"), "not an? (GAN|VAE|LSTM)"),
    ("foreign kind", lambda d, k: resaved(d, kind="diffusion"), "kind 'diffusion'"),  # someone else's file
    ("no kind", lambda d, k: save_checkpoint({"weights": torch.zeros(2)}), "not an AugLab checkpoint"),
    ("format 1", lambda d, k: resaved(d, format_version=1), "older AugLab.*format 1.*Train the model again"),
    # issue 13's change: the averaged GAN generator, new networks and LSTM settings
    ("format 2", lambda d, k: resaved(d, format_version=2), "older AugLab.*format 2.*averaged generator"),
    ("format 9", lambda d, k: resaved(d, format_version=9), "newer AugLab.*Update AugLab"),
    ("no format", lambda d, k: resaved(d, format_version=None), "no valid format version"),
    ("edited", lambda d, k: resaved(d, steps=10**6), "altered or damaged"),  # a value changed, digest kept
]


@pytest.mark.parametrize("kind", ["gan", "vae", "lstm"])
@pytest.mark.parametrize("case, damage, words", CASES, ids=[c[0] for c in CASES])
def test_unusable_checkpoints_are_refused_by_name(good, kind, case, damage, words):
    _EXECUTED.clear()
    with pytest.raises(CheckpointError, match=words) as info:
        rebuild(kind, damage(good[kind], kind))
    assert str(info.value).startswith(NAME)  # defect 8: every refusal names the file
    assert _EXECUTED == []


def test_a_shell_command_in_a_checkpoint_is_not_run(tmp_path):
    marker = tmp_path / "ran"
    buffer = io.BytesIO()
    torch.save({"kind": "gan", "format_version": FORMAT_VERSION, "model": _Shell(marker)}, buffer)
    with pytest.raises(CheckpointError, match=re.escape(NAME)):
        load_checkpoint(buffer.getvalue(), NAME, "gan")
    assert not marker.exists()


@pytest.mark.parametrize(
    "kind, weight",
    [
        ("gan", ("generator", "net.0.bias")),  # one bias of the GAN's generator
        ("gan", ("generator_ema", "net.0.bias")),  # the averaged generator that samples
        ("vae", ("decoder.0.bias",)),  # the VAE's decoder
        ("lstm", ("head.bias",)),  # the LSTM's output layer
    ],
)
def test_an_edited_payload_is_refused_by_name_without_a_file(good, kind, weight):
    """A payload altered in memory, then handed to from_checkpoint directly."""
    payload = load_checkpoint(good[kind], NAME, kind)
    tensors = payload["model"]
    for part in weight[:-1]:
        tensors = tensors[part]
    tensors[weight[-1]].view(-1)[0] += 1.0
    with pytest.raises(CheckpointError, match=r"my model \(v2\)\.pt has been altered or damaged"):
        TRAINERS[kind].from_checkpoint(payload, name=NAME)


@pytest.mark.parametrize(
    "change",
    [
        {"image_size": 16},  # weights made for 8x8 images
        {"hidden": [32, 64]},  # other layer widths
        {"spectral_norm": True},  # missing parametrization entries
        {"n_classes": 4},  # class list no longer matches
        {"arch": "transformer"},  # not a valid config at all
    ],
)
def test_a_gan_config_that_does_not_fit_the_weights_is_refused_by_name(good, change):
    payload = load_checkpoint(good["gan"], NAME, "gan")
    payload["config"] = {**payload["config"], **change}
    seal(payload)  # a consistent file, just a wrong config
    with pytest.raises(CheckpointError) as info:
        GANTrainer.from_checkpoint(payload, device="cpu", name=NAME)
    assert NAME in str(info.value)


@pytest.mark.parametrize(
    "a, b, same",
    [
        ({"x": torch.tensor([1, 2]), "y": 1}, {"y": 1, "x": torch.tensor([1, 2])}, True),  # key order
        ({"x": torch.tensor([1, 2])}, {"x": torch.tensor([1, 3])}, False),  # one value
        ({"x": torch.tensor([1, 2])}, {"x": torch.tensor([1, 2], dtype=torch.int32)}, False),  # dtype
        ({"x": torch.tensor([1, 2])}, {"x": torch.tensor([[1, 2]])}, False),  # shape, same bytes
        ({"x": [1, 2]}, {"x": [1, [2]]}, False),  # nesting
        ({"x": "1"}, {"x": 1}, False),  # a string is not a number
        ({"x": 1, "digest": "a"}, {"x": 1, "digest": "b"}, True),  # the digest does not digest itself
    ],
)
def test_payload_digest_sees_every_difference_but_order(a, b, same):
    assert (payload_digest(a) == payload_digest(b)) is same
