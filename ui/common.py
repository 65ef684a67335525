"""What every page shares: page set-up and menu, session keys, widget helpers, and user errors.

Widgets that describe a configuration are keyed ``<prefix>.<field>`` (``img.rotation_range``,
``txt.alpha_sr``) and keep their values across page switches (``persist_state="session"``) and in the
session's workspace, across reloads (ui.workspace saves and restores them by these prefixes).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

import streamlit as st

from core.augment import wordnet
from core.errors import AugLabError

# Session-state keys that are not widgets, defined once.
IMAGE_DATASET = "images.dataset"  # the ImageDataset the Images page works on
IMAGE_UPLOAD_SIGNATURE = "images.upload_signature"  # which uploads IMAGE_DATASET was decoded from
TEXT_DATASET = "text.dataset"  # the TextDataset the Text page works on

KEEP = "session"  # persist_state for widgets: their values survive switching pages

# The app's pages in menu order: (script, title, icon); app.py registers them with st.navigation.
PAGES = (
    ("pages/home.py", "Home", ":material/science:"),
    ("pages/images.py", "Images", ":material/image:"),
    ("pages/text.py", "Text", ":material/notes:"),
    ("pages/gan.py", "GAN", ":material/blur_on:"),
    ("pages/lstm.py", "LSTM", ":material/edit_note:"),
    ("pages/experiment.py", "Experiment", ":material/balance:"),
    ("pages/export.py", "Export", ":material/download:"),
)


@st.cache_resource(show_spinner=False)
def _warm_wordnet() -> threading.Thread:
    """Load WordNet in the background once per server, so the Text page rarely waits for it."""
    thread = threading.Thread(target=wordnet.available, name="wordnet-warm-up", daemon=True)
    thread.start()
    return thread


FRAMED = "app.framed"  # set by app.py's frame; a page run without it was not routed through app.py


def page_frame() -> None:
    """What every page shares, drawn once by app.py before the page runs."""
    st.session_state[FRAMED] = True
    _warm_wordnet()


def ensure_framed() -> None:
    """Make sure this page runs inside app.py's router; call it first thing on every page.

    Streamlit serves an app that has a ``pages/`` folder the old multipage way (each file run on its
    own, menu from file names) until the first ``st.navigation`` call in the server. So the very first
    visitor after a start who opens a page's link (``/images``) would get the page without app.py.
    This notices that, switches Streamlit to app.py's navigation for good, and reruns.
    """
    if st.session_state.get(FRAMED):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()<>#+-.!|~$:=^&\"'%@;,?/")
# GitHub-flavoured Markdown turns bare URLs and e-mail addresses into links even when every character
# is escaped (it links text after parsing); an invisible WORD JOINER at these points stops it.
_AUTOLINK_POINTS = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")
_WORD_JOINER = "\u2060"


def literal(text: object) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it exactly as written, with no link in it.

    Names and text that came from the user (file names, zip entries, labels, messages quoting them) go
    through this before any ``st.markdown`` / ``st.error`` / ``st.caption``: every ASCII punctuation
    mark gets a backslash (CommonMark's escape), so ``[y](http://x)`` is no link, ``**a**`` no bold,
    ``:red[a]`` no colour, ``$x$`` no formula and ``<b>`` no tag; a word joiner (U+2060, invisible)
    after ``://``'s colon, after ``www`` and before ``@`` keeps bare URLs and addresses from becoming
    links. Line breaks become Markdown hard breaks.
    """
    joined = _AUTOLINK_POINTS.sub(_WORD_JOINER, str(text))
    out = "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in joined)
    return out.replace("\n", "  \n")


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Show a user-caused error as a sentence and let the rest of the page carry on.

    Args:
        what: What was being done, for the message ("Preview", "Loading the configuration").
    """
    try:
        yield
    except AugLabError as exc:
        st.error(f"{what}: {literal(exc)}", icon="⚠️")


def init(key: str, value: Any) -> str:
    """Give a widget its first value through the session (never a default and a session value both)."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def set_fields(prefix: str, config: Any) -> None:
    """Write every field of a configuration dataclass into its widget key ``prefix.field``."""
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            value = list(value)  # multiselect and pills hold lists
        st.session_state[f"{prefix}.{f.name}"] = value


def read_fields(prefix: str, cls: type) -> dict[str, Any]:
    """The widget values of every field of ``cls``, by field name."""
    return {f.name: st.session_state[f"{prefix}.{f.name}"] for f in fields(cls)}


def _reroll(key: str) -> None:
    st.session_state[key] = int(st.session_state.get(key, 0)) + 1


def seed_input(key: str, help: str) -> int:
    """A seed box with a Reroll button (seed + 1) beside it, in the sidebar."""
    c1, c2 = st.sidebar.columns([3, 2], vertical_alignment="bottom")
    seed = c1.number_input("Seed", 0, 2**31 - 1, step=1, key=init(key, 0), persist_state=KEEP, help=help)
    c2.button(
        "Reroll",
        on_click=_reroll,
        args=(key,),
        key=f"{key}.reroll",
        help="Seed + 1: new variants, still reproducible.",
    )
    return int(seed)


def _load_config(file_key: str, prefix: str, parse: Callable[[str], Any]) -> None:
    file = st.session_state.get(file_key)
    if file is None:
        return
    try:
        config = parse(file.getvalue().decode("utf-8", errors="replace"))
    except AugLabError as exc:
        st.session_state[f"{prefix}.config_notice"] = ("error", f"{file.name}: {exc}")
        return
    set_fields(prefix, config)
    st.session_state[f"{prefix}.config_notice"] = ("success", f"Loaded {file.name}.")


def config_loader(prefix: str, parse: Callable[[str], Any]) -> None:
    """Upload a JSON configuration; a valid one replaces every control's value, a bad one is named."""
    file_key = f"{prefix}.config_file"
    st.file_uploader(
        "Load a configuration (.json)",
        type=["json"],
        key=file_key,
        on_change=_load_config,
        args=(file_key, prefix, parse),
    )
    notice = st.session_state.pop(f"{prefix}.config_notice", None)
    if notice:
        kind, message = notice
        (st.error if kind == "error" else st.success)(message)
