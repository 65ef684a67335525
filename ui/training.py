"""What the generator pages share: the per-session run registry, the controls and the live panel.

Training runs live in one :class:`core.generators.registry.RunRegistry` per server
(``st.cache_resource``), keyed by a random id kept in each browser session, so a run survives reruns,
widget clicks and page switches, and no session sees another's. The registry frees the runs of
sessions that stopped visiting (closed tabs) and caps how many runs the server holds; a page keeps its
own runs alive by touching them, every second while training and every minute otherwise. The worker
thread never calls ``st.*``; the live panel polls its snapshots in a fragment.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
import torch

from core.errors import AugLabError
from core.generators.checkpoint import checkpoint_hash, save_checkpoint
from core.generators.engine import RunLimits, TrainingRun, describe_device, pick_device
from core.generators.registry import RunRegistry
from core.present.charts import loss_figure
from ui.common import KEEP, init, literal

# The worker shares the server process with Streamlit's threads. Measured here (2 cores, digits GAN):
# with torch's default 2 intra-op threads and Python's default 5 ms GIL switch interval, a busy
# script thread slowed training from ~110 to ~6 steps/s; one torch thread per two cores, and handing
# the GIL over every 0.5 ms, keep it at ~55 steps/s even then. Both settings are process-wide, so
# they are made here, by the app, never in core/.
torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
sys.setswitchinterval(0.0005)

SESSION_ID = "train.session_id"
ACTIVE = ("running", "stopping")
HEARTBEAT_S = 60.0  # an open page touches its runs this often when nothing trains (well inside the TTL)


@dataclass
class Entry:
    """A session's run of one kind ("gan", "lstm"), with what it was started from."""

    run: TrainingRun
    signature: str  # configuration and data the trainer was built from; a change means a new run
    info: dict[str, Any] = field(default_factory=dict)  # page-specific extras (training data, labels, ...)
    _checkpoint: tuple[int, bytes] | None = None  # (steps, bytes), so downloads do not re-save

    def checkpoint_bytes(self) -> bytes:
        """The trainer's checkpoint at its current step, saved once per step count."""
        steps = self.run.trainer.steps_done
        if self._checkpoint is None or self._checkpoint[0] != steps:
            self._checkpoint = (steps, save_checkpoint(self.run.trainer.checkpoint()))
        return self._checkpoint[1]

    def checkpoint_sha256(self) -> str:
        return checkpoint_hash(self.checkpoint_bytes())


class _Server:
    """The server's run registry, and which Streamlit session each of our session ids belongs to."""

    MAX_IDS = 10_000  # sessions remembered for the closed-tab check (the oldest are forgotten first)

    def __init__(self) -> None:
        self.registry: RunRegistry[Entry] = RunRegistry(session_open=self.session_open)
        self._lock = threading.Lock()
        self._streamlit_ids: OrderedDict[str, str] = OrderedDict()

    def remember(self, session: str, streamlit_id: str | None) -> None:
        if streamlit_id is None:
            return
        with self._lock:
            self._streamlit_ids[session] = streamlit_id
            self._streamlit_ids.move_to_end(session)
            while len(self._streamlit_ids) > self.MAX_IDS:
                self._streamlit_ids.popitem(last=False)

    def session_open(self, session: Hashable) -> bool:
        """Whether Streamlit still serves the browser session (True when it cannot tell, e.g. AppTest)."""
        with self._lock:
            streamlit_id = self._streamlit_ids.get(session)
        try:
            from streamlit.runtime import Runtime

            if streamlit_id is None or not Runtime.exists():
                return True
            return Runtime.instance().is_active_session(streamlit_id)
        except Exception:  # an internal API that moved: the idle time to live alone then applies
            return True


@st.cache_resource(show_spinner=False)
def _server() -> _Server:
    return _Server()


def _registry() -> RunRegistry[Entry]:
    return _server().registry


def _session() -> str:
    """This browser session's registry key: a random id, so nothing links two sessions' runs."""
    if SESSION_ID not in st.session_state:
        st.session_state[SESSION_ID] = uuid.uuid4().hex
        try:
            from streamlit.runtime.scriptrunner import get_script_run_ctx

            ctx = get_script_run_ctx()
            _server().remember(st.session_state[SESSION_ID], ctx.session_id if ctx is not None else None)
        except Exception:  # no context: the closed-tab check falls back on the idle time to live
            pass
    return st.session_state[SESSION_ID]


def current(kind: str) -> Entry | None:
    """This session's entry of ``kind``, if any (asking counts as a visit)."""
    return _registry().get(_session(), kind)


def set_entry(kind: str, entry: Entry | None) -> None:
    """Put ``entry`` in place of this session's current one (stopping that one first).

    Raises:
        RegistryFull: The server holds as many runs as it may, all training.
    """
    registry = _registry()
    old = registry.get(_session(), kind)
    if old is not None and old is not entry:
        old.run.stop(wait=True)
    if entry is None:
        registry.remove(_session(), kind)
    else:
        registry.put(_session(), kind, entry)


def _freed_notice(kind: str) -> None:
    """Tell the session, once, that the server freed its run (and why)."""
    notice = _registry().notice(_session(), kind)
    if notice:
        st.info(notice, icon=":material/info:")


def _keep_alive(kind: str) -> None:
    """Touch this session's run every minute while the page is open, so the registry keeps it."""

    @st.fragment(run_every=HEARTBEAT_S)
    def heartbeat() -> None:
        _registry().touch(_session(), kind)

    heartbeat()


def device_caption() -> None:
    st.caption(f"Device: **{describe_device(pick_device())}** (CUDA when a GPU is visible, else the CPU).")


def budget_controls(prefix: str) -> RunLimits:
    """Seconds or steps per run, in the sidebar."""
    st.sidebar.header("Run")
    by = st.sidebar.segmented_control(
        "Stop after", ["seconds", "steps"], key=init(f"{prefix}.budget_by", "seconds"), persist_state=KEEP
    )
    if by == "steps":
        steps = st.sidebar.number_input(
            "Steps", 10, 1_000_000, step=100, key=init(f"{prefix}.steps", 1000), persist_state=KEEP
        )
        return RunLimits(max_steps=int(steps), budget_s=None)
    seconds = st.sidebar.slider(
        "Seconds", 5, 600, step=5, key=init(f"{prefix}.seconds", 60), persist_state=KEEP
    )
    return RunLimits(budget_s=float(seconds))


def run_buttons(kind: str, signature: str, build: Callable[[], Entry], limits: RunLimits) -> Entry | None:
    """Start / resume, stop and reset; returns the session's entry after the click."""
    _freed_notice(kind)
    entry = current(kind)
    same = entry is not None and entry.signature == signature
    running = entry is not None and entry.run.running
    c1, c2, c3, _ = st.columns([1, 1, 1, 3])
    label = "Resume" if same and entry.run.trainer.steps_done else "Start training"
    if c1.button(label, type="primary", disabled=running, key=f"{kind}.start"):
        try:
            if not same:
                with st.spinner("Preparing the data and the model…"):
                    new = build()
                set_entry(kind, new)
                entry = new
            entry.run.start(limits)
            running = same = True
        except AugLabError as exc:
            st.error(f"Preparing the data and the model: {literal(exc)}", icon="⚠️")
    if c2.button("Stop", disabled=not running, key=f"{kind}.stop"):
        entry.run.stop(wait=True)
    if c3.button(
        "Reset", disabled=entry is None, key=f"{kind}.reset", help="Forget the model and its history."
    ):
        set_entry(kind, None)
        entry = None
    if entry is not None and not same and not running:
        st.caption("The settings or the data changed since this model was built: Start trains a new one.")
    if entry is not None:
        _keep_alive(kind)
    return entry


def live_panel(
    kind: str,
    entry: Entry,
    show_preview: Callable[[Any], None],
    baselines: dict[str, float] | None = None,
    y_title: str = "loss",
) -> None:
    """Progress bar, loss curves and the latest preview; refreshes every second while training."""
    was_running = entry.run.snapshot().status in ACTIVE

    @st.fragment(run_every=1.0 if was_running else None)
    def panel() -> None:
        if was_running:
            _registry().touch(_session(), kind)
        snap = entry.run.snapshot()
        eta = f" · about {snap.eta_s:.0f} s left" if snap.eta_s is not None and snap.status in ACTIVE else ""
        text = (
            f"{snap.status.capitalize()} · step {snap.steps:,} · {snap.elapsed_s:.1f} s this run · "
            f"{snap.steps_per_s:.1f} steps/s{eta}"
        )
        st.progress(min(1.0, snap.fraction), text=text)
        if snap.message:
            (st.warning if snap.status == "failed" else st.caption)(literal(snap.message))
        left, right = st.columns([3, 2])
        if snap.history:
            left.plotly_chart(
                loss_figure(snap.history, baselines, y_title), width="stretch", key="loss_curve"
            )
        with right:
            show_preview(snap.preview)
        if was_running and snap.status not in ACTIVE:
            st.rerun()  # the run ended: redraw the whole page (buttons, quality, generation)

    panel()


def checkpoint_section(
    kind: str, entry: Entry | None, load: Callable[[bytes, str], Entry], holds: str
) -> None:
    """Download the current model's checkpoint; upload one (refused by name when unusable).

    Args:
        kind: "gan" or "lstm" (the checkpoint kind and the widget key prefix).
        entry: The session's entry, if any; a download is offered once it has trained.
        load: Builds an entry from a checkpoint file's bytes and name; raises AugLabError (naming the
            file) when it cannot be used.
        holds: What the checkpoint holds besides the weights, for the help text.
    """
    if entry is not None and not entry.run.running and entry.run.trainer.steps_done:
        st.download_button(
            "Download checkpoint (.pt)",
            entry.checkpoint_bytes(),
            file_name=f"auglab_{kind}_step{entry.run.trainer.steps_done}.pt",
            help=f"Weights, configuration and {holds}; load it here or with `python -m core sample-{kind}`.",
        )
    with st.expander("Load a checkpoint"):
        upload = st.file_uploader(
            f"AugLab {kind.upper()} checkpoint (.pt)", type=["pt"], key=f"{kind}.checkpoint_file"
        )
        if upload is not None and st.button("Load it", key=f"{kind}.load"):
            try:
                set_entry(kind, load(upload.getvalue(), upload.name))
                st.rerun()
            except AugLabError as exc:
                st.error(literal(exc), icon="⚠️")


def clear_pool_button(key: str) -> None:
    """Empty one of the session's synthetic pools."""
    if st.button("Clear the pool", key=f"{key}.clear"):
        st.session_state[key] = []
        st.rerun()
