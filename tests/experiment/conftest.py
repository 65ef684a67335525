"""Shared set-up of the experiment tests: torch on one intra-op thread, as in a worker process.

The models here are far too small to gain from two threads, and a second thread spin-waits badly when
another process holds a core.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
