"""Shared set-up of the generator tests: torch on one intra-op thread.

The models here are far too small to gain from two threads, and a second thread spin-waits badly when
another process holds a core.
"""

from __future__ import annotations

import pytest
import torch
from lstm_fixtures import prose_examples, review_examples

from core.data.text_io import TextExample


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def prose() -> list[TextExample]:
    """Real English prose (CPython's documentation) as examples."""
    return prose_examples()


@pytest.fixture(scope="module")
def reviews() -> list[TextExample]:
    """The labelled sample reviews as examples."""
    return review_examples()
