"""Where every random choice comes from: one derivation from ``(seed, *names)``.

AugLab never touches a global random state (``np.random.seed``, ``torch.manual_seed``, the ``random``
module's functions): Streamlit serves every browser session as a thread of one process, and a result
must depend only on what the user can see. Each random stream is named instead, by the user's seed and
a path of names — ``(seed, item, variant)`` for an augmented variant, ``(seed, "gan", "init")`` for a
GAN's initial weights, ``(seed, "split", label)`` for one class's split — and built here:

1. The names become words: an int name is itself (0 <= n < 2**64); a str name is the first 8 bytes of
   its BLAKE2b digest plus 2**64, so a string can never collide with a number. The seed is the first
   word. Each word is written as 9 little-endian bytes, so the encoding of a path is unambiguous (no
   two paths, of any lengths, share it).
2. A keyed BLAKE2b digest of those bytes seeds every generator: its first 8 bytes (63 bits) are
   :func:`derive_seed`, the seed of :func:`python_random` and :func:`torch_generator`; a 16-byte
   digest is the entropy of numpy's ``SeedSequence`` in :func:`numpy_rng`. (Feeding the words to
   ``SeedSequence`` directly would merge paths: it pads short entropy with zeros and cuts ints into
   32-bit words, so ``(s,)``, ``(s, 0)`` and ``(s, 0, 0)`` would be one stream.)

The digest costs ~1 µs; a text variant costs ~25 µs in all, an image variant ~230 µs.

Two different name paths give independent streams; the same path always gives the same stream, in
any process, on any machine, whatever ran before. AugLab 0.2 changed to this scheme: seeded outputs
of earlier versions (recipes, checkpoints) are refused with a message, never silently redrawn.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from core.config import MAX_SEED, check_seed, is_whole
from core.errors import ConfigError

if TYPE_CHECKING:  # torch is imported only by the streams that need it
    import torch

Name = int | str

_STRING_BASE = 1 << 64  # string names map to [2**64, 2**65): disjoint from int names
_WORD_BYTES = 9  # enough for every word (< 2**65)
# Keyed once, copied per call (cheaper than a new hash object each time): 8 bytes for derive_seed,
# 16 for numpy's SeedSequence entropy.
_BLAKE = {size: hashlib.blake2b(digest_size=size, person=b"auglab-seed") for size in (8, 16)}


@lru_cache(maxsize=4096)
def _string_word(name: str) -> int:
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return _STRING_BASE + int.from_bytes(digest, "little")


def _words(seed: int, names: tuple[Name, ...]) -> list[int]:
    words = [check_seed("seed", seed) if type(seed) is not int or not 0 <= seed <= MAX_SEED else seed]
    for name in names:
        if type(name) is int and 0 <= name < _STRING_BASE:  # the common case, checked in one go
            words.append(name)
        elif isinstance(name, str):
            words.append(_string_word(name))
        elif is_whole(name) and 0 <= name < _STRING_BASE:
            words.append(int(name))
        else:
            raise ConfigError(f"A random stream name must be a string or a whole number >= 0, got {name!r}.")
    return words


def _digest(seed: int, names: tuple[Name, ...], size: int) -> int:
    h = _BLAKE[size].copy()
    for word in _words(seed, names):
        h.update(word.to_bytes(_WORD_BYTES, "little"))
    return int.from_bytes(h.digest(), "little")


def derive_seed(seed: int, *names: Name) -> int:
    """The 63-bit seed of the stream ``(seed, *names)``.

    Args:
        seed: The user's seed, 0 .. 2**63 - 1.
        *names: The stream's path: ints >= 0 (item index, variant, step) or strings ("gan", "init").

    Raises:
        ConfigError: The seed or a name is out of range or of the wrong type.
    """
    return _digest(seed, names, 8) & MAX_SEED


def numpy_rng(seed: int, *names: Name) -> np.random.Generator:
    """A numpy generator (PCG64) for the stream ``(seed, *names)``: 128 bits of digest as its entropy."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(_digest(seed, names, 16))))


def python_random(seed: int, *names: Name) -> random.Random:
    """A ``random.Random`` for the stream ``(seed, *names)`` (never the module's shared instance)."""
    return random.Random(derive_seed(seed, *names))


def torch_generator(seed: int, *names: Name, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` for the stream ``(seed, *names)``."""
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(seed, *names))
    return generator
