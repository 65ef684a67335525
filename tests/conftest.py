"""Fixtures every test folder may use."""

from __future__ import annotations

import pytest

from core.augment import wordnet


@pytest.fixture(scope="module")
def wn():
    """NLTK's WordNet, from the folder core.augment.wordnet puts on NLTK's path; skipped when missing."""
    try:
        wordnet.reader()
    except wordnet.WordNetMissing as exc:
        pytest.skip(str(exc))
    from nltk.corpus import wordnet as nltk_wordnet

    return nltk_wordnet
