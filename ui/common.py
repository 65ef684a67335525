"""What every page shares: page set-up, session keys, and showing user errors without tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.errors import AugLabError

# Session-state keys that are not widgets, defined once.
IMAGE_DATASET = "images.dataset"  # the ImageDataset the Images page works on
IMAGE_UPLOAD_SIGNATURE = "images.upload_signature"  # which uploads IMAGE_DATASET was decoded from
IMAGE_CONFIG_NOTICE = "images.config_notice"  # (kind, message) left by loading a JSON configuration


# The app's pages in menu order: (script, label, icon). Streamlit's own menu is off
# (client.showSidebarNavigation) because it names pages after their file names.
PAGES = (
    ("app.py", "Home", ":material/science:"),
    ("pages/images.py", "Images", ":material/image:"),
)


def page_setup(title: str, icon: str) -> None:
    """Title the browser tab, use the whole width (previews need it) and draw the page menu."""
    st.set_page_config(page_title=f"{title} · AugLab", page_icon=icon, layout="wide")
    for script, label, page_icon in PAGES:
        st.sidebar.page_link(script, label=label, icon=page_icon)
    st.sidebar.divider()


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Show a user-caused error as a sentence and let the rest of the page carry on.

    Args:
        what: What was being done, for the message ("Preview", "Loading the configuration").
    """
    try:
        yield
    except AugLabError as exc:
        st.error(f"{what}: {exc}", icon="⚠️")
