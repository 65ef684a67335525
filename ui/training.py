"""What the generator pages share: the per-session run registry, the controls and the live panel.

Training runs live in a registry shared by the server (``st.cache_resource``) and keyed by a random
id kept in each browser session, so a run survives reruns, widget clicks and page switches, and no
session sees another's. The worker thread never calls ``st.*``; the live panel polls its snapshots
in a fragment that reruns every second while the run is going.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
import torch

from core.errors import AugLabError
from core.generators.checkpoint import checkpoint_hash, load_checkpoint, save_checkpoint
from core.generators.engine import RunLimits, TrainingRun, describe_device, pick_device
from core.present.charts import loss_figure
from ui.common import KEEP, init

# The worker shares the server process with Streamlit's threads. Measured here (2 cores, digits GAN):
# with torch's default 2 intra-op threads and Python's default 5 ms GIL switch interval, a busy
# script thread slowed training from ~110 to ~6 steps/s; one torch thread per two cores, and handing
# the GIL over every 0.5 ms, keep it at ~55 steps/s even then. Both settings are process-wide, so
# they are made here, by the app, never in core/.
torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
sys.setswitchinterval(0.0005)

SESSION_ID = "train.session_id"
ACTIVE = ("running", "stopping")


@dataclass
class Entry:
    """A session's run of one kind ("gan", "lstm"), with what it was started from."""

    run: TrainingRun
    signature: str  # configuration and data the trainer was built from; a change means a new run
    info: dict[str, Any] = field(default_factory=dict)  # page-specific extras (classes, data name, ...)
    _checkpoint: tuple[int, bytes] | None = None  # (steps, bytes), so downloads do not re-save

    def checkpoint_bytes(self) -> bytes:
        """The trainer's checkpoint at its current step, saved once per step count."""
        steps = self.run.trainer.steps_done
        if self._checkpoint is None or self._checkpoint[0] != steps:
            self._checkpoint = (steps, save_checkpoint(self.run.trainer.checkpoint()))
        return self._checkpoint[1]

    def checkpoint_sha256(self) -> str:
        return checkpoint_hash(self.checkpoint_bytes())


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[tuple[str, str], Entry] = {}


@st.cache_resource(show_spinner=False)
def _registry() -> _Registry:
    return _Registry()


def _key(kind: str) -> tuple[str, str]:
    if SESSION_ID not in st.session_state:
        st.session_state[SESSION_ID] = uuid.uuid4().hex  # random: nothing links two sessions' runs
    return (st.session_state[SESSION_ID], kind)


def current(kind: str) -> Entry | None:
    """This session's entry of ``kind``, if any."""
    registry = _registry()
    with registry.lock:
        return registry.entries.get(_key(kind))


def set_entry(kind: str, entry: Entry | None) -> None:
    """Put ``entry`` in place of this session's current one (stopping that one first)."""
    registry = _registry()
    old = current(kind)
    if old is not None and old is not entry:
        old.run.stop(wait=True)
    with registry.lock:
        if entry is None:
            registry.entries.pop(_key(kind), None)
        else:
            registry.entries[_key(kind)] = entry


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
    entry = current(kind)
    same = entry is not None and entry.signature == signature
    running = entry is not None and entry.run.running
    c1, c2, c3, _ = st.columns([1, 1, 1, 3])
    label = "Resume" if same and entry.run.trainer.steps_done else "Start training"
    if c1.button(label, type="primary", disabled=running, key=f"{kind}.start"):
        if not same:
            with st.spinner("Preparing the data and the model…"):
                entry = build()
            set_entry(kind, entry)
        entry.run.start(limits)
        running = True
    if c2.button("Stop", disabled=not running, key=f"{kind}.stop"):
        entry.run.stop(wait=True)
    if c3.button(
        "Reset", disabled=entry is None, key=f"{kind}.reset", help="Forget the model and its history."
    ):
        set_entry(kind, None)
        entry = None
    if entry is not None and not same and not running:
        st.caption("The settings or the data changed since this model was built: Start trains a new one.")
    return entry


def live_panel(
    entry: Entry,
    show_preview: Callable[[Any], None],
    baselines: dict[str, float] | None = None,
    y_title: str = "loss",
) -> None:
    """Progress bar, loss curves and the latest preview; refreshes every second while training."""
    was_running = entry.run.snapshot().status in ACTIVE

    @st.fragment(run_every=1.0 if was_running else None)
    def panel() -> None:
        snap = entry.run.snapshot()
        eta = f" · about {snap.eta_s:.0f} s left" if snap.eta_s is not None and snap.status in ACTIVE else ""
        text = (
            f"{snap.status.capitalize()} · step {snap.steps:,} · {snap.elapsed_s:.1f} s this run · "
            f"{snap.steps_per_s:.1f} steps/s{eta}"
        )
        st.progress(min(1.0, snap.fraction), text=text)
        if snap.message:
            (st.warning if snap.status == "failed" else st.caption)(snap.message)
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


def checkpoint_section(kind: str, entry: Entry | None, load: Callable[[dict], Entry], holds: str) -> None:
    """Download the current model's checkpoint; upload one (refused by name when unusable).

    Args:
        kind: "gan" or "lstm" (the checkpoint kind and the widget key prefix).
        entry: The session's entry, if any; a download is offered once it has trained.
        load: Builds an entry from a checked checkpoint payload.
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
                set_entry(kind, load(load_checkpoint(upload.getvalue(), upload.name, kind)))
                st.rerun()
            except AugLabError as exc:
                st.error(str(exc))


def clear_pool_button(key: str) -> None:
    """Empty one of the session's synthetic pools."""
    if st.button("Clear the pool", key=f"{key}.clear"):
        st.session_state[key] = []
        st.rerun()
