"""What the Images and Text pages share to show data: names shown literally, the problems of a load, and
values derived from a dataset kept in the session so that a rerun (every click) does not recompute them.

File names, zip entries and row texts come from the user: a zip entry may be called
``dogs/[y](http://example.invalid/x).png``. Names are shown in code spans (verbatim by construction) and
sentences that quote them through :func:`ui.common.literal`, so nothing becomes a link, bold or a colour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import streamlit as st

from core.data.image_io import LoadProblem
from core.errors import AugLabError, InputError
from ui.common import literal

T = TypeVar("T")

_BACKTICKS = re.compile(r"`+")


def code(text: str) -> str:
    """``text`` as a Markdown code span, shown exactly as written whatever it contains.

    The fence is one backtick longer than the longest run inside; a space pads text that starts or ends
    with a backtick (CommonMark strips one such space on each side). Line breaks become spaces.
    """
    text = " ".join(str(text).splitlines())
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def error_message(exc: AugLabError) -> str:
    """An error as Markdown: the file's name as code, the reason escaped."""
    if isinstance(exc, InputError):
        return f"{code(exc.name)}: {literal(exc.reason)}"
    return literal(str(exc))


def show_problems(problems: Sequence[LoadProblem], noun: str, shown: int = 3) -> None:
    """The first few problems as warnings, the rest folded into a table so the preview stays in view.

    Args:
        problems: Files, zip entries or rows that could not be used.
        noun: What they are, plural, for the expander ("files were skipped", "rows were skipped").
        shown: How many get a warning of their own.
    """
    for problem in problems[:shown]:
        st.warning(f"{code(problem.where)}: {literal(problem.reason)}", icon="⚠️")
    if len(problems) > shown:
        rest = problems[shown:]
        with st.expander(f"{len(rest)} more {noun} were skipped"):
            st.dataframe(
                {"where": [p.where for p in rest], "reason": [p.reason for p in rest]}, hide_index=True
            )


def by_token(key: str, token: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``token`` (compared with ``==``), kept in the session under ``key``.

    Args:
        key: The session-state key, one per kind of derived value.
        token: What the value depends on, e.g. ``(file_id, size, text_column, label_column, header)``.
        compute: Makes the value; an exception leaves the previous value in place and propagates.
    """
    held = st.session_state.get(key)
    if held is not None and held[0] == token:
        return held[1]
    value = compute()
    st.session_state[key] = (token, value)
    return value


def by_object(key: str, source: object, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``source`` object, kept in the session under ``key`` with the object.

    Objects are compared by identity, so a large dataset is never compared item by item; the session
    holds the object, so its identity cannot be reused by another one.
    """
    held = st.session_state.get(key)
    if held is not None and held[0] is source:
        return held[1]
    value = compute()
    st.session_state[key] = (source, value)
    return value
