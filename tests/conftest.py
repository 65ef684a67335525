"""Fixtures every test folder may use."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from core.augment import wordnet


@pytest.fixture(scope="session", autouse=True)
def auglab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Workspaces of every test (AppTest pages, app servers started by browser tests) go to a temporary
    folder, never the user's ~/.local/share/auglab; a test may point AUGLAB_HOME elsewhere itself."""
    saved = os.environ.get("AUGLAB_HOME")
    home = str(tmp_path_factory.mktemp("auglab_home"))
    os.environ["AUGLAB_HOME"] = home
    yield home
    if saved is None:
        os.environ.pop("AUGLAB_HOME", None)
    else:
        os.environ["AUGLAB_HOME"] = saved


@pytest.fixture(scope="module")
def wn():
    """NLTK's WordNet, from the folder core.augment.wordnet puts on NLTK's path; skipped when missing."""
    try:
        wordnet.reader()
    except wordnet.WordNetMissing as exc:
        pytest.skip(str(exc))
    from nltk.corpus import wordnet as nltk_wordnet

    return nltk_wordnet


@pytest.fixture(autouse=True)
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AppTest run goes through app.py's frame, as on a server after its first st.navigation call.

    AppTest forgets that call between runs (it resets ``PagesManager.uses_pages_directory`` and finds
    the pages/ folder), so every run after the first would run the page's file on its own, without
    the frame: no workspace opened, no settings saved.
    """
    from streamlit.runtime.pages_manager import PagesManager

    init = PagesManager.__init__

    def after_navigation(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", after_navigation)
