"""Fixtures of the page tests that open workspaces: a fresh AUGLAB_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh AUGLAB_HOME for this test (the app makes one Store and one supervisor per home folder)."""
    monkeypatch.setenv("AUGLAB_HOME", str(tmp_path))
    return tmp_path
