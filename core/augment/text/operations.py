"""Augment a text: the public calls, for one variant or all the variants of an example at once.

A configuration with ``legacy_draws`` (read from an ``auglab.text_aug/1`` file) runs
:mod:`core.augment.text.legacy`, the engine that made its variants; every other runs
:mod:`core.augment.text.engine` (prepare, draw, sample, then apply with :mod:`.render`). Both give
variant ``variant`` of example ``index`` under ``seed`` as a function of those three numbers only.
"""

from __future__ import annotations

from core.augment import wordnet
from core.augment.text.config import WORDNET_OPERATIONS, TextAugConfig
from core.augment.text.engine import prepared, variants
from core.augment.text.fast import variants_plain
from core.augment.text.legacy import augment_legacy
from core.augment.text.tokens import Edit, Segment, TextVariant
from core.config import MAX_SEED, check_int, check_seed
from core.errors import ConfigError


def synonyms(word: str) -> list[str]:
    """WordNet synonyms of ``word`` as WordNet gives them, unfiltered (sorted; multi-word ones with
    spaces; never the word itself). :func:`core.augment.text.filters.candidates` filters them.

    Raises:
        core.augment.wordnet.WordNetMissing: WordNet is not installed.
    """
    return list(wordnet.synonyms(word))


def _check(text: object, config: TextAugConfig, index: object, first: object, count: int) -> None:
    if not (type(index) is type(first) is int and 0 <= index <= MAX_SEED and 0 <= first <= MAX_SEED - count):
        check_seed("index", index)  # numpy integers pass; anything else gets its sentence
        check_seed("variant", first)
        check_seed("variant", int(first) + count - 1)
    if not isinstance(text, str):
        raise ConfigError(f"Text must be a string, got {type(text).__name__}.")
    if not isinstance(config, TextAugConfig):
        raise ConfigError(f"config must be a TextAugConfig, got {type(config).__name__}.")


def _variants(
    text: str, config: TextAugConfig, seed: int, index: int, first: int, count: int, detailed: bool
) -> list[tuple[tuple[str, ...], str, list[Edit], tuple[Segment, ...]]]:
    """(operations, text, edits, segments) of variants ``first .. first + count - 1``."""
    _check(text, config, index, first, count)
    index, first = int(index), int(first)
    if config.legacy_draws:
        out = []
        for v in range(first, first + count):
            ops, (result, edits, segments) = augment_legacy(text, config, seed, index, v, detailed)
            out.append((ops, result, list(edits), segments))
        return out
    if not WORDNET_OPERATIONS.isdisjoint(config.operations):
        wordnet.reader()  # fail early, with how to get WordNet
    return variants(prepared(text, config), seed, index, first, count, detailed)


def augment_text_detailed(
    text: str, config: TextAugConfig, seed: int, index: int, variant: int
) -> TextVariant:
    """Variant ``variant`` of example ``index`` under ``seed``, with segments for highlighting (their
    tooltips say what each edit did, and for SR and RI which synonyms the filters left out and why).

    Raises:
        ConfigError: ``seed``, ``index`` or ``variant`` is not a whole number in range.
        core.augment.wordnet.WordNetMissing: SR or RI is asked for and WordNet is not installed.
    """
    ops, out, edits, segments = _variants(text, config, seed, index, variant, 1, detailed=True)[0]
    return TextVariant(out, tuple(edits), segments, ops)


def augment_text(
    text: str, config: TextAugConfig, seed: int, index: int, variant: int
) -> tuple[str, list[Edit]]:
    """Variant ``variant`` of example ``index`` under ``seed``: the text and its list of edits.

    See :func:`augment_text_detailed`; this one skips building the display segments.
    """
    _, out, edits, _ = _variants(text, config, seed, index, variant, 1, detailed=False)[0]
    return out, edits


def augment_variants(
    text: str, config: TextAugConfig, seed: int, index: int, count: int | None = None, first: int = 0
) -> list[tuple[str, list[Edit]]]:
    """Variants ``first .. first + count - 1`` (``count``: ``config.n_aug`` by default) of example
    ``index`` under ``seed``, each equal to :func:`augment_text` of that variant, computed together
    (one draw, one preparation): the fast way to augment a dataset.

    Raises:
        ConfigError: A number out of range, or text that is not a string.
    """
    count = config.n_aug if count is None else check_int("count", count, 0, 1 << 20)
    _check(text, config, index, first, count)
    if config.legacy_draws:
        return [
            (out, edits) for _, out, edits, _ in _variants(text, config, seed, index, first, count, False)
        ]
    if not WORDNET_OPERATIONS.isdisjoint(config.operations):
        wordnet.reader()  # fail early, with how to get WordNet
    return variants_plain(prepared(text, config), seed, int(index), int(first), count)


def augment_variants_detailed(
    text: str, config: TextAugConfig, seed: int, index: int, count: int | None = None, first: int = 0
) -> list[TextVariant]:
    """:func:`augment_variants` with segments for highlighting, as :func:`augment_text_detailed`."""
    count = config.n_aug if count is None else check_int("count", count, 0, 1 << 20)
    return [
        TextVariant(out, tuple(edits), segments, ops)
        for ops, out, edits, segments in _variants(text, config, seed, index, first, count, True)
    ]
