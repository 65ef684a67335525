"""Tests for core.seeding: every stream is reproducible in any process, independent of the others,
and refuses seeds and names it cannot derive from.

Expectations are computed independently: BLAKE2b written out here for :func:`derive_seed` and for
the entropy numpy's ``PCG64(SeedSequence(entropy))`` gets in :func:`numpy_rng`, and fresh
interpreters (with other ``PYTHONHASHSEED`` values, so Python's salted ``hash`` cannot leak in) for
reproducibility.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.config import MAX_SEED
from core.errors import ConfigError
from core.seeding import derive_seed, numpy_rng, python_random, torch_generator

REPO = Path(__file__).resolve().parents[1]

# Paths as the project names them: (seed, item, variant), (seed, "gan", "init"), a class label, mixed.
PATHS = [
    (0,),
    (7, 0, 0),
    (7, 0, 1),
    (7, 1, 0),
    (7, "text", 3, 2),
    (7, "gan", "init"),
    (7, "split", "cat"),
    (7, "split", "café"),
    (MAX_SEED, 2**64 - 1, "z"),
]

# One script for every stream; it prints what each gives, as JSON, from a fresh interpreter.
_SCRIPT = """
import json, sys
paths = [tuple(p) for p in json.loads(sys.argv[1])]
from core.seeding import derive_seed, numpy_rng, python_random
out = {
    "derive_seed": [derive_seed(*p) for p in paths],
    "numpy_rng": [numpy_rng(*p).random(3).tolist() for p in paths],
    "python_random": [[python_random(*p).random(), python_random(*p).getrandbits(64)] for p in paths],
}
try:
    import torch
except ImportError:
    out["torch_generator"] = None
else:
    from core.seeding import torch_generator
    out["torch_generator"] = [torch.rand(3, generator=torch_generator(*p)).tolist() for p in paths]
print(json.dumps(out))
"""


def streams_here(paths: list[tuple]) -> dict:
    """What the script prints, computed in this process."""
    out = {
        "derive_seed": [derive_seed(*p) for p in paths],
        "numpy_rng": [numpy_rng(*p).random(3).tolist() for p in paths],
        "python_random": [[python_random(*p).random(), python_random(*p).getrandbits(64)] for p in paths],
    }
    try:
        import torch
    except ImportError:
        out["torch_generator"] = None
    else:
        out["torch_generator"] = [torch.rand(3, generator=torch_generator(*p)).tolist() for p in paths]
    return out


def test_streams_are_the_same_in_fresh_processes_with_other_hash_seeds():
    # Two interpreters at once (each imports torch), with different string-hash salts.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, json.dumps(PATHS)],
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for hash_seed in ("0", "31337")
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1] == streams_here(PATHS)


def test_streams_do_not_depend_on_what_ran_before():
    before = streams_here(PATHS)
    np.random.seed(1)  # the global states a careless caller might touch
    random.seed(2)
    for p in reversed(PATHS):  # other streams, other order
        numpy_rng(*p).random(100)
        python_random(*p).random()
    assert streams_here(PATHS) == before


@pytest.mark.parametrize(
    "path",
    [
        (0, 0, 0),  # all zero
        (1234, 5, 3),  # an image variant
        (MAX_SEED, 2**32 - 1, 2**63),  # words at the edges of 32 and 64 bits
        (7, "split", "cat"),  # a named stream
    ],
)
def test_numpy_rng_is_seed_sequence_of_a_128_bit_digest(path):
    words = [w if isinstance(w, int) else string_word(w) for w in path]
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(digest_of(words, 16))))
    np.testing.assert_array_equal(numpy_rng(*path).random(8), expected.random(8))


def blake_word(word: int) -> bytes:
    return word.to_bytes(9, "little")


def digest_of(words: list[int], size: int) -> int:
    """The keyed BLAKE2b of the words, each as 9 little-endian bytes, as the module docstring defines it."""
    h = hashlib.blake2b(digest_size=size, person=b"auglab-seed")
    for word in words:
        h.update(blake_word(word))
    return int.from_bytes(h.digest(), "little")


def string_word(name: str) -> int:
    """A string name's word as the module docstring defines it: 2**64 + the first 8 bytes of BLAKE2b."""
    return 2**64 + int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ((5,), [5]),  # a seed alone
        ((5, 0, 1), [5, 0, 1]),  # ints are themselves
        ((5, "gan", "init"), [5, string_word("gan"), string_word("init")]),  # strings are hashed
        ((5, np.int64(2), np.uint8(1)), [5, 2, 1]),  # numpy integers are whole numbers
    ],
)
def test_derive_seed_is_blake2b_of_the_words(path, words):
    h = hashlib.blake2b(digest_size=8, person=b"auglab-seed")
    for word in words:
        h.update(blake_word(word))
    assert derive_seed(*path) == int.from_bytes(h.digest(), "little") & (2**63 - 1)


# Paths that differ only in ways a careless scheme would merge: order, string vs number, length.
DIFFERENT = [
    pytest.param((7, 0, 1), (7, 1, 0), id="order"),
    pytest.param((7, 1), (7, "1"), id="string-vs-int"),
    pytest.param((7, "a", "bc"), (7, "ab", "c"), id="string-boundaries"),
    pytest.param((7, 12, 3), (7, 1, 23), id="digit-boundaries"),
    pytest.param((7, "text", 0, 0), (7, "image", 0, 0), id="named-streams"),
    pytest.param((7, "a"), (7, "a", 0), id="longer-by-a-zero-after-a-string"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_paths_give_different_streams(a, b):
    assert derive_seed(*a) != derive_seed(*b)
    assert python_random(*a).random() != python_random(*b).random()
    assert not np.array_equal(numpy_rng(*a).random(4), numpy_rng(*b).random(4))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param((7,), (7, 0), id="seed-alone-vs-trailing-zero"),
        pytest.param((7, 0), (7, 0, 0), id="trailing-zeros"),
        pytest.param((7, 2**32), (7, 0, 1), id="a-word-over-32-bits"),
        pytest.param((2**32, 0, 0), (0, 1, 0), id="image-keys"),
    ],
)
def test_paths_that_raw_seed_sequence_words_would_merge_stay_apart(a, b):
    # numpy's SeedSequence pads short entropy with zeros and cuts ints into 32-bit words: fed the words
    # directly it would give these pairs one stream. The digest keeps them apart.
    def raw(path: tuple) -> np.ndarray:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(path)))).random(4)

    assert np.array_equal(raw(a), raw(b))
    assert derive_seed(*a) != derive_seed(*b)
    assert not np.array_equal(numpy_rng(*a).random(4), numpy_rng(*b).random(4))


def test_many_paths_no_collision_and_no_correlation():
    # 20,000 variant keys: distinct 63-bit seeds; neighbouring streams uncorrelated. With 5,000 draws the
    # correlation of independent streams has sd 1/sqrt(5000) ~ 0.014: 0.07 is 5 sd.
    seeds = {derive_seed(3, i, v) for i in range(2_000) for v in range(10)}
    assert len(seeds) == 20_000
    for a, b in [((3, 0, 0), (3, 0, 1)), ((3, 0, 0), (3, 1, 0)), ((3, "a"), (3, "b"))]:
        x, y = numpy_rng(*a).random(5_000), numpy_rng(*b).random(5_000)
        assert abs(np.corrcoef(x, y)[0, 1]) < 0.07
        x, y = python_random(*a), python_random(*b)
        assert (
            abs(np.corrcoef([x.random() for _ in range(5_000)], [y.random() for _ in range(5_000)])[0, 1])
            < 0.07
        )


STREAMS = [
    pytest.param(derive_seed, id="derive_seed"),
    pytest.param(numpy_rng, id="numpy_rng"),
    pytest.param(python_random, id="python_random"),
    pytest.param(torch_generator, id="torch_generator"),
]


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize(
    ("seed", "names", "message"),
    [
        (-1, (), "seed must be a whole number"),  # a negative seed
        (MAX_SEED + 1, (), "seed must be a whole number"),  # above 2**63 - 1
        (1.0, (), "seed must be a whole number"),  # a float, even a whole one
        (True, (), "seed must be a whole number"),  # a bool is not a seed
        ("7", (), "seed must be a whole number"),  # a string seed
        (None, (), "seed must be a whole number"),  # no seed
        (7, (-1,), "name must be a string or a whole number >= 0"),  # a negative name
        (7, (2**64,), "name must be a string or a whole number >= 0"),  # a name past 64 bits
        (7, (1.5,), "name must be a string or a whole number >= 0"),  # a float name
        (7, (False,), "name must be a string or a whole number >= 0"),  # a bool name
        (7, (None,), "name must be a string or a whole number >= 0"),  # None
        (7, (b"gan",), "name must be a string or a whole number >= 0"),  # bytes are not a string
        (7, ("ok", 0, [1]), "name must be a string or a whole number >= 0"),  # a list, after good names
    ],
)
def test_bad_seeds_and_names_raise_config_error(stream, seed, names, message):
    if stream is torch_generator:
        pytest.importorskip("torch")
    with pytest.raises(ConfigError, match=message):
        stream(seed, *names)


@pytest.mark.parametrize(
    ("given", "plain"),
    [
        ((np.int64(7), np.uint16(3)), (7, 3)),  # numpy integers
        ((MAX_SEED,), (MAX_SEED,)),  # the largest seed
        ((0, 2**64 - 1), (0, 2**64 - 1)),  # the largest int name
    ],
)
def test_whole_numbers_of_any_type_are_accepted(given, plain):
    assert derive_seed(*given) == derive_seed(*plain)
    np.testing.assert_array_equal(numpy_rng(*given).random(2), numpy_rng(*plain).random(2))


def test_torch_generator_device_and_stream():
    torch = pytest.importorskip("torch")
    generator = torch_generator(11, "gan", "init")
    assert generator.device == torch.device("cpu")
    expected = torch.Generator().manual_seed(derive_seed(11, "gan", "init"))
    assert torch.equal(torch.rand(4, generator=generator), torch.rand(4, generator=expected))
