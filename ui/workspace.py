"""The browser session's workspace: which one it is, its settings and files, and the sidebar section.

A workspace (``core.workspace.store``) is named by a random 128-bit id kept in the page URL as
``?ws=<id>``, so a reload, a server restart or the same link in another tab finds it again. On the
first run of a browser session, :func:`current_workspace` opens the workspace of the link (or makes
a new one, with a notice when the link named none that exists) and copies its saved settings into
``st.session_state`` before any widget is drawn. After that, every run saves the widget values that
changed (:func:`save_settings`): the keys of :data:`PREFIXES` plus every seed, compared with what
was saved last, so a run that changes nothing writes nothing.

Uploaded files are kept as content-addressed blobs with an artifact per file (:func:`keep_files`,
:func:`stored_files`); the pages decode them again in a new session.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.workspace.store import Limits, Store, WorkspaceError, default_home, is_valid_id
from ui.common import literal

WS = "workspace.id"  # the id of this session's workspace
SAVED = "workspace.saved"  # {key: value} as last written to the store (or read from it)
NOTICE = "workspace.notice"  # a sentence to show once: why this is a new workspace
TOUCHED = "workspace.touched"  # time.time() when this session last restarted the workspace's idle clock
FORGET = "workspace.forget"  # an id the browser's list of recent workspaces should drop (deleted)
PANEL = "workspace.panel"  # the sidebar expander (open or closed)
CONFIRM = "workspace.confirm_delete"  # True while "Delete this workspace" waits for its confirmation

# Widget keys saved in the workspace: every setting of every page. Uploads, buttons, charts, action
# boxes, values derived from data and the pages' records of jobs and models are not settings (a button's
# value cannot even be set: Streamlit refuses it).
PREFIXES = ("img.", "txt.", "gan.", "lstm.", "exp.", "export.")
SEEDS = (".seed", ".sample_seed")
SKIPPED = frozenset({"img.uploads", "img.config_file", "img.preset", "img.summary"}) | frozenset(
    {"txt.upload", "txt.config_file", "txt.preset", "txt.pasted"}  # pasted text is kept as a file
)
SKIPPED |= frozenset({"gan.model", "gan.job", "lstm.model", "lstm.job"})  # the training pages' records
SKIPPED |= frozenset({"export.sample", "export.write", "gan.evaluate", "gan.generate", "lstm.generate"})
SKIPPED |= frozenset({"lstm.label"})  # its options are the loaded model's labels
# Values derived from data, buttons, and the CSV choices of an upload (kept with the upload instead).
SKIPPED_PARTS = ("txt.memo.", ".reroll", "txt.header.", "txt.text_column.", "txt.label_column.")
SKIPPED_ENDS = (".start", ".stop", ".reset", ".load", ".clear", ".checkpoint_file", ".loss_curve")
SKIPPED_PARTS += ("export.bars.", "exp.chart.", "exp.view.", "exp.job.")
SKIPPED |= frozenset({"exp.demo", "exp.run"})

# Kinds of files kept in a workspace (artifacts), one per source of data on the pages.
IMAGE_UPLOADS = "images.upload"  # the Images page's uploads, one artifact per file, in upload order
TEXT_UPLOAD = "text.upload"  # the Text page's uploaded file, with its CSV choices in the meta
PASTED_TEXT = "text.pasted"  # the Text page's pasted text, as a UTF-8 file

TOUCH_EVERY_S = 3600.0  # a session restarts its workspace's idle clock at most this often
CLEANUP_EVERY_S = 3600.0  # idle workspaces are deleted at start-up, then at most this often
RECENT_SHOWN = 8  # workspaces listed under "Recent in this browser"


class _Server:
    """The one Store of this server and when it last deleted idle workspaces."""

    def __init__(self, home: str, limits: Limits) -> None:
        self.store = Store(home, limits)
        self.lock = threading.Lock()
        self.last_cleanup = 0.0

    def cleanup_when_due(self) -> None:
        """Delete idle workspaces at the first run after start-up, then at most hourly (no thread)."""
        now = time.time()
        if now - self.last_cleanup < CLEANUP_EVERY_S or not self.lock.acquire(blocking=False):
            return
        try:
            self.last_cleanup = now
            self.store.cleanup(now)
        finally:
            self.lock.release()


@st.cache_resource(show_spinner=False)
def _server(home: str, limits: tuple[str, str, str]) -> _Server:
    # Keyed by the home folder and the limit variables, read from the environment on every run, so a
    # test (or an operator) that changes AUGLAB_HOME gets a Store there instead of the first one made.
    return _Server(home, Limits.from_env())


def _server_now() -> _Server:
    limits = ("AUGLAB_WORKSPACE_GB", "AUGLAB_TOTAL_GB", "AUGLAB_TTL_DAYS")
    return _server(str(default_home()), tuple(os.environ.get(name, "") for name in limits))


def store() -> Store:
    """The Store of this server, under ``$AUGLAB_HOME`` (default ``~/.local/share/auglab``)."""
    return _server_now().store


def workspace_id() -> str:
    """This session's workspace id (:func:`current_workspace` has run in app.py's frame)."""
    return st.session_state[WS]


# -- which workspace ---------------------------------------------------------------------------------


def current_workspace() -> str:
    """Open this session's workspace (first run: the one in ``?ws=``, or a new one) and return its id.

    Called by app.py's frame on every run, before the page. Keeps ``?ws=<id>`` in the URL (switching
    pages drops query parameters), shows once why a new workspace was made, restores the saved
    settings on a session's first run, and saves the settings the browser changed with this run.
    """
    try:
        server = _server_now()
    except WorkspaceError as exc:  # a bad AUGLAB_* variable or a database from a newer AugLab
        st.error(literal(exc), icon="⚠️")
        st.stop()
    server.cleanup_when_due()
    db, now = server.store, time.time()
    ws = st.session_state.get(WS)
    if ws is not None and not db.exists(ws):  # deleted in another tab, or expired
        st.session_state[SAVED] = {}  # this tab's settings go into the new workspace
        st.session_state[NOTICE] = (
            f"Workspace {ws[:8]} no longer exists (deleted in another tab, or unused for "
            f"{db.limits.ttl_s / 86400:g} days); a new workspace was made."
        )
        ws = st.session_state[WS] = db.create()
        st.session_state[TOUCHED] = now
    elif ws is None:
        requested = st.query_params.get("ws")
        ws, notice = db.open(requested)
        st.session_state[WS], st.session_state[TOUCHED] = ws, now
        if notice:
            st.session_state[NOTICE] = notice
        elif ws == requested:
            _restore_settings(db, ws)
    elif now - st.session_state.get(TOUCHED, 0.0) > TOUCH_EVERY_S:
        db.touch(ws)
        st.session_state[TOUCHED] = now
    if st.query_params.get("ws") != ws:
        st.query_params["ws"] = ws
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.warning(notice, icon="⚠️")
    save_settings()
    return ws


# -- settings ------------------------------------------------------------------------------------------


def is_setting(key: str) -> bool:
    """Whether the session key ``key`` is a setting kept in the workspace."""
    if key in SKIPPED or any(part in key for part in SKIPPED_PARTS) or key.endswith(SKIPPED_ENDS):
        return False
    return key.startswith(PREFIXES) or key.endswith(SEEDS)


_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    """``value`` as JSON, or None when it is not a plain widget value (a file, a dataset, ...).

    Tuples (range sliders) are tagged so that they come back as tuples, not lists.
    """
    if isinstance(value, _PLAIN):
        return {"v": value}
    if isinstance(value, list | tuple) and all(isinstance(v, _PLAIN) for v in value):
        return {"tuple" if isinstance(value, tuple) else "list": list(value)}
    return None


def _decode(stored: Any) -> Any:
    if not isinstance(stored, dict) or len(stored) != 1:
        raise ValueError(f"not a stored setting: {stored!r}")
    ((kind, value),) = stored.items()
    return tuple(value) if kind == "tuple" else list(value) if kind == "list" else value


def _restore_settings(db: Store, ws: str) -> None:
    """Copy the workspace's settings into the session (a session's first run, before any widget)."""
    saved = st.session_state.setdefault(SAVED, {})
    for key, stored in db.settings(ws).items():
        if not is_setting(key) or key in st.session_state:
            continue
        try:
            value = _decode(stored)
        except (ValueError, TypeError):
            continue  # written by another version: the widget starts from its default instead
        st.session_state[key] = value
        saved[key] = _decode(stored)  # a copy: a list in the session may be changed in place


def save_settings() -> None:
    """Write the settings whose value changed since they were last saved into the workspace.

    Cheap when nothing changed: a pass over the session's keys and one comparison per setting, no
    write. app.py calls it at the start of every run (the values the browser just sent) and after
    the page (values the page set itself; a page that stops early is caught on the next run).
    """
    ws = st.session_state.get(WS)
    if ws is None:
        return
    saved = st.session_state.setdefault(SAVED, {})
    db = None
    for key in list(st.session_state.keys()):
        if not isinstance(key, str) or not is_setting(key):
            continue
        value = st.session_state[key]
        if key in saved and type(saved[key]) is type(value) and saved[key] == value:
            continue
        stored = _encode(value)
        if stored is None:
            continue
        db = db or store()
        db.set(ws, key, stored)
        saved[key] = _decode(json.loads(json.dumps(stored)))


# -- files -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """A file kept in the workspace: the name the user gave it, its content hash and size (bytes)."""

    name: str
    sha256: str
    size: int
    meta: dict[str, Any]
    artifact: int  # the artifact's id in the store


def stored_files(kind: str) -> list[StoredFile]:
    """The files of ``kind`` ("images.upload", "text.upload", ...) in this workspace, in upload order."""
    return [
        StoredFile(a["name"], a["sha256"], int(a["meta"].get("size", 0)), a["meta"], a["id"])
        for a in store().artifacts(workspace_id(), kind)
        if a["sha256"]
    ]


def read_file(file: StoredFile) -> bytes:
    """The bytes of a stored file (WorkspaceError when they are gone)."""
    return store().read(workspace_id(), file.sha256)


def keep_files(kind: str, files: list[tuple[str, bytes]], meta: dict[str, Any] | None = None) -> list[str]:
    """Make ``files`` (name, bytes) the workspace's files of ``kind``, replacing the ones kept before.

    Returns:
        One message per file that could not be kept (a limit reached), naming it; such a file is
        still used in this session, but a new session in this workspace will not have it.
    """
    db, ws = store(), workspace_id()
    before = stored_files(kind)
    problems = []
    for name, data in files:
        try:
            sha = db.put(ws, data, name)
        except WorkspaceError as exc:
            problems.append(f"{exc} It is used in this session only, not kept in the workspace.")
            continue
        db.add_artifact(ws, kind, name, sha, {**(meta or {}), "size": len(data)})
    _remove(before)  # after the new ones are recorded: a file kept again is not deleted meanwhile
    return problems


def update_meta(kind: str, meta: dict[str, Any]) -> None:
    """Replace the meta of the files of ``kind`` (e.g. the CSV options chosen after the upload)."""
    db, ws = store(), workspace_id()
    files = stored_files(kind)
    if all(f.meta == {**meta, "size": f.size} for f in files):
        return
    for f in files:
        db.add_artifact(ws, kind, f.name, f.sha256, {**meta, "size": f.size})
    _remove(files)


def forget_files(kind: str) -> None:
    """Forget the files of ``kind``; their contents are deleted when nothing else uses them."""
    _remove(stored_files(kind))


def _remove(files: list[StoredFile]) -> None:
    db, ws = store(), workspace_id()
    for f in files:
        db.remove_artifact(ws, f.artifact)


def human_size(size: float) -> str:
    """``2.1 MB``: bytes in the largest unit (1024-based, as the workspace limits are)."""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def describe(files: list[StoredFile], shown: int = 3) -> str:
    """``photos.zip (2.1 MB)`` or ``a.png, b.png, c.png and 4 more (3.0 MB)``, as Markdown shown literally."""
    names = ", ".join(f.name for f in files[:shown])
    more = f" and {len(files) - shown} more" if len(files) > shown else ""
    return f"{literal(names)}{more} ({human_size(sum(f.size for f in files))})"


def restored_notice(kind: str, files: list[StoredFile], on_forget: Any = None) -> None:
    """A caption "Restored from this workspace: photos.zip (2.1 MB)" and a button that forgets the files."""
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.caption(
        f"Restored from this workspace: {describe(files)}. The uploader above starts empty after a "
        "reload; upload again to replace these files."
    )

    def forget() -> None:
        forget_files(kind)
        if on_forget is not None:
            on_forget()

    right.button(
        "Forget it",
        key=f"workspace.forget.{kind}",
        on_click=forget,
        help="Delete these files from the workspace.",
    )


# -- the sidebar section ----------------------------------------------------------------------------


def _new_workspace(delete: bool) -> None:
    """Switch this tab to a new, empty workspace (after deleting the current one when asked)."""
    db, old = store(), workspace_id()
    if delete:
        db.delete(old)
    st.session_state.clear()
    st.session_state[WS] = db.create()
    st.session_state[TOUCHED] = time.time()
    if delete:
        st.session_state[FORGET] = old
        st.session_state[NOTICE] = (
            f"Workspace {old[:8]} and everything in it were deleted; this is a new, empty workspace."
        )


def _ask(value: bool) -> None:
    st.session_state[CONFIRM] = value


def sidebar(ws: str) -> None:
    """The "Workspace" section at the top of the sidebar: its short id; when opened, New, Delete and
    the workspaces this browser opened recently (a list kept in the browser's localStorage)."""
    db = store()
    with st.sidebar.expander(
        f"Workspace {ws[:8]}", icon=":material/folder_open:", key=PANEL, on_change="rerun"
    ) as panel:
        actions = st.container()
        st.html(recent_html(ws, st.session_state.pop(FORGET, "")), unsafe_allow_javascript=True)
        if not panel.open:  # the rest is drawn only when someone looks
            return
        actions.caption(
            f"Settings and uploads are kept on the server: {human_size(db.usage(ws))} of "
            f"{human_size(db.limits.workspace_bytes)}, deleted after {db.limits.ttl_s / 86400:g} days "
            "unused. The link holds the workspace's id: whoever has the link has the workspace."
        )
        actions.button(
            "New workspace",
            key="workspace.new",
            on_click=_new_workspace,
            args=(False,),
            width="stretch",
            help="Start empty in this tab; this workspace stays (its link and the list below open it).",
        )
        if not st.session_state.get(CONFIRM):
            actions.button(
                "Delete this workspace", key="workspace.delete", on_click=_ask, args=(True,), width="stretch"
            )
            return
        actions.caption(f"Delete workspace {ws[:8]} with its settings and uploads, for good?")
        actions.button(
            "Delete for good",
            key="workspace.delete_confirmed",
            type="primary",
            on_click=_new_workspace,
            args=(True,),
            width="stretch",
        )
        actions.button("Keep it", key="workspace.keep", on_click=_ask, args=(False,), width="stretch")


_RECENT_JS = """
<div class="auglab-recent" id="auglab-recent-__WS__" style="font-size: 0.875rem"></div>
<script>
(() => {
  const KEY = "auglab.recent", current = "__WS__", forget = "__FORGET__", shown = __SHOWN__;
  const valid = (id) => typeof id === "string" && /^[0-9a-f]{32}$/.test(id);
  let list = [];
  try { list = JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { list = []; }
  if (!Array.isArray(list)) list = [];
  list = list.filter((e) => e && valid(e.id) && e.id !== current && e.id !== forget);
  const others = list.slice(0, shown);
  try {
    const kept = [{ id: current, seen: Date.now() }, ...list].slice(0, 2 * shown);
    localStorage.setItem(KEY, JSON.stringify(kept));
  } catch (e) {}
  const box = document.getElementById("auglab-recent-" + current);
  if (!box) return;
  box.textContent = others.length ? "Recent in this browser:" : "No other workspace opened in this browser.";
  const ul = document.createElement("ul");
  for (const e of others) {
    const url = new URL(window.location.href);
    url.search = "";
    url.searchParams.set("ws", e.id);
    const a = document.createElement("a");
    a.href = url.toString();
    a.target = "_top";
    a.textContent = e.id.slice(0, 8);
    const li = document.createElement("li");
    li.appendChild(a);
    if (e.seen) li.appendChild(document.createTextNode(" · " + new Date(e.seen).toLocaleString()));
    ul.appendChild(li);
  }
  box.appendChild(ul);
})();
</script>
"""


def recent_html(ws: str, forget: str = "") -> str:
    """The HTML + script that records ``ws`` in this browser's list and shows the others as links.

    Runs in the page itself (``st.html`` with JavaScript), not in a components iframe: that iframe's
    sandbox has no ``allow-top-navigation``, so its links could not open a workspace in this tab.
    Only valid ids are ever written into the script; the links are built as DOM nodes, not HTML.
    """
    if not is_valid_id(ws):
        raise ValueError("not a workspace id")
    forget = forget if is_valid_id(forget) else ""
    return (
        _RECENT_JS.replace("__WS__", ws).replace("__FORGET__", forget).replace("__SHOWN__", str(RECENT_SHOWN))
    )
