"""Opening the app as a new browser session, for page tests (a module, not a conftest: conftest
modules share one name across folders)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_session(page: str, ws: str | None = None, timeout: float = 60) -> AppTest:
    """A new browser session opening ``page`` with the link ``?ws=<ws>`` (no parameter when None)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if ws is not None:
        at.query_params["ws"] = ws
    at.run()
    return at.switch_page(page).run()
